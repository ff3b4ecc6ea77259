#include "app/version.h"

#include <torch/version.h>  // macros only: no LibTorch headers behind it

#include <sstream>

#include "core/runtime/cpu_kernel.h"

namespace vae::cli {

std::string version_text() {
  const CpuFeatures cpu = read_cpu_features();
  std::ostringstream out;
  out << "vae-explorer " << kProgramVersion << "\n"
      << "LibTorch " << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "." << TORCH_VERSION_PATCH << "\n"
      << "BLAS: " << active_blas_kernel().describe() << "\n"
      << "CPU: " << (cpu.vendor.empty() ? "unknown" : cpu.vendor) << " family " << cpu.family << " model " << cpu.model
      << (cpu.avx512f && cpu.os_saves_zmm ? ", AVX-512"
          : cpu.avx2                      ? ", AVX2"
                                          : "")
      << (cpu.avx512_bf16 ? " BF16" : "");
  return out.str();
}

}  // namespace vae::cli
