#include "app/version.h"

#include <dlfcn.h>
#include <torch/version.h>  // the macros only; no torch.h here

#include <sstream>

#include "core/runtime/cpu_kernel.h"
#include "core/runtime/runtime.h"

#ifndef VAE_VERSION
#define VAE_VERSION "unknown"
#endif

namespace vae {

std::string version_text() {
  std::ostringstream out;
  out << "vae-explorer " VAE_VERSION "\n"
      << "LibTorch " TORCH_VERSION "\n";
  const BlasInfo blas = detect_blas();
  out << "BLAS library " << blas.library
      << (blas.is_reference ? " (reference BLAS: slow, install libopenblas0-pthread)" : "") << "\n"
      << "BLAS: " << active_blas_kernel().describe() << "\n";
  // Looked up at run time: the symbol exists only when OpenBLAS is the loaded libblas. Its line
  // names the version and the kernels it picked for this CPU.
  using GetConfig = const char* (*)();
  if (auto get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    if (const char* config = get_config()) out << config << "\n";
  }
  const CpuFeatures cpu = read_cpu_features();
  out << "CPU: " << (cpu.vendor.empty() ? "unknown" : cpu.vendor) << " family " << cpu.family << " model " << cpu.model
      << (cpu.avx512f && cpu.os_saves_zmm ? ", AVX-512"
          : cpu.avx2                      ? ", AVX2"
                                          : "")
      << (cpu.avx512_bf16 ? " BF16" : "");
  return out.str();
}

}  // namespace vae
