// long-run-rss [STEPS=100000] [ROWS=20] [TIMELINE_MB]: a long headless run on the synthetic set with a tiny MLP
// (784-16-2, batch 6: 1000 steps an epoch), printing at ROWS points the resident memory, the
// metric history's size (rows, steps per row, chunks) and what publishing a snapshot costs the
// worker. With the history shared between snapshots (core/train/chunked_log.h) the publication
// cost stays flat, and with its rows bounded (core/train/step_history.h: old steps thinned into
// means) so does the memory. bench/long_run_rss.sh runs it (10^6 steps by default).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <vector>

#include "core/data/dataset.h"
#include "core/train/trainer.h"

namespace {

double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(::sysconf(_SC_PAGESIZE)) / 1e6;
}

// Bytes malloc has handed out and not had back (small blocks and mmapped ones): what the
// program holds, as opposed to RSS, which also counts pages the allocator keeps for reuse.
double malloc_in_use_mb() {
  const struct mallinfo2 info = ::mallinfo2();
  return double(info.uordblks + info.hblkhd) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const long steps = argc > 1 ? std::atol(argv[1]) : 100000;
  const int rows = argc > 2 ? std::atoi(argv[2]) : 20;
  if (steps < 1000 || rows < 1) {
    std::fprintf(stderr, "usage: long-run-rss [STEPS >= 1000] [ROWS >= 1]\n");
    return 2;
  }
  constexpr int kStepsPerEpoch = 1000;
  constexpr int kBatch = 6;
  auto data = std::make_shared<const vae::Dataset>(vae::make_synthetic(kStepsPerEpoch * kBatch, 60, 1));
  vae::ModelConfig model;
  model.channels = data->channels;
  model.height = data->height;
  model.width = data->width;
  model.hidden = {16};
  model.latent = 2;
  vae::TrainConfig train;
  train.batch_size = kBatch;
  train.epochs = int((steps + kStepsPerEpoch - 1) / kStepsPerEpoch);
  train.iw_samples = 0;

  struct Window {
    long publications = 0;
    double publish_sum = 0, publish_max = 0;
  };
  std::mutex mutex;
  Window window;
  long next_row = 0;
  const auto started = std::chrono::steady_clock::now();
  // "timeline MB": the run timeline's weights in memory (core/train/timeline.h), one copy of the
  // model per epoch up to its own budget (256 MB by default), the other thing a long run keeps.
  std::printf("%10s %9s %9s %9s %9s %10s %7s %8s %14s %14s\n", "step", "seconds", "RSS MB", "malloc MB", "timeline",
              "history", "stride", "chunks", "publish mean", "publish max");
  vae::Trainer trainer(data, model, train);
  if (argc > 3) {  // the timeline's memory budget, to tell its growth from the rest
    vae::TimelineBudget budget;
    budget.memory_bytes = std::uint64_t(std::atol(argv[3])) * vae::TimelineBudget::kMegabyte;
    trainer.set_timeline_budget(budget);
  }
  trainer.set_progress_callback([&](const vae::Snapshot& s) {
    std::lock_guard<std::mutex> lock(mutex);
    ++window.publications;
    window.publish_sum += s.publish_seconds;
    window.publish_max = std::max(window.publish_max, s.publish_seconds);
    if (s.step < next_row) return;
    next_row = s.step + std::max(1L, steps / rows);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double timeline_mb = trainer.timeline() ? double(trainer.timeline()->memory_bytes()) / 1e6 : 0.0;
    std::printf("%10lld %9.1f %9.1f %9.1f %9.1f %10zu %7u %8zu %11.1f us %11.1f us\n", static_cast<long long>(s.step),
                seconds, resident_mb(), malloc_in_use_mb(), timeline_mb, s.history.steps.size(),
                s.history.steps.stride(), s.history.steps.chunk_count(),
                1e6 * window.publish_sum / double(window.publications), 1e6 * window.publish_max);
    std::fflush(stdout);
    window = Window{};
  });
  trainer.start();
  trainer.wait_until_done();
  const auto last = trainer.snapshot();
  std::printf("done: %lld steps, history %s, RSS %.1f MB, state %s\n", static_cast<long long>(last->step),
              last->history.steps.describe().c_str(), resident_mb(), vae::to_string(last->state));
  // Before the history was shared, every publication copied it as a std::vector: time that copy
  // of the final history once (after the RSS readings, which it would inflate).
  const std::vector<vae::StepMetrics> as_vector(last->history.steps.begin(), last->history.steps.end());
  const auto copy_started = std::chrono::steady_clock::now();
  const std::vector<vae::StepMetrics> copy = as_vector;
  const double copy_ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - copy_started).count();
  std::printf(
      "for comparison, copying this history as a std::vector (what each publication cost before): %.1f ms "
      "for %zu steps\n",
      copy_ms, copy.size());
  return 0;
}
