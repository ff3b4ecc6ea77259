#pragma once
// A fork-join pool for the passes of one training step (the fused MLP step's GEMM blocks,
// element-wise row blocks and Adam chunks), built to share the cores with a window.
//
// Why not OpenBLAS's or LibTorch's own threads: both hand each thread a fixed share of the work,
// and OpenBLAS's threads spin while they wait for each other. When a frame (UI thread, llvmpipe,
// Xvfb) preempts one of two training threads, the other finishes its share and then spins on its
// core, so the preempted thread cannot move there: the step stalls for as long as the frame runs.
// Measured on 2 cores with a competitor taking 20 % of one core: 2 OpenBLAS threads fell from
// 29.7k to 17.9k samples/s, below 1 thread's 19.5k.
//
// Here every thread claims the next task when it is free, so a preempted thread holds up at most
// the task it is in; a thread that runs out of tasks spins for a few microseconds and then sleeps,
// which frees its core for the preempted one. Task boundaries never depend on the thread count,
// so results are the same with any number of threads. Torch-free.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace vae {

class WorkPool {
 public:
  // `threads` >= 1 threads work on each run: the calling thread and threads - 1 helpers, which
  // run at the background priority (thread_priority.h) and are named "vae-step-N".
  explicit WorkPool(int threads);
  ~WorkPool();  // joins the helpers
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // Calls task(i) once for each i in [0, count) and returns when every call has returned. The
  // first exception a task throws is rethrown here once the others are done. One run at a time.
  template <typename Task>
  void run(int count, Task&& task) {
    using Decayed = std::remove_reference_t<Task>;
    run_tasks(count, const_cast<void*>(static_cast<const void*>(&task)),
              [](void* context, int index) { (*static_cast<Decayed*>(context))(index); });
  }

 private:
  using Call = void (*)(void* context, int index);
  void run_tasks(int count, void* context, Call call);
  void helper_loop(int index);
  // Claims and runs tasks of the current job until none is left; `lock` holds mutex_.
  void work(std::unique_lock<std::mutex>& lock);

  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable job_posted_;    // helpers sleep here between jobs
  std::condition_variable job_finished_;  // the caller sleeps here for the last tasks
  // The job: read and written under mutex_; generation_ and finished_ are also read without it
  // by threads spinning before they sleep.
  void* context_ = nullptr;
  Call call_ = nullptr;
  int count_ = 0;
  int next_ = 0;
  std::atomic<int> finished_{0};
  std::atomic<std::uint64_t> generation_{0};
  int sleeping_helpers_ = 0;
  bool caller_sleeping_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace vae
