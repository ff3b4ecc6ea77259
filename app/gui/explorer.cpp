#include "app/gui/explorer.h"

#include <chrono>

#include "app/gui/logic/hash.h"
#include "app/gui/session.h"
#include "core/runtime/thread_priority.h"

namespace vae::gui {

namespace {

std::shared_ptr<const EncodedTestSet> encode_test_set(std::shared_ptr<const ModelState> model,
                                                      std::shared_ptr<const Dataset> data) {
  enter_background_priority();  // a fresh std::async thread each time: lower it every time
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

}  // namespace

Explorer::Explorer(Session& session, MessageLog& messages) : session_(session), messages_(messages) {}

Explorer::~Explorer() {
  if (encoding_.valid()) encoding_.wait();
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

void Explorer::update() {
  if (session_.trainer_serial() != trainer_serial_) {
    // Another model: its codes and plane are not this one's.
    trainer_serial_ = session_.trainer_serial();
    encoded_.reset();
    encoded_serial_++;
    encode_requested_ = true;
    last_encoded_epoch_ = -1;
  }
  const Snapshot& snap = session_.snapshot();
  if (snap.model && (!inference_ || inference_->model() != snap.model)) {
    try {
      // Conditional models are shown for their first class (a class picker is still to come).
      inference_ = std::make_shared<const Inference>(snap.model, 0);
      model_serial_++;
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
  const Snapshot& snap = session_.snapshot();
  const bool running = session_.training();
  const bool epoch_ended = snap.epoch != last_encoded_epoch_;
  const double now = session_.now();
  // While training, re-encode every epoch and every few seconds in between: often enough to
  // watch the clusters form, rarely enough not to take a visible share of the training cores.
  const bool due = live && (epoch_ended || !running || now - last_encode_time_ > 3.0);
  if (!(encode_requested_ || !encoded_ || due)) return;
  encode_requested_ = false;
  last_encode_time_ = now;
  last_encoded_epoch_ = snap.epoch;
  encoding_ = std::async(std::launch::async, encode_test_set, inference_->model(), data);
}

}  // namespace vae::gui
