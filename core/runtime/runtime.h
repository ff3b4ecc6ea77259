#pragma once
// Process-wide numeric settings: which BLAS is loaded and how many threads compute uses.
#include <string>

namespace vae {

struct BlasInfo {
  std::string library;  // path of the mapped libblas, or "unknown"
  bool is_openblas = false;
  bool is_reference = false;  // netlib's reference BLAS: about 10x slower for this work
};
BlasInfo detect_blas();

// How the cores are budgeted (measured on 2 cores; README, "Training throughput"):
//  - the fused MLP step's own pool (work_pool.h) does the training: step_threads() threads;
//  - LibTorch and OpenBLAS threads do everything else (evaluation, decoding, the autograd path
//    and the conv family);
//  - with the window, llvmpipe rasterises on LP_NUM_THREADS=2 threads (window.cpp) and the UI
//    thread, llvmpipe and the window's background jobs (at nice +10) take what they need first;
//    the trainer gets every cycle they leave.
enum class ThreadProfile {
  Headless,   // CLI training: 2 torch threads (CLI --torch-threads), OpenBLAS's default, step pool 2
  WithWindow  // 1 torch thread, 1 OpenBLAS thread, step pool 2; background threads at nice +10
};
// Applies the measured thread settings; call once before the first tensor operation.
// Returns a one-line description for logs and the status bar.
// torch_threads > 0, else the VAE_TORCH_THREADS environment variable, overrides the profile's
// torch thread count (for benchmarks); OPENBLAS_NUM_THREADS, when set, overrides the BLAS count.
std::string configure_threads(ThreadProfile profile, int torch_threads = 0);

// OpenBLAS's thread count, looked up at run time (the symbols exist only when OpenBLAS is the
// loaded libblas): 0 from blas_threads() and nothing done by set_blas_threads() otherwise.
int blas_threads();
void set_blas_threads(int threads);

// Threads of the fused MLP training step's own pool (work_pool.h), as configure_threads set them:
// the torch thread count headless; both of two cores with the window, since the pool tolerates
// a frame preempting one of its threads. VAE_STEP_THREADS overrides it (for benchmarks).
int step_threads();

}  // namespace vae
