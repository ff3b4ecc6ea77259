#pragma once
// The explorer: what the exploring panels share. The model being explored (an Inference over the
// latest published weights), the cursor z, the 2-D plane through latent space and the test set
// encoded under the current weights (encoded in the background). Only the UI thread touches it.
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/logic/plane.h"
#include "app/gui/messages.h"
#include "core/eval/inference.h"
#include "core/train/timeline.h"

namespace vae::gui {

class Session;

// Latent means of the test set under one set of weights, with their principal axes.
struct EncodedTestSet {
  std::shared_ptr<const ModelState> model;
  LatentCodes codes;
  std::vector<int> labels;
  Pca pca;
  bool has_pca = false;
  double seconds = 0;  // how long encoding took, shown in the panel
};

class Explorer {
 public:
  Explorer(Session& session, MessageLog& messages);
  ~Explorer();  // waits for an encoding under way
  Explorer(const Explorer&) = delete;
  Explorer& operator=(const Explorer&) = delete;

  // Follows the session's snapshot; once a frame, after Session::update.
  void update();

  // --- the model ---
  const std::shared_ptr<const Inference>& inference() const { return inference_; }
  int latent_dim() const { return inference_ ? inference_->latent_dim() : int(z_.size()); }
  // +1 whenever the weights change.
  std::uint64_t model_serial() const { return model_serial_; }
  // Follows model_serial at most four times a second while training (less often when decoding
  // the pictures keeps the grid worker busy): what panels that decode many images key on, so
  // they do not redecode for every publication nor take a training core for themselves.
  std::uint64_t display_serial() const { return display_serial_; }
  // Seconds the grid worker has spent decoding so far (DecodeWorker::busy_seconds), once a frame.
  void set_grid_busy_seconds(double seconds) { grid_busy_seconds_ = seconds; }

  // --- the timeline (core/train/timeline.h) ---
  // Explore the weights of an earlier point of the run instead of the latest: every panel that
  // reads inference() follows, while training goes on. `id` from the trainer's timeline list.
  // Reports (and stays where it was) when the point is gone or its spill file is damaged.
  void show_timeline_point(std::uint64_t id);
  void show_live();  // back to the latest weights
  // The point being explored; empty while live.
  const std::optional<TimelineItem>& timeline_point() const { return timeline_point_; }
  bool showing_past() const { return timeline_point_.has_value(); }

  // --- the cursor ---
  const std::vector<float>& z() const { return z_; }
  std::uint64_t z_serial() const { return z_serial_; }
  void set_z(std::vector<float> z);

  // --- conditional models: the class the cursor image, the grids and the samples are drawn for ---
  // 0 for models without classes. Choosing another class rebuilds the Inference (its default
  // class) and counts as a new model for the panels (model_serial +1), so every picture follows.
  bool conditional() const { return inference_ && inference_->capabilities().conditional; }
  int num_classes() const { return inference_ ? inference_->capabilities().num_classes() : 0; }
  std::string class_name(int label) const;
  int chosen_class() const { return chosen_class_; }
  void set_chosen_class(int label);

  // --- discrete codes (VQ-VAE): the code grid the cursor z was built from ---
  bool discrete() const { return inference_ && inference_->capabilities().posterior == PosteriorKind::DiscreteCodes; }
  // Row-major code indices (empty until an image is encoded or a grid is edited); set_codes()
  // also moves the cursor to the grid's code vectors, so the Decoder shows its decode.
  const std::vector<std::int64_t>& codes() const { return codes_; }
  std::uint64_t codes_serial() const { return codes_serial_; }
  void set_codes(std::vector<std::int64_t> codes);
  // The test image the code grid was encoded from, edits or not (-1: drawn at random).
  int codes_image = -1;

  // Panels to show (and raise) or to hide, by title; taken by the panel host once a frame. A
  // VQ-VAE gets the code view in place of the Manifold (which does not apply to it), and back.
  std::string open_panel_request, close_panel_request;

  // --- the plane ---
  PlaneMode plane_mode = PlaneMode::Pca;
  int dim_x = 0, dim_y = 1;
  // The plane as currently chosen (PCA axes from the encoded test set when available).
  Plane plane() const;
  // Changes whenever the plane's mapping does.
  std::uint64_t plane_key() const;

  // --- the encoded test set ---
  const std::shared_ptr<const EncodedTestSet>& encoded() const { return encoded_; }
  std::uint64_t encoded_serial() const { return encoded_serial_; }
  bool encoding() const { return encoding_.valid(); }
  void request_encode() { encode_requested_ = true; }
  bool live = true;  // re-encode while training

 private:
  void maybe_encode();

  Session& session_;
  MessageLog& messages_;
  std::uint64_t trainer_serial_ = 0;
  std::shared_ptr<const Inference> inference_;
  std::optional<TimelineItem> timeline_point_;
  std::shared_ptr<const ModelState> timeline_model_;  // its weights, while one is explored
  std::uint64_t model_serial_ = 0;
  std::uint64_t display_serial_ = 0;
  double display_serial_time_ = -1;
  double display_interval_ = 0.25;  // adapted to the decoding cost, 0.25 .. 4 s
  double grid_busy_seconds_ = 0, grid_busy_at_last_ = 0;
  std::vector<float> z_;
  std::uint64_t z_serial_ = 0;
  int chosen_class_ = 0;
  std::vector<std::int64_t> codes_;
  std::uint64_t codes_serial_ = 0;
  bool codes_layout_ = false;  // the code view was opened in place of the Manifold
  std::shared_ptr<const EncodedTestSet> encoded_;
  std::uint64_t encoded_serial_ = 0;
  std::future<std::shared_ptr<const EncodedTestSet>> encoding_;
  double last_encode_time_ = -100;
  bool encode_requested_ = true;
};

}  // namespace vae::gui
