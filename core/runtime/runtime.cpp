#include "core/runtime/runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/runtime/cpu_kernel.h"
#include "core/runtime/thread_priority.h"

namespace vae {

BlasInfo detect_blas() {
  // at::show_config() says BLAS_INFO=generic whichever libblas.so.3 the alternatives system
  // picked, so look at what is actually mapped into the process.
  BlasInfo info;
  info.library = "unknown";
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("openblas") != std::string::npos) {
      info.library = path;
      info.is_openblas = true;
      info.is_reference = false;
      break;
    }
    if (path.find("libblas.so") != std::string::npos) {
      info.library = path;
      info.is_reference = true;
    }
  }
  return info;
}

namespace {
// CFS weights: nice 0 against nice 10 is 1024 : 110, so a waking UI thread preempts the trainer
// at once and gets ~90 % of a contended core; the trainer keeps all the time the UI leaves idle.
constexpr int kWindowBackgroundNice = 10;
// The fused step's pool with the window: two threads (bench/window_fluidity.sh, README).
constexpr int kWindowStepThreads = 2;
std::atomic<int> configured_step_threads{1};
}  // namespace

int blas_threads() {
  using GetThreads = int (*)();
  static const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : 0;
}

void set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set && threads > 0) set(threads);
}

int step_threads() {
  if (const char* env = std::getenv("VAE_STEP_THREADS"); env && std::atoi(env) > 0) return std::min(std::atoi(env), 64);
  return configured_step_threads.load();
}

std::string configure_threads(ThreadProfile profile, int torch_threads) {
  // Measured on this 2-core machine with the reference model (bench/train_throughput.sh, README):
  // headless, 2 torch intra-op threads with OpenBLAS on both cores is fastest (18.6k samples/s vs
  // 15.8k with 1 torch thread, 5 epochs, same losses). With the window, the UI thread and Mesa's
  // llvmpipe need a core too: 1 torch thread and 1 OpenBLAS thread keep frames and training steady.
  // The MLP's fused step has its own pool that tolerates preemption (work_pool.h): it takes both
  // cores with the window too, at the background priority.
  // VAE_TORCH_THREADS and OPENBLAS_NUM_THREADS override the profile (for benchmarks).
  int threads = profile == ThreadProfile::Headless ? 2 : 1;
  // With the window, background threads (trainer, decoders, encoders) run kWindowBackgroundNice
  // below the UI thread so that a frame never queues behind a training step (thread_priority.h).
  set_background_niceness(profile == ThreadProfile::WithWindow ? kWindowBackgroundNice : 0);
  // OpenBLAS started its pool when it loaded, from this (the UI) thread: lower it too.
  if (profile == ThreadProfile::WithWindow) lower_existing_threads();
  if (const char* env = std::getenv("VAE_TORCH_THREADS"); env && std::atoi(env) > 0) threads = std::atoi(env);
  if (torch_threads > 0) threads = torch_threads;
  torch::set_num_threads(threads);
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  configured_step_threads.store(profile == ThreadProfile::Headless ? threads : std::min(kWindowStepThreads, cores));
  // The window's profile holds OpenBLAS at one thread; headless keeps OpenBLAS's default.
  if (profile == ThreadProfile::WithWindow && !std::getenv("OPENBLAS_NUM_THREADS")) set_blas_threads(1);
  std::ostringstream out;
  out << "torch threads " << torch::get_num_threads() << ", BLAS threads ";
  if (const int blas = blas_threads(); blas > 0)
    out << blas;
  else
    out << "n/a";
  out << ", step threads " << step_threads();
  if (background_niceness() > 0) out << ", background nice +" << background_niceness();
  out << "; BLAS " << active_blas_kernel().describe();
  return out.str();
}

}  // namespace vae
