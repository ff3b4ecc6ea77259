#include "core/runtime/runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

std::string configure_threads(ThreadProfile profile, int torch_threads) {
  // Measured on 2 cores (docs in README): torch's OpenMP intra-op threads busy-wait and starve
  // OpenBLAS's own pthreads (2 torch threads: 4x slower), so torch always gets 1. Headless,
  // OpenBLAS on both cores is fastest (24-26k samples/s); with a window, the UI thread and Mesa's
  // llvmpipe need the second core, and OpenBLAS on 1 thread keeps training steady.
  torch::set_num_threads(torch_threads > 0 ? torch_threads : 1);
  const int blas_threads = profile == ThreadProfile::Headless ? 0 : 1;  // 0: OpenBLAS's default
  // Looked up at run time: the symbol exists only when OpenBLAS is the loaded libblas.
  using SetThreads = void (*)(int);
  auto set_blas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  using GetThreads = int (*)();
  auto get_blas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (set_blas_threads && blas_threads > 0 && !std::getenv("OPENBLAS_NUM_THREADS")) set_blas_threads(blas_threads);
  std::ostringstream out;
  out << "torch threads " << torch::get_num_threads() << ", BLAS threads ";
  if (get_blas_threads)
    out << get_blas_threads();
  else
    out << "n/a";
  const BlasInfo blas = detect_blas();
  out << ", BLAS " << (blas.is_openblas ? "OpenBLAS" : blas.is_reference ? "reference (slow!)" : "unknown");
  return out.str();
}

}  // namespace vae
