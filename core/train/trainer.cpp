#include "core/train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/safe_file.h"
#include "core/runtime/thread_priority.h"
#include "core/train/session.h"

namespace vae {

const char* to_string(TrainerState state) {
  switch (state) {
    case TrainerState::Idle:
      return "idle";
    case TrainerState::Running:
      return "running";
    case TrainerState::Paused:
      return "paused";
    case TrainerState::Finished:
      return "finished";
    case TrainerState::Failed:
      return "failed";
  }
  return "?";
}

double Snapshot::progress() const {
  if (train_config.epochs <= 0 || steps_per_epoch <= 0) return 0;
  const double done = epoch + double(step_in_epoch) / steps_per_epoch;
  return std::min(1.0, done / train_config.epochs);
}

namespace {

using Clock = std::chrono::steady_clock;

// Published weights are a full copy: cheap for these models, but no need to do it every step. The
// window's picture grids (manifold, samples, reconstructions, interpolation) follow each published
// model: at 250 ms they redrew 16 times a second while training; at 500 ms the window leaves
// training ~2.5 % more of the two cores (perf, MLP on Fashion-MNIST), and the grids still move.
constexpr auto kModelPublishInterval = std::chrono::milliseconds(500);

}  // namespace

// Everything the worker thread keeps between loop iterations.
struct WorkerState {
  TrainerState state = TrainerState::Idle;
  int steps_requested = 0;  // single-step mode: steps still to take before pausing
  std::string autosave_path;
  std::string message;
  bool message_is_error = false;
  std::uint64_t message_id = 0;
  std::uint64_t version = 0;
  std::uint64_t model_version = 0;
  std::shared_ptr<const ModelState> model;
  Clock::time_point last_publish{};
  Clock::time_point last_model_publish{};
};

Trainer::Trainer(std::shared_ptr<const Dataset> data, const ModelConfig& model, const TrainConfig& train)
    : data_(std::move(data)), session_(std::make_unique<TrainingSession>(data_, model, train)) {
  create_timeline(nullptr);
  launch();
}

Trainer::Trainer(std::shared_ptr<const Dataset> data, const Checkpoint& checkpoint, const TrainConfig& train)
    : data_(std::move(data)), session_(std::make_unique<TrainingSession>(data_, checkpoint, train)) {
  create_timeline(&checkpoint);
  launch();
}

void Trainer::create_timeline(const Checkpoint* checkpoint) {
  if (!session_->trainable()) return;  // read-only models do not move
  // A scratch file for points beyond the memory budget; moved beside the checkpoint when one is
  // known (set_autosave_path), since the temporary folder may itself live in memory.
  static std::atomic<int> serial{0};
  std::string folder = "/tmp";
  try {
    folder = std::filesystem::temp_directory_path().string();
  } catch (const std::exception&) {
  }
  const std::string spill =
      folder + "/vae-explorer-timeline-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".bin";
  const auto model = session_->freeze();
  timeline_ = std::make_shared<TimelineStore>(weight_count_of(*model), TimelineBudget{}, spill);
  // A checkpoint that carried a timeline carries it again when saved: nothing is dropped silently.
  if (checkpoint) save_timeline_ = !checkpoint->timeline.empty();
  if (checkpoint)
    for (const auto& entry : checkpoint->timeline)
      if (entry.weights && entry.weights->size() == timeline_->weight_count())
        timeline_->add(entry.point, *entry.weights);
  // Where this trainer starts: a fresh model's initial weights, or where the checkpoint stopped.
  TimelinePoint start;
  start.epoch = session_->epoch();
  start.step = session_->step();
  const auto& epochs = session_->history().epochs;
  if (!epochs.empty() && epochs.back().step == start.step) {
    start.test_loss = epochs.back().test_loss;
    start.train_loss = epochs.back().train_loss;
  }
  timeline_->add(start, flatten_weights(*model));
}

void Trainer::set_timeline_budget(const TimelineBudget& budget) {
  if (!timeline_) return;
  try {
    timeline_->set_budget(budget);
  } catch (const std::exception&) {
    // A spill that failed dropped its point (the store says so in its count); nothing to undo.
  }
}

void Trainer::launch() {
  worker_ = std::thread([this] { run(); });
  // Readers may call snapshot() right away: it is never null after construction.
  std::unique_lock<std::mutex> lock(queue_mutex_);
  done_cv_.wait(lock, [this] { return std::atomic_load(&published_) != nullptr; });
}

Trainer::~Trainer() {
  cancel_ = true;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    queue_cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

void Trainer::post(Command command) {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  queue_.push_back(std::move(command));
  queue_cv_.notify_all();
}

void Trainer::start() { post({Command::Kind::Start}); }
void Trainer::pause() { post({Command::Kind::Pause}); }
void Trainer::resume() { post({Command::Kind::Resume}); }
void Trainer::step(int count) { post({Command::Kind::Step, double(std::max(1, count))}); }
void Trainer::stop() { post({Command::Kind::Stop}); }
void Trainer::set_beta(double beta) { post({Command::Kind::SetBeta, beta}); }
void Trainer::set_learning_rate(double lr) { post({Command::Kind::SetLearningRate, lr}); }
void Trainer::set_epochs(int epochs) { post({Command::Kind::SetEpochs, double(epochs)}); }
void Trainer::set_iw_samples(int k) { post({Command::Kind::SetIwSamples, double(k)}); }
void Trainer::set_step_history_rows(std::size_t rows) { post({Command::Kind::SetStepHistoryRows, double(rows)}); }
void Trainer::save_checkpoint(const std::string& path) { post({Command::Kind::Save, 0, path}); }
void Trainer::set_autosave_path(const std::string& path) {
  keep_timeline_scratch_beside(path);
  post({Command::Kind::SetAutosave, 0, path});
}
void Trainer::keep_timeline_scratch_beside(const std::string& checkpoint) {
  if (timeline_ && !checkpoint.empty()) timeline_->set_spill_path(checkpoint + ".timeline-scratch");
}

std::shared_ptr<const Snapshot> Trainer::snapshot() const { return std::atomic_load(&published_); }

void Trainer::set_progress_callback(std::function<void(const Snapshot&)> callback) {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  progress_callback_ = std::move(callback);
}

void Trainer::wait_until_done() {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  done_cv_.wait(lock, [this] { return (worker_waiting_ && queue_.empty()) || cancel_.load(); });
}

void Trainer::run() {
  name_this_thread("vae-trainer");
  enter_background_priority();  // below the window's UI thread (a no-op for the CLI)
  // Nothing may escape the worker: any failure becomes the Failed state and a message.
  try {
    run_loop();
  } catch (const std::exception& error) {
    const auto last = snapshot();
    auto failed = last ? std::make_shared<Snapshot>(*last) : std::make_shared<Snapshot>();
    failed->state = TrainerState::Failed;
    failed->message = std::string("training failed: ") + error.what();
    failed->message_is_error = true;
    ++failed->message_id;
    ++failed->version;
    std::atomic_store(&published_, std::shared_ptr<const Snapshot>(std::move(failed)));
  }
  std::lock_guard<std::mutex> lock(queue_mutex_);
  worker_waiting_ = true;
  done_cv_.notify_all();
}

void Trainer::run_loop() {
  TrainingSession& session = *session_;
  WorkerState w;
  auto say = [&w](std::string text, bool error) {
    w.message = std::move(text);
    w.message_is_error = error;
    ++w.message_id;
  };
  auto publish = [&](bool with_model) {
    const auto now = Clock::now();
    if (with_model || !w.model) {
      w.model = session.freeze();
      ++w.model_version;
      w.last_model_publish = now;
    }
    auto snap = std::make_shared<Snapshot>();
    snap->version = ++w.version;
    snap->state = w.state;
    snap->model_config = session.model_config();
    snap->train_config = session.train_config();
    snap->step = session.step();
    snap->epoch = session.epoch();
    snap->steps_per_epoch = session.steps_per_epoch();
    snap->step_in_epoch = session.step_in_epoch();
    snap->samples_per_sec = session.samples_per_sec();
    if (snap->samples_per_sec > 0 && w.state == TrainerState::Running) {
      const double steps_left =
          double(session.train_config().epochs - session.epoch()) * session.steps_per_epoch() - session.step_in_epoch();
      snap->eta_seconds = std::max(0.0, steps_left) * session.train_config().batch_size / snap->samples_per_sec;
    }
    snap->history = session.history();
    snap->train_seconds = session.train_seconds();
    snap->train_examples = session.train_examples();
    snap->kl_per_dim = session.kl_per_dim();
    snap->model = w.model;
    snap->model_version = w.model_version;
    snap->message = w.message;
    snap->message_is_error = w.message_is_error;
    snap->message_id = w.message_id;
    w.last_publish = now;
    snap->publish_seconds = std::chrono::duration<double>(Clock::now() - now).count();
    std::atomic_store(&published_, std::shared_ptr<const Snapshot>(snap));
    std::function<void(const Snapshot&)> callback;
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      callback = progress_callback_;
      done_cv_.notify_all();  // the constructor waits for the first snapshot
    }
    if (callback) callback(*snap);
  };
  auto save = [&](const std::string& path) {
    try {
      auto checkpoint = session.make_checkpoint();
      std::string with;
      if (save_timeline_ && timeline_) {
        checkpoint.timeline = timeline_->entries();
        with = " with its timeline (" + std::to_string(checkpoint.timeline.size()) + " points, " +
               describe_bytes(timeline_bytes(checkpoint.timeline)) + ")";
      }
      vae::save_checkpoint(checkpoint, path);
      say("saved checkpoint " + path + with, false);
      return true;
    } catch (const std::exception& error) {
      say(error.what(), true);
      return false;
    }
  };

  // Keeps the current weights in the timeline; a failure (the spill file) is said, not fatal.
  auto keep_point = [&](const TimelinePoint& point) {
    if (!timeline_) return;
    try {
      timeline_->add(point, flatten_weights(*session.freeze()));
    } catch (const std::exception& error) {
      say(std::string("the timeline could not keep this point: ") + error.what(), true);
    }
  };

  if (!session.data_warning().empty()) say(session.data_warning(), false);
  if (session.planned_epochs_done() && session.step() > 0) w.state = TrainerState::Finished;
  publish(true);

  while (!cancel_) {
    std::deque<Command> commands;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      const bool busy = w.state == TrainerState::Running || w.steps_requested > 0;
      if (!busy && queue_.empty()) {
        worker_waiting_ = true;
        done_cv_.notify_all();
        queue_cv_.wait(lock, [this] { return !queue_.empty() || cancel_.load(); });
        worker_waiting_ = false;
      }
      // Commands run in order: those behind a Step wait until its steps are taken, unless a
      // Pause or Stop behind it cancels the remaining steps.
      if (w.steps_requested > 0) {
        const bool interrupt = std::any_of(queue_.begin(), queue_.end(), [](const Command& c) {
          return c.kind == Command::Kind::Pause || c.kind == Command::Kind::Stop;
        });
        if (interrupt) w.steps_requested = 0;
      }
      while (!queue_.empty() && w.steps_requested == 0) {
        commands.push_back(std::move(queue_.front()));
        queue_.pop_front();
        if (commands.back().kind == Command::Kind::Step) break;
      }
    }
    if (cancel_) break;

    bool changed = !commands.empty();
    for (const Command& command : commands) {
      switch (command.kind) {
        case Command::Kind::Start:
        case Command::Kind::Resume:
          if (w.state == TrainerState::Failed) break;
          if (!session.trainable()) {
            say("this " + session.model()->capabilities().family + " is read-only: explore it, train models here",
                false);
            break;
          }
          if (session.planned_epochs_done()) {
            say("all " + std::to_string(session.train_config().epochs) +
                    " planned epochs are done; raise the epoch count to train on",
                false);
            w.state = TrainerState::Finished;
          } else {
            w.state = TrainerState::Running;
          }
          w.steps_requested = 0;
          break;
        case Command::Kind::Pause:
          if (w.state == TrainerState::Running) w.state = TrainerState::Paused;
          w.steps_requested = 0;
          break;
        case Command::Kind::Step:
          if (!session.trainable()) break;
          if (w.state != TrainerState::Running && w.state != TrainerState::Failed) {
            w.steps_requested += static_cast<int>(command.value);
            w.state = TrainerState::Paused;
          }
          break;
        case Command::Kind::Stop:
          if (w.state != TrainerState::Failed) w.state = TrainerState::Finished;
          w.steps_requested = 0;
          break;
        case Command::Kind::SetBeta:
          if (command.value >= 0) session.set_beta(command.value);
          break;
        case Command::Kind::SetLearningRate:
          if (command.value > 0) session.set_learning_rate(command.value);
          break;
        case Command::Kind::SetEpochs:
          if (command.value >= 0) session.set_epochs(static_cast<int>(command.value));
          break;
        case Command::Kind::SetIwSamples:
          if (command.value >= 0) session.set_iw_samples(static_cast<int>(command.value));
          break;
        case Command::Kind::SetStepHistoryRows:
          if (command.value >= double(StepHistory::kMinRows) && command.value <= double(StepHistory::kMaxRows))
            session.set_step_history_rows(static_cast<std::size_t>(command.value));
          break;
        case Command::Kind::Save:
          save(command.path);
          break;
        case Command::Kind::SetAutosave:
          w.autosave_path = command.path;
          break;
      }
    }
    if (changed) publish(true);

    const bool busy = w.state == TrainerState::Running || w.steps_requested > 0;
    if (!busy) continue;
    if (session.planned_epochs_done()) {
      w.state = TrainerState::Finished;
      w.steps_requested = 0;
      publish(true);
      continue;
    }

    const auto result = session.train_step();
    if (w.steps_requested > 0) --w.steps_requested;
    if (result == TrainingSession::StepResult::NonFinite) {
      say("the loss or its gradient became NaN/Inf at step " + std::to_string(session.step() + 1) +
              "; restored the weights of step " + std::to_string(session.last_good_step()) +
              ", skipped that batch and paused. Lower the learning rate or check the data, then resume.",
          true);
      w.state = TrainerState::Paused;
      w.steps_requested = 0;
      publish(true);
      continue;
    }
    if (session.epoch_complete()) {
      const EpochMetrics metrics = session.evaluate_epoch(&cancel_);
      TimelinePoint point;
      point.epoch = metrics.epoch;
      point.step = metrics.step;
      point.test_loss = metrics.test_loss;
      point.train_loss = metrics.train_loss;
      keep_point(point);
      // A failed autosave stops the run at once (paused, nothing discarded): training on
      // while nothing can be saved would lose every epoch after it.
      if (!w.autosave_path.empty() && !save(w.autosave_path)) {
        say("autosave failed, training paused: " + w.message + ". The last saved file is intact.", true);
        w.state = TrainerState::Paused;
        w.steps_requested = 0;
      }
      if (session.planned_epochs_done() && w.state == TrainerState::Running) w.state = TrainerState::Finished;
      publish(true);
      continue;
    }
    const std::int64_t every = timeline_ ? timeline_->budget().every_steps : 0;
    if (every > 0 && session.step() % every == 0) {
      TimelinePoint point;
      point.epoch = session.epoch();
      point.step = session.step();
      keep_point(point);
    }
    const auto now = Clock::now();
    const bool pause_now = w.state == TrainerState::Paused && w.steps_requested == 0;
    if (pause_now || now - w.last_model_publish >= kModelPublishInterval) {
      publish(true);
    } else if (now - w.last_publish >= std::chrono::milliseconds(session.train_config().publish_interval_ms)) {
      publish(false);
    }
  }
}

}  // namespace vae
