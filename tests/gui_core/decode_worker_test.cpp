#include "app/gui/logic/decode_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace vae::gui {
namespace {

using namespace std::chrono_literals;

Image filled(float value, int size = 2) {
  Image image(1, size, size);
  for (float& p : image.pixels) p = value;
  return image;
}

// Polls take() until a result arrives or two seconds pass.
std::optional<Decoded> wait_for(DecodeWorker& worker, int slot) {
  for (int i = 0; i < 400; ++i) {
    if (auto done = worker.take(slot)) return done;
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

TEST(DecodeWorker, DeliversTheResultAsImageAndRgba) {
  DecodeWorker worker;
  const int slot = worker.add_slot();
  worker.submit(slot, 42, [](const CancelToken&) { return filled(1.f); });
  const auto done = wait_for(worker, slot);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->key, 42u);
  EXPECT_TRUE(done->error.empty());
  EXPECT_EQ(done->image.width, 2);
  ASSERT_EQ(done->rgba.size(), 16u);
  EXPECT_EQ(done->rgba[0], 255);
  EXPECT_FALSE(worker.take(slot));  // taken once
  EXPECT_FALSE(worker.busy(slot));
}

TEST(DecodeWorker, LatestRequestWinsAndRunningWorkIsCancelled) {
  DecodeWorker worker;
  const int slot = worker.add_slot();
  std::atomic<bool> started{false}, saw_cancel{false};
  // A slow job that checks its token, as the grid jobs do between batches.
  worker.submit(slot, 1, [&](const CancelToken& cancel) {
    started = true;
    for (int i = 0; i < 400; ++i) {
      if (cancel.cancelled()) saw_cancel = true;
      cancel.check();
      std::this_thread::sleep_for(5ms);
    }
    return filled(0.1f);
  });
  while (!started) std::this_thread::sleep_for(1ms);
  worker.submit(slot, 2, [](const CancelToken&) { return filled(0.2f); });
  worker.submit(slot, 3, [](const CancelToken&) { return filled(0.3f); });  // replaces 2 before it starts
  const auto done = wait_for(worker, slot);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->key, 3u);
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(worker.cancelled(), 1u);
  EXPECT_EQ(worker.replaced(), 1u);
  EXPECT_EQ(worker.completed(), 1u);  // request 2 never ran
}

TEST(DecodeWorker, CountsTheCpuTimeOfItsJobs) {
  DecodeWorker worker;
  const int slot = worker.add_slot();
  worker.submit(slot, 1, [](const CancelToken&) {
    // About 30 ms of work; a sleeping job would cost (almost) nothing.
    volatile double sink = 0;
    const auto end = std::chrono::steady_clock::now() + 30ms;
    while (std::chrono::steady_clock::now() < end) sink = sink + 1;
    return filled(0.f);
  });
  const auto done = wait_for(worker, slot);
  ASSERT_TRUE(done);
  EXPECT_GT(done->seconds, 0.0);
  EXPECT_LE(done->seconds, 0.2);
  EXPECT_NEAR(worker.busy_seconds(), done->seconds, 1e-5);
}

TEST(DecodeWorker, ErrorsComeBackAsMessages) {
  DecodeWorker worker;
  const int slot = worker.add_slot();
  worker.submit(slot, 7, [](const CancelToken&) -> Image { throw std::runtime_error("no weights"); });
  const auto done = wait_for(worker, slot);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->key, 7u);
  EXPECT_EQ(done->error, "no weights");
  EXPECT_TRUE(done->rgba.empty());
}

TEST(DecodeWorker, SlotsAreIndependentAndServedInOrder) {
  DecodeWorker worker;
  const int a = worker.add_slot(), b = worker.add_slot();
  std::vector<int> order;
  std::mutex mutex;
  auto job = [&](int id) {
    return [&, id](const CancelToken&) {
      std::lock_guard<std::mutex> lock(mutex);
      order.push_back(id);
      return filled(float(id) / 10.f);
    };
  };
  worker.submit(b, 10, job(2));
  worker.submit(a, 20, job(1));
  const auto from_a = wait_for(worker, a), from_b = wait_for(worker, b);
  ASSERT_TRUE(from_a && from_b);
  EXPECT_EQ(from_a->key, 20u);
  EXPECT_EQ(from_b->key, 10u);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(order, (std::vector<int>{2, 1}));  // oldest request first
}

TEST(DecodeWorker, HandsOutAtMostTheFramesShareOfResults) {
  DecodeWorker worker;
  worker.set_results_per_frame(1);
  const int a = worker.add_slot(), b = worker.add_slot();
  worker.submit(a, 1, [](const CancelToken&) { return filled(0.f); });
  worker.submit(b, 2, [](const CancelToken&) { return filled(1.f); });
  for (int i = 0; i < 400 && worker.completed() < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(worker.completed(), 2u);
  worker.begin_frame();
  EXPECT_TRUE(worker.take(a));
  EXPECT_FALSE(worker.held_back());
  EXPECT_FALSE(worker.take(b));  // the frame's one result is used
  EXPECT_TRUE(worker.held_back());
  worker.begin_frame(0);  // a frame with enough to draw already
  EXPECT_FALSE(worker.take(b));
  worker.begin_frame();
  EXPECT_FALSE(worker.held_back());
  EXPECT_TRUE(worker.take(b));  // the next frame's
}

TEST(DecodeWorker, DestructorCancelsRunningWorkAndJoins) {
  std::atomic<bool> started{false};
  const auto t0 = std::chrono::steady_clock::now();
  {
    DecodeWorker worker;
    const int slot = worker.add_slot();
    worker.submit(slot, 1, [&](const CancelToken& cancel) {
      started = true;
      for (int i = 0; i < 2000; ++i) {
        cancel.check();
        std::this_thread::sleep_for(5ms);
      }
      return filled(0.f);
    });
    while (!started) std::this_thread::sleep_for(1ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // did not wait for the 10 s job
}

}  // namespace
}  // namespace vae::gui
