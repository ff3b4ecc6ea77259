#include "app/version.h"

#include <dlfcn.h>
#include <torch/version.h>  // the macros only; no torch.h here

#include "core/runtime/runtime.h"

#ifndef VAE_VERSION
#define VAE_VERSION "unknown"
#endif

namespace vae {

std::string version_text() {
  std::string text = "vae-explorer " VAE_VERSION "\n";
  text += "LibTorch " TORCH_VERSION "\n";
  const BlasInfo blas = detect_blas();
  text += "BLAS " + blas.library + (blas.is_reference ? " (reference BLAS: slow, install libopenblas0-pthread)" : "") +
          "\n";
  // Looked up at run time: the symbol exists only when OpenBLAS is the loaded libblas. Its line
  // names the version and the kernels it picked for this CPU.
  using GetConfig = const char* (*)();
  if (auto get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    if (const char* config = get_config()) text += std::string(config) + "\n";
  }
  text.pop_back();  // the caller ends the last line
  return text;
}

}  // namespace vae
