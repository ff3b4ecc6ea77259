// What the window does in response to the user: loading data and checkpoints in the background,
// replacing the trainer, saving, dropped files, and the per-frame collection of finished work.
#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <sstream>

#include "app/gui/app_state.h"
#include "app/gui/follow.h"
#include "core/errors.h"

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

template <typename T>
bool ready(const std::future<T>& f) {
  return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

std::vector<int> parse_hidden(const std::string& text) {
  std::vector<int> widths;
  std::string token;
  std::istringstream in(text);
  while (std::getline(in, token, ',')) {
    token.erase(std::remove_if(token.begin(), token.end(), [](unsigned char c) { return std::isspace(c); }),
                token.end());
    if (token.empty()) continue;
    try {
      widths.push_back(std::stoi(token));
    } catch (const std::exception&) {
      throw ConfigError("hidden layers: '" + token + "' is not a number (write widths like 512,256)");
    }
  }
  return widths;
}

void install_trainer(AppState& app, std::unique_ptr<Trainer> trainer, const std::string& origin) {
  // The old trainer's destructor joins its worker; do it before the new one starts competing
  // for the two cores.
  app.trainer.reset();
  app.trainer = std::move(trainer);
  app.trainer_origin = origin;
  app.snapshot = app.trainer->snapshot();
  app.seen_message_id = 0;
  app.encoded.reset();
  app.encoded_serial++;
  app.encode_requested = true;
  app.last_encoded_epoch = -1;
  app.latent.fitted = false;
}

void adopt_checkpoint(AppState& app, const Checkpoint& checkpoint, const std::string& path) {
  try {
    auto trainer = std::make_unique<Trainer>(app.data, checkpoint, checkpoint.train_config);
    app.model_config = checkpoint.model_config;
    app.train_config = checkpoint.train_config;
    std::string hidden;
    for (int w : checkpoint.model_config.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(w);
    app.hidden_text = hidden;
    app.checkpoint_path = path;
    install_trainer(app, std::move(trainer), path);
    report(app,
           "Opened " + path + " (epoch " + std::to_string(checkpoint.epoch) + ", step " +
               std::to_string(checkpoint.step) + "); press Resume to continue training",
           false);
  } catch (const std::exception& e) {
    report(app, e.what(), true);
  }
}

void collect_data(AppState& app) {
  auto pending = std::move(*app.pending_data);
  app.pending_data.reset();
  std::shared_ptr<const Dataset> data;
  try {
    data = pending.future.get();
  } catch (const std::exception& e) {
    report(app, std::string("Could not load data: ") + e.what(), true);
    return;
  }
  app.data = data;
  // Keep the Training panel's data choice in step with what is loaded (drops, checkpoints).
  const std::string& spec = data->spec;
  app.data_kind = spec.rfind("idx:", 0) == 0 ? 1 : spec.rfind("images:", 0) == 0 ? 2 : spec == "synthetic" ? 3 : 0;
  if (app.data_kind == 1 || app.data_kind == 2) app.data_path = spec.substr(spec.find(':') + 1);
  if (app.data_kind == 2) {
    app.image_size = data->height;
    app.image_rgb = data->channels == 3;
    app.test_fraction = static_cast<float>(data->test_fraction);
  }
  app.model_config.channels = data->channels;
  app.model_config.height = data->height;
  app.model_config.width = data->width;
  report(app,
         "Loaded " + data->name + ": " + std::to_string(data->train.count) + " training and " +
             std::to_string(data->test.count) + " test images of " + std::to_string(data->width) + "x" +
             std::to_string(data->height),
         false);
  if (pending.checkpoint) {
    adopt_checkpoint(app, *pending.checkpoint, pending.checkpoint_path);
  } else {
    new_trainer(app, pending.start_training);
  }
}

void collect_checkpoint(AppState& app) {
  Checkpoint checkpoint;
  try {
    checkpoint = app.pending_checkpoint.get();
  } catch (const std::exception& e) {
    report(app, e.what(), true);
    return;
  }
  const std::string path = app.pending_checkpoint_path;
  // --data given with --load picks the data for that checkpoint; otherwise its training data,
  // at the model's image size and with its training split.
  const std::string override_text = path == app.options.load_path ? app.options.data_spec : "";
  DataSpec spec;
  try {
    spec = data_spec_for(checkpoint, override_text);
  } catch (const std::exception& e) {
    report(app, path + ": " + e.what(), true);
    return;
  }
  // Reuse the loaded data when it is what the model needs; otherwise fetch that.
  const ModelConfig& m = checkpoint.model_config;
  const bool same_shape = app.data && app.data->channels == m.channels && app.data->height == m.height &&
                          app.data->width == m.width;
  if (same_shape && (app.data->spec == spec.to_string() || app.data->identity() == checkpoint.data_identity)) {
    adopt_checkpoint(app, checkpoint, path);
    return;
  }
  request_data(app, spec, false);
  if (app.pending_data) {
    app.pending_data->checkpoint = std::move(checkpoint);
    app.pending_data->checkpoint_path = path;
  }
}

std::shared_ptr<const EncodedTestSet> encode_test_set(std::shared_ptr<const ModelState> model,
                                                      std::shared_ptr<const Dataset> data) {
  const auto t0 = std::chrono::steady_clock::now();
  auto set = std::make_shared<EncodedTestSet>();
  set->model = model;
  Inference inference(model);
  set->codes = inference.encode(data->test.pixels.data(), data->test.count);
  set->labels = data->test.labels;
  if (set->codes.dims >= 2 && set->codes.count >= 3) {
    set->pca = compute_pca(set->codes.mu, set->codes.count, set->codes.dims, 2);
    set->has_pca = true;
  }
  set->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return set;
}

void maybe_encode(AppState& app, const Snapshot* snap) {
  if (ready(app.encoding)) {
    try {
      auto set = app.encoding.get();
      if (app.inference && set->codes.dims == app.inference->latent_dim()) {
        app.encoded = set;
        app.encoded_serial++;
      }
    } catch (const std::exception& e) {
      report(app, std::string("Encoding the test set failed: ") + e.what(), true);
      app.latent.live = false;
    }
  }
  if (app.encoding.valid() || !app.inference || !app.data || app.data->test.count == 0) return;
  if (app.encoded && app.encoded->model == app.inference->model()) {
    app.encode_requested = false;
    return;
  }
  const bool running = snap && snap->state == TrainerState::Running;
  const bool epoch_ended = snap && snap->epoch != app.last_encoded_epoch;
  // While training, re-encode every epoch and every few seconds in between: often enough to
  // watch the clusters form, rarely enough not to take a visible share of the training cores.
  const bool due = app.latent.live && (epoch_ended || !running || app.now - app.last_encode_time > 3.0);
  if (!(app.encode_requested || !app.encoded || due)) return;
  app.encode_requested = false;
  app.last_encode_time = app.now;
  app.last_encoded_epoch = snap ? snap->epoch : -1;
  app.encoding = std::async(std::launch::async, encode_test_set, app.inference->model(), app.data);
}

}  // namespace

void report(AppState& app, const std::string& text, bool error) {
  if (text.empty()) return;
  // The same message again (a panel failing every frame) refreshes the entry instead of
  // flooding the list.
  if (!app.messages.empty() && app.messages.front().text == text && app.messages.front().error == error) {
    app.messages.front().time = app.now;
    return;
  }
  app.messages.push_front(Message{text, error, app.now});
  while (app.messages.size() > 8) app.messages.pop_back();
}

void request_data(AppState& app, const std::string& spec, bool start_training) {
  DataSpec parsed;
  try {
    parsed = DataSpec::parse(spec);
  } catch (const std::exception& e) {
    report(app, e.what(), true);
    return;
  }
  request_data(app, parsed, start_training);
}

void request_data(AppState& app, const DataSpec& parsed, bool start_training) {
  const std::string spec = parsed.to_string();
  if (app.pending_data) {
    // The newest request wins; the older load finishes in the background and is thrown away.
    report(app, "Loading " + spec + " instead of " + app.pending_data->spec, false);
    app.abandoned_data.push_back(std::move(app.pending_data->future));
    app.pending_data.reset();
  }
  AppState::PendingData pending;
  pending.spec = spec;
  pending.start_training = start_training;
  pending.since = app.now;
  pending.future = std::async(std::launch::async, [parsed] { return load_dataset(parsed); });
  app.pending_data = std::move(pending);
}

void open_checkpoint(AppState& app, const std::string& path) {
  if (app.pending_checkpoint.valid()) {
    report(app, "Already opening " + app.pending_checkpoint_path, true);
    return;
  }
  app.pending_checkpoint_path = path;
  app.pending_checkpoint = std::async(std::launch::async, [path] { return load_checkpoint(path); });
}

void new_trainer(AppState& app, bool start) {
  if (!app.data) {
    report(app, "No data loaded yet", true);
    return;
  }
  try {
    ModelConfig model = app.model_config;
    model.channels = app.data->channels;
    model.height = app.data->height;
    model.width = app.data->width;
    model.hidden = parse_hidden(app.hidden_text);
    model.validate();
    app.train_config.validate();
    auto trainer = std::make_unique<Trainer>(app.data, model, app.train_config);
    app.model_config = model;
    install_trainer(app, std::move(trainer), "new model");
    if (start) app.trainer->start();
  } catch (const std::exception& e) {
    report(app, e.what(), true);
  }
}

void save_checkpoint(AppState& app, const std::string& path) {
  if (!app.trainer) {
    report(app, "Nothing to save: no model yet", true);
    return;
  }
  const std::string target = path.empty() ? export_path(app, "vae-explorer.ckpt") : path;
  app.checkpoint_path = target;
  app.trainer->save_checkpoint(target);
}

void handle_drop(AppState& app, const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    bool idx = false;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      if (entry.path().filename().string().rfind("train-images-idx3-ubyte", 0) == 0) idx = true;
    }
    request_data(app, (idx ? "idx:" : "images:") + path, true);
    return;
  }
  if (!fs::exists(p, ec)) {
    report(app, "Dropped file " + path + " does not exist", true);
    return;
  }
  const std::string name = p.filename().string();
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.find("idx3-ubyte") != std::string::npos || name.find("idx1-ubyte") != std::string::npos) {
    request_data(app, "idx:" + p.parent_path().string(), true);
  } else if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp") {
    request_data(app, "images:" + p.parent_path().string(), true);
  } else {
    // Anything else is taken for a checkpoint, so a damaged one gets the engine's own diagnosis.
    open_checkpoint(app, path);
  }
}

