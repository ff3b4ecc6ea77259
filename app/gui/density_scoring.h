#pragma once
// The Density panel's background work (panel_density.cpp): scoring the test set and a second data
// set against one model's weights, then encoding their images for the galleries' clicks. Runs on
// its own thread with progress and cancellation, never in a frame.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include "core/data/dataset.h"
#include "core/eval/inference.h"
#include "core/eval/ood.h"

namespace vae::gui {

// One scored set: its images (the split scored is always `data->test`), the scores and the
// posterior means, for making a gallery image the cursor.
struct ScoredSet {
  std::string name;
  std::shared_ptr<const Dataset> data;
  ExampleScores scores;
  LatentCodes codes;  // empty when the model could not encode the set (shown as such)
};

struct Scored {
  ScoredSet sets[2];
  bool has_second = false;
  int iw_samples = 0;
  std::size_t dims = 0;
  std::uint64_t model_serial = 0;
  int epoch = 0;
  double seconds = 0;
};

// The background work: score each set, then encode its images (for the gallery's clicks).
class ScoringJob {
 public:
  struct Request {
    std::shared_ptr<const Inference> inference;
    std::shared_ptr<const Dataset> test_data;
    std::shared_ptr<const Dataset> second;
    std::string second_name;
    OodScoreOptions options;
    std::uint64_t model_serial = 0;
    int epoch = 0;
  };

  // Starts the work on its own thread at once.
  explicit ScoringJob(Request request);
  ~ScoringJob() {
    cancel_ = true;
    if (result_.valid()) result_.wait();
  }
  ScoringJob(const ScoringJob&) = delete;
  ScoringJob& operator=(const ScoringJob&) = delete;

  bool done() const { return result_.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }
  std::shared_ptr<const Scored> take() { return result_.get(); }  // rethrows the job's error
  void cancel() { cancel_ = true; }
  bool cancelling() const { return cancel_; }
  double fraction() const { return fraction_; }
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  int stage() const { return stage_; }

 private:
  std::shared_ptr<const Scored> run(const Request& r);

  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> cancel_{false};
  std::atomic<double> fraction_{0};
  std::atomic<int> stage_{0};
  std::future<std::shared_ptr<const Scored>> result_;
};

}  // namespace vae::gui
