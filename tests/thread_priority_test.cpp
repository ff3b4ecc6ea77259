// Background threads go below the UI thread's priority only when a profile asks for it.
#include "core/runtime/thread_priority.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace {

int own_nice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

// The nice value a fresh thread has after enter_background_priority(), and its parent's.
std::pair<int, int> nice_in_new_thread() {
  const int parent = own_nice();
  int child = 0;
  std::thread([&child] {
    EXPECT_TRUE(vae::enter_background_priority());
    child = own_nice();
  }).join();
  return {parent, child};
}

class ThreadPriority : public ::testing::Test {
 protected:
  void TearDown() override { vae::set_background_niceness(0); }
};

TEST_F(ThreadPriority, OffByDefaultLeavesThreadsAlone) {
  vae::set_background_niceness(0);
  const auto [parent, child] = nice_in_new_thread();
  EXPECT_EQ(child, parent);
}

TEST_F(ThreadPriority, LowersOnlyTheCallingThread) {
  vae::set_background_niceness(3);
  const auto [parent, child] = nice_in_new_thread();
  if (parent + 3 > 19) GTEST_SKIP() << "already at nice " << parent;
  EXPECT_EQ(child, parent + 3);
  EXPECT_EQ(own_nice(), parent) << "the caller's own priority must not change";
}

TEST_F(ThreadPriority, NegativeIncrementIsIgnored) {
  vae::set_background_niceness(-5);
  EXPECT_EQ(vae::background_niceness(), 0);
}

TEST_F(ThreadPriority, LowersThreadsThatAlreadyRun) {
  vae::set_background_niceness(2);
  std::mutex mutex;
  std::condition_variable cv;
  bool measured = false, release = false;
  int before = 0, after = 0;
  std::thread pool_thread([&] {
    std::unique_lock<std::mutex> lock(mutex);
    before = own_nice();
    measured = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    after = own_nice();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return measured; });
  }
  const int caller = own_nice();
  EXPECT_GE(vae::lower_existing_threads(), 1);
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  pool_thread.join();
  if (before + 2 > 19) GTEST_SKIP() << "already at nice " << before;
  EXPECT_EQ(after, before + 2);
  EXPECT_EQ(own_nice(), caller);
}

}  // namespace

TEST(ThreadName, ShowsInProcAndIsShortened) {
  std::string seen;
  std::thread([&seen] {
    vae::name_this_thread("vae-a-rather-long-thread-name");
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    seen = name;
  }).join();
  EXPECT_EQ(seen, "vae-a-rather-lo");  // 15 characters: what the kernel keeps
}