void update(AppState& app) {
  app.now = std::chrono::duration<double>(std::chrono::steady_clock::now() - app.started).count();
  app.heavy_work_done = false;
  app.abandoned_data.erase(
      std::remove_if(app.abandoned_data.begin(), app.abandoned_data.end(), [](const auto& f) { return ready(f); }),
      app.abandoned_data.end());
  if (app.pending_data && ready(app.pending_data->future)) collect_data(app);
  if (ready(app.pending_checkpoint)) collect_checkpoint(app);
  follow_checkpoint(app);

  // While training runs, adopt a new snapshot ten times a second: progress still looks live, and
  // the screen (a full redraw costs llvmpipe ~12 ms) changes half as often as the trainer
  // publishes, leaving the cores to training. State changes and messages are taken at once.
  auto latest = app.trainer ? app.trainer->snapshot() : nullptr;
  if (!latest || !app.snapshot || latest->state != app.snapshot->state ||
      latest->message_id != app.snapshot->message_id || app.now - app.snapshot_time >= 0.1) {
    if (latest != app.snapshot) app.snapshot_time = app.now;
    app.snapshot = std::move(latest);
  }
  const Snapshot* snap = app.snapshot.get();
  if (snap && snap->message_id != app.seen_message_id) {
    app.seen_message_id = snap->message_id;
    report(app, snap->message, snap->message_is_error);
  }
  if (snap && snap->model && (!app.inference || app.inference->model() != snap->model)) {
    try {
      app.inference = std::make_shared<const Inference>(snap->model);
      app.model_serial++;
      const auto dims = std::size_t(app.inference->latent_dim());
      if (app.z.size() != dims) {
        set_z(app, std::vector<float>(dims, 0.f));
        // With two dimensions the latent space is its own plane; PCA would only rotate it.
        app.latent.mode = dims <= 2 ? PlaneMode::Dimensions : PlaneMode::Pca;
        app.latent.dim_x = 0;
        app.latent.dim_y = dims > 1 ? 1 : 0;
      }
    } catch (const std::exception& e) {
      report(app, e.what(), true);
    }
  }
  const bool running = snap && snap->state == TrainerState::Running;
  // Grids of many decodes follow the weights a few times a second; the single decoder image
  // follows every publication.
  if (app.display_serial != app.model_serial && (!running || app.now - app.display_serial_time >= 0.25)) {
    app.display_serial = app.model_serial;
    app.display_serial_time = app.now;
  }
  maybe_encode(app, snap);
}

void shutdown(AppState& app) {
  if (app.pending_data && app.pending_data->future.valid()) app.pending_data->future.wait();
  if (app.pending_checkpoint.valid()) app.pending_checkpoint.wait();
  if (app.encoding.valid()) app.encoding.wait();
  app.pending_data.reset();
  app.abandoned_data.clear();  // each destructor waits for its load
  app.trainer.reset();         // stops the worker and joins it; checkpoint writes are atomic
}

std::string export_path(const AppState& app, const std::string& file_name) {
  const fs::path dir = app.export_dir.empty() ? fs::path(".") : fs::path(app.export_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  return (dir / file_name).string();
}

}  // namespace vae::gui
