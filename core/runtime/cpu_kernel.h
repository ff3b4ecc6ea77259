#pragma once
// Which OpenBLAS kernel this CPU deserves. Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its
// kernel from CPUID once, when the library initialises; on CPUs newer than the build it falls
// back to "Prescott" (SSE3), 4-5x slower for our GEMMs. We read CPUID ourselves, and when the
// library chose a kernel for an older instruction set than the CPU has, restart the program once
// with OPENBLAS_CORETYPE set (the variable is read only at initialisation). Torch-free.
#include <string>

namespace vae {

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ... ("" off x86-64)
  int family = 0;      // display family and model, extended fields included
  int model = 0;
  bool sse3 = false;
  bool avx = false;
  bool fma = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_bf16 = false;
  bool os_saves_ymm = false;  // XCR0: the OS saves AVX state (else AVX is unusable)
  bool os_saves_zmm = false;  // XCR0: the OS saves AVX-512 state
};

// CPUID and XGETBV of the running CPU; all false on other architectures.
CpuFeatures read_cpu_features();

// The OpenBLAS 0.3.21 DYNAMIC_ARCH kernel for these features, by instruction set rather than by
// model number (so CPUs newer than the table get the right one): AVX-512 with BF16 ->
// "Cooperlake", AVX-512 F/DQ/BW/VL -> "SkylakeX", AVX2 + FMA -> "Zen" (AMD) or "Haswell",
// AVX -> "Sandybridge"; "" when there is nothing better than the library's own choice.
std::string preferred_openblas_core(const CpuFeatures& cpu);

// The instruction-set level an OpenBLAS kernel name stands for: 1 SSE, 2 AVX, 3 AVX2, 4 AVX-512;
// 0 for names this table does not know (treated as "the library knows better").
int openblas_core_isa_level(const std::string& core);

// True when the library's own pick is a known kernel for an older instruction set than the
// preferred one: only then do we override it.
bool should_override_core(const std::string& detected, const std::string& preferred);

// How the active kernel was chosen, for --version, the CLI's first line and the status bar.
struct BlasKernel {
  std::string library;           // "OpenBLAS 0.3.21 ...", "reference BLAS", "unknown"
  std::string core;              // openblas_get_corename(), "" when not OpenBLAS
  std::string source;            // "detected by OpenBLAS", "OPENBLAS_CORETYPE set by the user", ...
  std::string describe() const;  // one line: "OpenBLAS 0.3.21, kernel SkylakeX (chosen from CPUID ...)"
};
BlasKernel active_blas_kernel();

// Call first thing in main(): when OpenBLAS picked a kernel for an older instruction set than
// CPUID offers and the user set no OPENBLAS_CORETYPE, re-executes /proc/self/exe with the
// better kernel in the environment. Returns (doing nothing) when no change is needed, when the
// user chose, after a re-exec (a guard variable prevents loops) or when exec fails.
// VAE_BLAS_KERNEL=keep disables the override; VAE_BLAS_ASSUME_DETECTED=NAME (tests) pretends the
// library picked NAME.
void ensure_best_blas_kernel(char** argv);

}  // namespace vae
