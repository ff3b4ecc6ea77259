// The training step's thread pool: every task once, errors carried back, and no fixed shares: a
// task that stalls its thread does not hold up the tasks the other threads can take.
#include "core/train/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace vae {
namespace {

TEST(WorkPool, RunsEveryTaskOnceAcrossManyRuns) {
  WorkPool pool(3);
  EXPECT_EQ(pool.threads(), 3);
  for (int run = 0; run < 2000; ++run) {
    const int count = run % 13;  // 0 and 1 included: nothing to split, or run inline
    std::vector<std::atomic<int>> calls(static_cast<std::size_t>(count));
    pool.run(count, [&](int i) { calls[static_cast<std::size_t>(i)].fetch_add(1); });
    for (int i = 0; i < count; ++i) ASSERT_EQ(calls[static_cast<std::size_t>(i)].load(), 1) << "run " << run;
  }
}

TEST(WorkPool, OneThreadRunsInOrderOnTheCaller) {
  WorkPool pool(1);
  std::vector<int> order;
  const auto caller = std::this_thread::get_id();
  pool.run(5, [&](int i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(WorkPool, TheFirstErrorIsRethrownAfterTheOtherTasks) {
  WorkPool pool(2);
  std::atomic<int> done{0};
  EXPECT_THROW(pool.run(8,
                        [&](int i) {
                          if (i == 2) throw std::runtime_error("task 2");
                          done.fetch_add(1);
                        }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 7);
  // The pool still works afterwards.
  std::atomic<int> again{0};
  pool.run(4, [&](int) { again.fetch_add(1); });
  EXPECT_EQ(again.load(), 4);
}

// What a frame preempting one training thread looks like to the pool: one task stalls its thread.
// With fixed shares, the stalled thread's share would wait for it; here the other thread takes
// every other task meanwhile.
TEST(WorkPool, AStalledTaskDoesNotHoldUpTheOthers) {
  WorkPool pool(2);
  std::mutex mutex;
  std::vector<std::thread::id> ran_on(16);
  std::thread::id stalled;
  pool.run(16, [&](int i) {
    if (i == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::lock_guard<std::mutex> lock(mutex);
      stalled = std::this_thread::get_id();
    }
    std::lock_guard<std::mutex> lock(mutex);
    ran_on[static_cast<std::size_t>(i)] = std::this_thread::get_id();
  });
  for (int i = 1; i < 16; ++i) EXPECT_NE(ran_on[static_cast<std::size_t>(i)], stalled) << "task " << i;
}

}  // namespace
}  // namespace vae
