// The session: loading data and checkpoints in the background, replacing the trainer, saving,
// dropped files, and the per-frame collection of finished work.
#include "app/gui/session.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "app/gui/background_task.h"
#include "app/gui/follow.h"
#include "app/gui/logic/drop.h"
#include "core/errors.h"
#include "core/eval/inference.h"
#include "core/io/model_file.h"

namespace vae::gui {

namespace fs = std::filesystem;

namespace {
template <typename T>
bool ready(const std::future<T>& f) {
  return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}
}  // namespace

Session::Session(const GuiOptions& options, MessageLog& messages)
    : model_config(options.model),
      train_config(options.train),
      options_(options),
      messages_(messages),
      blas_(detect_blas()) {
  checkpoint_path = options.load_path;
  // Tests and scripts point every export somewhere of their own; imgui.ini does not override it.
  if (const char* dir = std::getenv("VAE_EXPLORER_EXPORT_DIR"); dir && *dir) export_dir = dir;
}

void Session::start() {
  if (!options_.load_path.empty()) {
    open_checkpoint(options_.load_path);
  } else {
    request_data(options_.data, options_.autostart);
  }
  if (!options_.score_data.empty()) request_scoring(options_.score_data);
}

Session::~Session() {
  if (pending_data_ && pending_data_->future.valid()) pending_data_->future.wait();
  if (pending_checkpoint_.valid()) pending_checkpoint_.wait();
  pending_data_.reset();
  abandoned_data_.clear();  // each destructor waits for its load
  trainer_.reset();         // stops the worker and joins it; checkpoint writes are atomic
}

const std::string& Session::loading_spec() const {
  static const std::string none;
  return pending_data_ ? pending_data_->spec : none;
}

double Session::loading_since() const { return pending_data_ ? pending_data_->since : now_; }

void Session::install_trainer(std::unique_ptr<Trainer> trainer, const std::string& origin) {
  // The old trainer's destructor joins its worker; do it before the new one starts competing
  // for the two cores.
  trainer_.reset();
  trainer_ = std::move(trainer);
  opened_checkpoint_ = origin;
  snapshot_ = trainer_->snapshot();
  seen_message_id_ = 0;
  trainer_serial_++;
}

void Session::adopt_checkpoint(const Checkpoint& checkpoint, const std::string& path) {
  try {
    auto trainer = std::make_unique<Trainer>(data_, checkpoint, checkpoint.train_config);
    model_config = checkpoint.model_config;
    train_config = checkpoint.train_config;
    checkpoint_path = path;
    install_trainer(std::move(trainer), path);
    const auto capabilities = Inference(checkpoint.model).capabilities();
    if (!capabilities.trainable) {
      messages_.report("Opened " + path + " (" + capabilities.family + ", read-only: explore it, training is off)",
                       false);
    } else {
      messages_.report("Opened " + path + " (epoch " + std::to_string(checkpoint.epoch) + ", step " +
                           std::to_string(checkpoint.step) + "); press Resume to continue training",
                       false);
    }
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
  }
}

void Session::collect_data() {
  auto pending = std::move(*pending_data_);
  pending_data_.reset();
  std::shared_ptr<const Dataset> data;
  try {
    data = pending.future.get();
  } catch (const std::exception& e) {
    messages_.report(std::string("Could not load data: ") + e.what(), true);
    return;
  }
  data_ = data;
  data_serial_++;
  model_config.channels = data->channels;
  model_config.height = data->height;
  model_config.width = data->width;
  messages_.report("Loaded " + data->name + ": " + std::to_string(data->train.count) + " training and " +
                       std::to_string(data->test.count) + " test images of " + std::to_string(data->width) + "x" +
                       std::to_string(data->height),
                   false);
  if (pending.checkpoint) {
    adopt_checkpoint(*pending.checkpoint, pending.checkpoint_path);
  } else {
    new_trainer(pending.start_training);
  }
}

void Session::collect_checkpoint() {
  Checkpoint checkpoint;
  try {
    checkpoint = pending_checkpoint_.get();
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
    return;
  }
  const std::string path = pending_checkpoint_path_;
  // --data given with --load picks the data for that checkpoint; otherwise its training data,
  // at the model's image size and with its training split.
  const std::string override_text = path == options_.load_path ? options_.load_data_override : "";
  const ModelConfig& shape = checkpoint.model_config;
  if (checkpoint.data_spec.empty() && override_text.empty() && data_ && data_->channels == shape.channels &&
      data_->height == shape.height && data_->width == shape.width) {
    adopt_checkpoint(checkpoint, path);  // a TorchScript model: explored on the data shown
    return;
  }
  DataSpec spec;
  try {
    spec = data_spec_for(checkpoint, override_text);
  } catch (const std::exception& e) {
    messages_.report(path + ": " + e.what(), true);
    return;
  }
  // Reuse the loaded data when it is what the model needs; otherwise fetch that.
  const ModelConfig& m = checkpoint.model_config;
  const bool same_shape =
      data_ && data_->channels == m.channels && data_->height == m.height && data_->width == m.width;
  if (same_shape && (data_->spec == spec.to_string() || data_->identity() == checkpoint.data_identity)) {
    adopt_checkpoint(checkpoint, path);
    return;
  }
  request_data(spec, false);
  if (pending_data_) {
    pending_data_->checkpoint = std::move(checkpoint);
    pending_data_->checkpoint_path = path;
  }
}

void Session::request_data(const std::string& spec, bool start_training) {
  DataSpec parsed;
  try {
    parsed = DataSpec::parse(spec);
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
    return;
  }
  request_data(parsed, start_training);
}

void Session::request_data(const DataSpec& parsed, bool start_training) {
  const std::string spec = parsed.to_string();
  if (pending_data_) {
    // The newest request wins; the older load finishes in the background and is thrown away.
    messages_.report("Loading " + spec + " instead of " + pending_data_->spec, false);
    abandoned_data_.push_back(std::move(pending_data_->future));
    pending_data_.reset();
  }
  PendingData pending;
  pending.spec = spec;
  pending.start_training = start_training;
  pending.since = now_;
  pending.future = start_background_task("vae-load-data", [parsed] { return load_dataset(parsed); });
  pending_data_ = std::move(pending);
}

void Session::open_checkpoint(const std::string& path) {
  if (pending_checkpoint_.valid()) {
    messages_.report("Already opening " + pending_checkpoint_path_, true);
    return;
  }
  pending_checkpoint_path_ = path;
  // Our checkpoints and TorchScript archives (read-only models trained in PyTorch) alike.
  pending_checkpoint_ = start_background_task("vae-load-model", [path] { return load_model_file(path); });
}

void Session::new_trainer(bool start) {
  if (!data_) {
    messages_.report("No data loaded yet", true);
    return;
  }
  try {
    ModelConfig model = model_config;
    model.channels = data_->channels;
    model.height = data_->height;
    model.width = data_->width;
    // A model trained in PyTorch is explored read-only, not rebuilt: a new model after one is
    // a VAE of ours with its settings.
    if (model.family == ModelFamily::TorchScript) model.family = ModelFamily::Vae;
    if (model.conditional) {
      // The classes come from the data set.
      if (!data_->train.has_labels() || !data_->test.has_labels())
        throw ConfigError("A conditional VAE needs a labelled data set, and '" + data_->name +
                          "' has no labels: choose 'VAE' under Model, or load labelled data (an image folder "
                          "needs one sub-folder per class)");
      int classes = int(data_->class_names.size());
      for (int label : data_->train.labels) classes = std::max(classes, label + 1);
      model.classes = classes;
      model.class_names = data_->class_names;
    }
    model.validate();
    train_config.validate();
    auto trainer = std::make_unique<Trainer>(data_, model, train_config);
    model_config = model;
    install_trainer(std::move(trainer), std::string());
    if (start) trainer_->start();
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
  }
}

void Session::save_checkpoint(const std::string& path) {
  if (!trainer_) {
    messages_.report("Nothing to save: no model yet", true);
    return;
  }
  const std::string target = path.empty() ? export_path("vae-explorer.ckpt") : path;
  checkpoint_path = target;
  trainer_->keep_timeline_scratch_beside(target);  // as the CLI's --out does
  trainer_->save_checkpoint(target);
}

void Session::handle_drop(const std::string& path) {
  const DropAction action = classify_drop(path);
  switch (action.kind) {
    case DropAction::Kind::Data:
      request_data(action.target, true);
      break;
    case DropAction::Kind::Checkpoint:
      open_checkpoint(action.target);
      break;
    case DropAction::Kind::Missing:
      messages_.report("Dropped file " + path + " does not exist", true);
      break;
  }
}

void Session::handle_drop_at(const std::string& path, float x, float y) {
  // Drops are handled before update(): now_ is still the time of the frame that drew the zone.
  const bool on_zone = scoring_zone_time_ == now_ && x >= scoring_zone_.x && x < scoring_zone_.right() &&
                       y >= scoring_zone_.y && y < scoring_zone_.bottom();
  if (on_zone && classify_drop(path).kind == DropAction::Kind::Data) {
    request_scoring(path);
  } else {
    handle_drop(path);
  }
}

void Session::request_scoring(const std::string& path_or_spec) {
  scoring_request_ = path_or_spec;
  scoring_serial_++;
}

void Session::update(double now) {
  now_ = now;
  messages_.set_time(now);
  abandoned_data_.erase(
      std::remove_if(abandoned_data_.begin(), abandoned_data_.end(), [](const auto& f) { return ready(f); }),
      abandoned_data_.end());
  if (pending_data_ && ready(pending_data_->future)) collect_data();
  if (ready(pending_checkpoint_)) collect_checkpoint();
  follow_checkpoint(*this);

  // While training runs, adopt a new snapshot ten times a second: progress still looks live, and
  // the screen (a full redraw costs llvmpipe ~12 ms) changes half as often as the trainer
  // publishes, leaving the cores to training. State changes and messages are taken at once.
  auto latest = trainer_ ? trainer_->snapshot() : nullptr;
  adopted_snapshot_ = false;
  if (!latest || !snapshot_ || latest->state != snapshot_->state || latest->message_id != snapshot_->message_id ||
      now_ - snapshot_time_ >= 0.1) {
    if (latest != snapshot_) snapshot_time_ = now_, adopted_snapshot_ = true;
    snapshot_ = std::move(latest);
  }
  frame_snapshot_ = snapshot_;
  if (snapshot_ && snapshot_->message_id != seen_message_id_) {
    seen_message_id_ = snapshot_->message_id;
    messages_.report(snapshot_->message, snapshot_->message_is_error);
  }
}

bool Session::state_changed_since_frame() const {
  if (!trainer_) return false;
  const auto latest = trainer_->snapshot();
  if (!latest || !snapshot_) return bool(latest) != bool(snapshot_);
  return latest->state != snapshot_->state || latest->message_id != snapshot_->message_id;
}

std::string Session::export_path(const std::string& file_name) const {
  const fs::path dir = export_dir.empty() ? fs::path(".") : fs::path(export_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  return (dir / file_name).string();
}

}  // namespace vae::gui
