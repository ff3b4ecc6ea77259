#pragma once
// The session: the data set, the trainer and what is being loaded in the background. Owned by
// the frame loop; only the UI thread touches it. Background work (data loading, checkpoint
// reading) hands results back through futures that update() collects at the start of a frame.
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/gui.h"
#include "app/gui/logic/tiling.h"
#include "app/gui/messages.h"
#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/runtime/runtime.h"
#include "core/train/snapshot.h"
#include "core/train/trainer.h"

namespace vae::gui {

class Session {
 public:
  Session(const GuiOptions& options, MessageLog& messages);
  ~Session();  // waits for background loads, stops training; nothing is left half-written
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts what the command line asked for (a checkpoint or a data set).
  void start();
  // Collects finished loads and the latest snapshot; once at the start of a frame.
  void update(double now);

  // --- requests from the user ---
  void request_data(const DataSpec& spec, bool start_training);
  void request_data(const std::string& spec, bool start_training);
  void open_checkpoint(const std::string& path);
  // A fresh model with model_config / train_config on the loaded data.
  void new_trainer(bool start);
  void save_checkpoint(const std::string& path);
  // Files dropped on the window: checkpoints, IDX files and folders, image folders.
  void handle_drop(const std::string& path);
  // A drop at window position (x, y): a data set landing on the zone the Density panel offered
  // last frame is scored there (request_scoring); anything else goes to handle_drop.
  void handle_drop_at(const std::string& path, float x, float y);

  // --- a second data set to score against the model (the Density panel) ---
  // File > Score another data set..., a drop on the Density panel, --score-data: a path (read by
  // scoring_spec_for_path) or a data spec. The Density panel follows scoring_serial().
  void request_scoring(const std::string& path_or_spec);
  const std::string& scoring_request() const { return scoring_request_; }
  std::uint64_t scoring_serial() const { return scoring_serial_; }
  // The Density panel's window rectangle, offered each frame it is drawn.
  void offer_scoring_drop_zone(const Box& zone) {
    scoring_zone_ = zone;
    scoring_zone_time_ = now_;
  }

  // --- state ---
  const GuiOptions& options() const { return options_; }
  double now() const { return now_; }
  const std::shared_ptr<const Dataset>& data() const { return data_; }
  Trainer* trainer() { return trainer_.get(); }
  bool has_trainer() const { return bool(trainer_); }
  // The snapshot of this frame (an empty one before any trainer exists); stays alive for the
  // whole frame even when a panel replaces the trainer.
  const Snapshot& snapshot() const { return frame_snapshot_ ? *frame_snapshot_ : empty_; }
  const std::shared_ptr<const Snapshot>& latest_snapshot() const { return snapshot_; }
  std::uint64_t trainer_serial() const { return trainer_serial_; }  // +1 per new trainer
  // The checkpoint the current model was opened from; "" for a new model (File > Recent, the title).
  const std::string& opened_checkpoint() const { return opened_checkpoint_; }
  std::uint64_t data_serial() const { return data_serial_; }  // +1 per loaded data set
  bool loading_data() const { return bool(pending_data_); }
  const std::string& loading_spec() const;
  double loading_since() const;
  bool opening_checkpoint() const { return pending_checkpoint_.valid(); }
  // The trainer's state or message changed since the frame's snapshot was taken: an idle frame
  // loop wakes for it (new metrics alone wait for the next regular adoption).
  bool state_changed_since_frame() const;
  // The last update() adopted a new snapshot: this frame repaints what it shows (loss plot,
  // progress), so other heavy updates can wait a frame.
  bool adopted_snapshot() const { return adopted_snapshot_; }
  bool training() const { return snapshot().state == TrainerState::Running && trainer_; }

  // The settings the next new model gets (edited in the Training panel; a checkpoint brings its own).
  ModelConfig model_config;
  TrainConfig train_config;
  std::string checkpoint_path;  // last saved or loaded; persisted in imgui.ini
  std::string export_dir;       // where Export buttons write; persisted in imgui.ini
  // A path under the export folder (created on demand).
  std::string export_path(const std::string& file_name) const;

  const BlasInfo& blas() const { return blas_; }
  std::string threads_description;

 private:
  struct PendingData {
    std::string spec;
    std::future<std::shared_ptr<const Dataset>> future;
    bool start_training = false;
    std::optional<Checkpoint> checkpoint;  // to continue once the data is there
    std::string checkpoint_path;
    double since = 0;
  };
  void collect_data();
  void collect_checkpoint();
  void adopt_checkpoint(const Checkpoint& checkpoint, const std::string& path);
  // `origin`: the checkpoint the trainer was read from, "" for a new model.
  void install_trainer(std::unique_ptr<Trainer> trainer, const std::string& origin);

  GuiOptions options_;
  MessageLog& messages_;
  double now_ = 0;
  BlasInfo blas_;
  std::shared_ptr<const Dataset> data_;
  std::optional<PendingData> pending_data_;
  // Loads superseded by a newer request: kept until they finish (a std::async future blocks in its
  // destructor), then discarded.
  std::vector<std::future<std::shared_ptr<const Dataset>>> abandoned_data_;
  std::future<Checkpoint> pending_checkpoint_;
  std::string pending_checkpoint_path_;
  std::unique_ptr<Trainer> trainer_;
  std::string opened_checkpoint_;
  bool adopted_snapshot_ = false;
  std::shared_ptr<const Snapshot> snapshot_;        // adopted at most ten times a second
  std::shared_ptr<const Snapshot> frame_snapshot_;  // what this frame draws
  double snapshot_time_ = -1;
  std::uint64_t seen_message_id_ = 0;
  std::uint64_t trainer_serial_ = 0;
  std::uint64_t data_serial_ = 0;
  const Snapshot empty_;
  std::string scoring_request_;
  std::uint64_t scoring_serial_ = 0;
  Box scoring_zone_;
  double scoring_zone_time_ = -1;
};

}  // namespace vae::gui
