#pragma once
// A background thread that turns requests into pictures, so that no decode longer than a frame
// runs on the UI thread. Each client (a grid panel, the cursor image) owns a slot; the latest
// request per slot wins: a request still waiting is replaced, one already running is told to
// stop (its CancelToken) and its result is thrown away. The UI thread collects finished results
// with take() and uploads them; GL never leaves the UI thread. Torch-free and GL-free.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/image.h"

namespace vae::gui {

// Thrown by CancelToken::check() to unwind a superseded job; the worker swallows it.
struct Cancelled {};

class CancelToken {
 public:
  CancelToken() = default;
  explicit CancelToken(std::shared_ptr<const std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  bool cancelled() const { return flag_ && flag_->load(std::memory_order_relaxed); }
  // Call between stages of a long job.
  void check() const {
    if (cancelled()) throw Cancelled{};
  }

 private:
  std::shared_ptr<const std::atomic<bool>> flag_;
};

struct Decoded {
  std::uint64_t key = 0;           // the request's key
  Image image;                     // what the job returned (empty on error)
  std::vector<std::uint8_t> rgba;  // the same as RGBA8, converted on the worker
  std::string error;               // the job's exception message; empty on success
  double seconds = 0;              // CPU time the job took
};

class DecodeWorker {
 public:
  using Job = std::function<Image(const CancelToken&)>;

  DecodeWorker();
  ~DecodeWorker();  // cancels what runs, drops what waits, joins the thread
  DecodeWorker(const DecodeWorker&) = delete;
  DecodeWorker& operator=(const DecodeWorker&) = delete;

  // A new client slot.
  int add_slot();
  // Queues `job` for `slot`, superseding whatever the slot asked for before.
  void submit(int slot, std::uint64_t key, Job job);
  // The newest finished result for `slot` not yet taken; none while this frame's hand-outs are
  // used up (set_results_per_frame).
  std::optional<Decoded> take(int slot);

  // Spreads finished pictures over frames: at most `count` are handed out between two calls of
  // begin_frame() (0: no limit). When a model publication makes every grid panel decode again,
  // uploading and repainting all of them in one frame is what made a frame slow on a software
  // rasteriser; one a frame keeps each frame short. UI thread.
  void set_results_per_frame(int count) { results_per_frame_ = frame_limit_ = count; }
  // `allowed`: this frame's share, when not the usual one (0: none, the frame has enough to draw).
  void begin_frame(int allowed = -1) {
    handed_out_ = 0, held_back_ = false;
    frame_limit_ = allowed >= 0 ? allowed : results_per_frame_;
  }
  // A finished result was asked for this frame and held back: the next frame should come at once.
  bool held_back() const { return held_back_; }
  // A request of `slot` is waiting or running.
  bool busy(int slot) const;

  // Counters, for tests and measurements.
  std::uint64_t completed() const { return completed_.load(); }
  std::uint64_t cancelled() const { return cancelled_.load(); }
  std::uint64_t replaced() const { return replaced_.load(); }
  // CPU seconds spent running jobs so far: how busy the worker keeps a core.
  double busy_seconds() const { return double(busy_us_.load()) * 1e-6; }

 private:
  struct Slot {
    Job job;  // waiting request (empty when none)
    std::uint64_t key = 0;
    std::uint64_t order = 0;  // submission order: oldest waiting request runs first
    bool running = false;
    std::shared_ptr<std::atomic<bool>> running_cancel;
    std::optional<Decoded> result;
  };
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, Slot> slots_;
  int next_slot_ = 0;
  std::uint64_t next_order_ = 0;
  bool stop_ = false;
  int results_per_frame_ = 0, handed_out_ = 0, frame_limit_ = 0;  // UI thread only
  bool held_back_ = false;
  std::atomic<std::uint64_t> completed_{0}, cancelled_{0}, replaced_{0}, busy_us_{0};
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace vae::gui
