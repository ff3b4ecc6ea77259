#include "app/gui/explorer.h"

#include <algorithm>
#include <chrono>

#include "app/gui/background_task.h"
#include "app/gui/logic/hash.h"
#include "app/gui/session.h"

namespace vae::gui {

namespace {

std::shared_ptr<const EncodedTestSet> encode_test_set(std::shared_ptr<const ModelState> model,
                                                      std::shared_ptr<const Dataset> data) {
  const auto t0 = std::chrono::steady_clock::now();
  auto set = std::make_shared<EncodedTestSet>();
  set->model = model;
  Inference inference(model);
  // Conditional models encode each test image with its own label.
  const std::vector<int> labels = inference.capabilities().conditional ? data->test.labels : std::vector<int>{};
  set->codes = inference.encode(data->test.pixels.data(), data->test.count, 1000, labels);
  set->labels = data->test.labels;
  if (set->codes.dims >= 2 && set->codes.count >= 3) {
    set->pca = compute_pca(set->codes.mu, set->codes.count, set->codes.dims, 2);
    set->has_pca = true;
  }
  set->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return set;
}

// While training, the test set is re-encoded this often: often enough to watch the clusters form,
// rarely enough not to take a visible share of the training cores. Encoding the 10,000
// Fashion-MNIST test images costs ~0.15 s of a core; after every epoch of the MLP (2 s each), as
// before, that was 4-7 % of a core.
constexpr double kTrainingEncodeSeconds = 5.0;

}  // namespace

Explorer::Explorer(Session& session, MessageLog& messages) : session_(session), messages_(messages) {}

Explorer::~Explorer() {
  if (encoding_.valid()) encoding_.wait();
}

std::string Explorer::class_name(int label) const {
  if (!inference_ || label < 0 || label >= num_classes()) return std::to_string(label);
  return inference_->capabilities().class_names[std::size_t(label)];
}

void Explorer::set_chosen_class(int label) {
  if (!conditional()) return;
  label = std::clamp(label, 0, num_classes() - 1);
  if (label == chosen_class_) return;
  chosen_class_ = label;
  try {
    inference_ = std::make_shared<const Inference>(inference_->model(), chosen_class_);
    model_serial_++;
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
  }
}

void Explorer::set_codes(std::vector<std::int64_t> codes) {
  if (!inference_ || !discrete()) return;
  try {
    std::vector<float> z = inference_->codes_to_latent(codes);
    codes_ = std::move(codes);
    codes_serial_++;
    set_z(std::move(z));
  } catch (const std::exception& e) {
    messages_.report(e.what(), true);
  }
}

void Explorer::set_z(std::vector<float> z) {
  if (z == z_) return;
  z_ = std::move(z);
  z_serial_++;
}

Plane Explorer::plane() const {
  Plane p;
  p.mode = plane_mode;
  p.dim_x = dim_x;
  p.dim_y = dim_y;
  p.pca = encoded_ && encoded_->has_pca ? &encoded_->pca : nullptr;
  return p;
}

std::uint64_t Explorer::plane_key() const { return plane().key(z_.size(), encoded_serial_); }

void Explorer::show_timeline_point(std::uint64_t id) {
  Trainer* trainer = session_.trainer();
  const auto store = trainer ? trainer->timeline() : nullptr;
  if (!store) return;
  try {
    const auto weights = store->weights(id);
    std::optional<TimelineItem> found;
    for (const auto& item : store->list())
      if (item.id == id) found = item;
    if (!weights || !found) {
      messages_.report("That point of the timeline is no longer kept (the store thinned it out); pick another", true);
      return;
    }
    timeline_model_ = model_from_weights(session_.snapshot().model_config, *weights);
    timeline_point_ = found;
  } catch (const std::exception& e) {
    messages_.report(std::string("Could not show that point of the timeline: ") + e.what(), true);
  }
}

void Explorer::show_live() {
  timeline_point_.reset();
  timeline_model_.reset();
}

void Explorer::update() {
  if (session_.trainer_serial() != trainer_serial_) {
    // Another model: its codes and plane are not this one's.
    show_live();
    trainer_serial_ = session_.trainer_serial();
    encoded_.reset();
    encoded_serial_++;
    encode_requested_ = true;
  }
  const Snapshot& snap = session_.snapshot();
  // The one switch of the timeline: an earlier point's weights instead of the latest.
  const auto& model = timeline_model_ ? timeline_model_ : snap.model;
  if (model && (!inference_ || inference_->model() != model)) {
    try {
      // Conditional models are drawn for the chosen class (the Decoder's class picker).
      auto fresh = std::make_shared<const Inference>(model, chosen_class_);
      const int classes = fresh->capabilities().num_classes();
      const int chosen = classes > 0 ? std::clamp(chosen_class_, 0, classes - 1) : 0;
      if (chosen != chosen_class_) fresh = std::make_shared<const Inference>(model, chosen);
      chosen_class_ = chosen;
      inference_ = std::move(fresh);
      model_serial_++;
      if (discrete()) {
        // New weights move the code vectors: the edited grid is rebuilt from them.
        const auto& c = inference_->capabilities();
        if (codes_.size() != std::size_t(c.code_grid_height) * std::size_t(c.code_grid_width)) {
          codes_.clear();
          codes_image = -1;
        }
        if (!codes_.empty()) set_z(inference_->codes_to_latent(codes_));
        if (!codes_layout_) open_panel_request = "Codes", close_panel_request = "Manifold";
        codes_layout_ = true;
      } else {
        codes_.clear();
        codes_image = -1;
        if (codes_layout_) open_panel_request = "Manifold", close_panel_request = "Codes";
        codes_layout_ = false;
      }
      const auto dims = std::size_t(inference_->latent_dim());
      if (z_.size() != dims) {
        set_z(std::vector<float>(dims, 0.f));
        // With two dimensions the latent space is its own plane; PCA would only rotate it.
        plane_mode = dims <= 2 ? PlaneMode::Dimensions : PlaneMode::Pca;
        dim_x = 0;
        dim_y = dims > 1 ? 1 : 0;
      }
    } catch (const std::exception& e) {
      messages_.report(e.what(), true);
    }
  }
  // Grids of many decodes follow the weights a few times a second; the single decoder image
  // follows every publication.
  const double now = session_.now();
  if (display_serial_ != model_serial_ && (!session_.training() || now - display_serial_time_ >= display_interval_)) {
    if (display_serial_time_ >= 0 && now > display_serial_time_) {
      // Keep the pictures' share of a core below about a third while training: an MLP's grids
      // decode in milliseconds (four refreshes a second), a 64x64 conv model's in a good part
      // of a second (a refresh every few seconds).
      const double share = (grid_busy_seconds_ - grid_busy_at_last_) / (now - display_serial_time_);
      if (share > 0.35) display_interval_ = std::min(4.0, display_interval_ * 2);
      if (share < 0.1) display_interval_ = std::max(0.25, display_interval_ / 2);
    }
    grid_busy_at_last_ = grid_busy_seconds_;
    display_serial_ = model_serial_;
    display_serial_time_ = now;
  }
  maybe_encode();
}

void Explorer::maybe_encode() {
  if (encoding_.valid() && encoding_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    try {
      auto set = encoding_.get();
      if (inference_ && set->codes.dims == inference_->latent_dim()) {
        encoded_ = set;
        encoded_serial_++;
      }
    } catch (const std::exception& e) {
      messages_.report(std::string("Encoding the test set failed: ") + e.what(), true);
      live = false;
    }
  }
  const auto& data = session_.data();
  if (encoding_.valid() || !inference_ || !data || data->test.count == 0) return;
  if (encoded_ && encoded_->model == inference_->model()) {
    encode_requested_ = false;
    return;
  }
  const bool running = session_.training();
  const double now = session_.now();
  // While training, re-encode every kTrainingEncodeSeconds.
  const bool due = live && (!running || now - last_encode_time_ > kTrainingEncodeSeconds);
  if (!(encode_requested_ || !encoded_ || due)) return;
  encode_requested_ = false;
  last_encode_time_ = now;
  encoding_ = start_background_task("vae-encoder",
                                    [model = inference_->model(), data] { return encode_test_set(model, data); });
}

}  // namespace vae::gui
