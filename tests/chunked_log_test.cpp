// ChunkedLog (core/train/chunked_log.h): copies share elements, never see later appends, and may
// append themselves without disturbing the original, also while it grows on another thread.
#include "core/train/chunked_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "core/train/metrics.h"

namespace vae {
namespace {

using Log = ChunkedLog<std::string, 4>;

TEST(ChunkedLog, AppendsAndIndexesAcrossChunks) {
  Log log;
  for (int i = 0; i < 11; ++i) log.push_back(std::to_string(i));
  ASSERT_EQ(log.size(), 11u);
  EXPECT_EQ(log.chunk_count(), 3u);
  for (int i = 0; i < 11; ++i) EXPECT_EQ(log[i], std::to_string(i));
  EXPECT_EQ(log.front(), "0");
  EXPECT_EQ(log.back(), "10");
  int n = 0;
  for (const auto& s : log) EXPECT_EQ(s, std::to_string(n++));
  EXPECT_EQ(n, 11);
  ChunkedLog<int, 4> numbers;
  for (int i = 0; i < 11; ++i) numbers.push_back(i * 10);
  EXPECT_EQ(std::lower_bound(numbers.begin(), numbers.end(), 45) - numbers.begin(), 5);
}

TEST(ChunkedLog, CopiesKeepWhatTheySawAndAppendIndependently) {
  Log original;
  for (int i = 0; i < 6; ++i) original.push_back("o" + std::to_string(i));
  Log copy = original;  // shares the full chunk and the half-full one
  original.push_back("o6");
  copy.push_back("c6");  // clones the half-full chunk first
  copy.push_back("c7");
  original.push_back("o7");
  ASSERT_EQ(original.size(), 8u);
  ASSERT_EQ(copy.size(), 8u);
  EXPECT_EQ(original[6], "o6");
  EXPECT_EQ(original[7], "o7");
  EXPECT_EQ(copy[5], "o5");
  EXPECT_EQ(copy[6], "c6");
  EXPECT_EQ(copy[7], "c7");
  Log moved = std::move(original);
  moved.push_back("o8");
  EXPECT_EQ(moved.size(), 9u);
  EXPECT_EQ(copy.size(), 8u);
  moved.clear();
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(copy[0], "o0");  // a copy keeps what it saw after the original is cleared
}

TEST(ChunkedLog, MetricHistoryCopyCostsChunksNotSteps) {
  MetricHistory history;
  const int steps = int(StepHistory::kMaxRows) - 1;  // below the bound: one row per step
  for (int i = 0; i < steps; ++i) {
    StepMetrics s;
    s.step = i + 1;
    s.terms = {1.f, 2.f};
    history.steps.push_back(std::move(s));
  }
  const MetricHistory copy = history;
  ASSERT_EQ(copy.steps.size(), std::size_t(steps));
  EXPECT_EQ(copy.steps.chunk_count(), (steps + StepHistory::Rows::kChunkSize - 1) / StepHistory::Rows::kChunkSize);
  EXPECT_EQ(&copy.steps[1234], &history.steps[1234]);  // the same element, not a copy of it
}

// A writer appends while readers take copies and read them (run under TSan in CI).
TEST(ChunkedLog, ReadersOfCopiesRaceWithNothing) {
  ChunkedLog<StepMetrics, 64> log;
  std::shared_ptr<const ChunkedLog<StepMetrics, 64>> published = std::make_shared<ChunkedLog<StepMetrics, 64>>();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      StepMetrics s;
      s.step = i;
      s.terms = {float(i)};
      log.push_back(std::move(s));
      if (i % 7 == 0) std::atomic_store(&published, std::make_shared<const ChunkedLog<StepMetrics, 64>>(log));
    }
    done = true;
  });
  std::int64_t checked = 0;
  // Until the writer is done, and at least once after a publication: on a loaded machine the
  // writer can finish before this thread first runs (seen once in a full ctest -j2 run).
  while (!done || checked == 0) {
    const auto snapshot = std::atomic_load(&published);
    for (std::size_t i = 0; i < snapshot->size(); i += 97) {
      ASSERT_EQ((*snapshot)[i].step, std::int64_t(i));
      ASSERT_EQ((*snapshot)[i].terms[0], float(i));
      ++checked;
    }
  }
  writer.join();
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace vae
