#pragma once
// The background trainer. It owns its thread and its model; callers send commands through a
// small queue and read published snapshots. Nothing here blocks on a training step.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/data/dataset.h"
#include "core/model/config.h"
#include "core/train/snapshot.h"
#include "core/train/timeline.h"

namespace vae {

struct Checkpoint;
class TrainingSession;  // the model, optimiser and RNG, used only on the worker thread

class Trainer {
 public:
  // A fresh model. The worker starts paused-at-zero (Idle) until start() is called.
  Trainer(std::shared_ptr<const Dataset> data, const ModelConfig& model, const TrainConfig& train);
  // Continues a checkpoint (weights, optimiser, RNG, history). Throws CheckpointError when
  // the checkpoint's model does not fit the data's image shape.
  Trainer(std::shared_ptr<const Dataset> data, const Checkpoint& checkpoint, const TrainConfig& train);
  ~Trainer();  // stops the worker cooperatively and joins it

  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void start();  // run until the planned epochs are done
  void pause();
  void resume();
  void step(int count = 1);  // from Idle/Paused: take `count` optimiser steps, then pause
  void stop();               // finish now; the model stays available
  void set_beta(double beta);
  void set_learning_rate(double lr);
  void set_epochs(int epochs);  // extend or shorten the plan
  // Importance samples k for the test NLL closing each epoch (0 = off); also on resumed and
  // loaded runs, whose settings otherwise come from the checkpoint.
  void set_iw_samples(int k);
  // Bound on the history's per-step rows (TrainingSession::set_step_history_rows): a test hook
  // that makes the history thin within a few hundred steps.
  void set_step_history_rows(std::size_t rows);
  // Written on the worker between two steps, atomically (temporary file + rename). The result
  // arrives as the snapshot's message.
  void save_checkpoint(const std::string& path);
  // Save after every finished epoch too (the CLI's --out), so a crash loses at most one epoch.
  void set_autosave_path(const std::string& path);
  // Where the timeline's scratch file goes once the memory budget is spent: beside `checkpoint`
  // rather than in the temporary folder, which may live in memory. Only before the first spill.
  void keep_timeline_scratch_beside(const std::string& checkpoint);

  // The run's timeline: the weights at the end of every epoch (and every N steps when the budget
  // says so), bounded by its budget; null for read-only models. Safe to list and read from any
  // thread. A trainer continuing a checkpoint that carries a timeline starts with its points.
  std::shared_ptr<const TimelineStore> timeline() const { return timeline_; }
  void set_timeline_budget(const TimelineBudget& budget);
  // Checkpoints this trainer writes (save_checkpoint, autosave) carry the timeline too (opt-in:
  // each point adds the model's size to the file).
  void set_save_timeline(bool on) { save_timeline_ = on; }
  bool save_timeline() const { return save_timeline_; }

  std::shared_ptr<const Snapshot> snapshot() const;
  const Dataset& data() const { return *data_; }
  std::shared_ptr<const Dataset> data_ptr() const { return data_; }

  // For the CLI and tests: block until the worker is Finished/Failed/Paused-by-error, or stopped.
  void wait_until_done();
  // For the CLI: called on the worker after every publication (keep it cheap).
  void set_progress_callback(std::function<void(const Snapshot&)> callback);

 private:
  struct Command {
    enum class Kind {
      Start,
      Pause,
      Resume,
      Step,
      Stop,
      SetBeta,
      SetLearningRate,
      SetEpochs,
      SetIwSamples,
      SetStepHistoryRows,
      Save,
      SetAutosave
    };
    Command(Kind kind, double value = 0, std::string path = {}) : kind(kind), value(value), path(std::move(path)) {}
    Kind kind;
    double value;
    std::string path;
  };
  void launch();
  // The store, seeded with a checkpoint's timeline and the starting point (before the worker runs).
  void create_timeline(const Checkpoint* checkpoint);
  void run();
  void run_loop();
  void post(Command command);

  std::shared_ptr<const Dataset> data_;
  std::unique_ptr<TrainingSession> session_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Command> queue_;
  std::atomic<bool> cancel_{false};
  bool worker_waiting_ = false;  // guarded by queue_mutex_: the worker sleeps, waiting for commands

  std::shared_ptr<const Snapshot> published_;  // accessed with std::atomic_load/store
  std::condition_variable done_cv_;            // with queue_mutex_: signalled when the worker goes idle
  std::function<void(const Snapshot&)> progress_callback_;
  std::shared_ptr<TimelineStore> timeline_;
  std::atomic<bool> save_timeline_{false};
  std::thread worker_;
};

}  // namespace vae
