#pragma once
// What `vae-explorer --version` prints and Help > About shows. One function, so that every later
// addition (kernel selection, thread settings, ...) lands in one place and both show it.
#include <string>

namespace vae {

// One fact a line: our name and version, the LibTorch it was built against, the BLAS library
// mapped into this process and the kernel it runs (OpenBLAS's own configuration line when that is
// the one), and the CPU the kernel was chosen for.
std::string version_text();

}  // namespace vae
