#pragma once
// What `vae-explorer --version` prints: program, LibTorch, the active BLAS kernel and the CPU.
#include <string>

namespace vae::cli {

constexpr const char* kProgramVersion = "0.1.0";
std::string version_text();

}  // namespace vae::cli
