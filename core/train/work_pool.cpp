#include "core/train/work_pool.h"

#include <chrono>
#include <string>
#include <utility>

#include "core/runtime/thread_priority.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace vae {

namespace {

// How long a thread that has nothing to do spins before it sleeps. Long enough to catch the next
// pass of the same step (the serial parts between passes take microseconds), short against a
// frame's preemption (milliseconds), so a waiting thread soon frees its core.
constexpr auto kSpin = std::chrono::microseconds(50);

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or kSpin has passed; true when done.
template <typename Done>
bool spin_until(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      relax();
    }
    if (std::chrono::steady_clock::now() >= until) return done();
  }
}

}  // namespace

WorkPool::WorkPool(int threads) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this, i] { helper_loop(i); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  job_posted_.notify_all();
  for (auto& helper : helpers_) helper.join();
}

void WorkPool::work(std::unique_lock<std::mutex>& lock) {
  while (next_ < count_) {
    const int index = next_++;
    const Call call = call_;
    void* const context = context_;
    lock.unlock();
    std::exception_ptr error;
    try {
      call(context, index);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !error_) error_ = error;
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_ && caller_sleeping_) job_finished_.notify_one();
  }
}

void WorkPool::helper_loop(int index) {
  name_this_thread(("vae-step-" + std::to_string(index)).c_str());
  match_background_priority();
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (generation_.load(std::memory_order_relaxed) == seen && !stopping_) {
      lock.unlock();
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      lock.lock();
      ++sleeping_helpers_;
      job_posted_.wait(lock, [&] { return stopping_ || generation_.load(std::memory_order_relaxed) != seen; });
      --sleeping_helpers_;
    }
    if (stopping_) return;
    seen = generation_.load(std::memory_order_relaxed);
    work(lock);
  }
}

void WorkPool::run_tasks(int count, void* context, Call call) {
  if (count <= 0) return;
  if (helpers_.empty() || count == 1) {
    for (int i = 0; i < count; ++i) call(context, i);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  context_ = context;
  call_ = call;
  count_ = count;
  next_ = 0;
  finished_.store(0, std::memory_order_relaxed);
  error_ = nullptr;
  generation_.fetch_add(1, std::memory_order_release);
  if (sleeping_helpers_ > 0) job_posted_.notify_all();
  work(lock);
  if (finished_.load(std::memory_order_acquire) != count) {
    lock.unlock();
    spin_until([&] { return finished_.load(std::memory_order_acquire) == count; });
    lock.lock();
    caller_sleeping_ = true;
    job_finished_.wait(lock, [&] { return finished_.load(std::memory_order_relaxed) == count; });
    caller_sleeping_ = false;
  }
  count_ = 0;  // a helper that wakes late finds nothing to claim
  if (std::exception_ptr error = std::exchange(error_, nullptr)) std::rethrow_exception(error);
}

}  // namespace vae
