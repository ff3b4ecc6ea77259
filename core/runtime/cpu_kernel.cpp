#include "core/runtime/cpu_kernel.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include "core/runtime/runtime.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace vae {

namespace {

// Set in the environment of the re-executed program: the kernel OpenBLAS had picked by itself.
// Its presence also stops a second re-exec.
constexpr const char* kReexecGuard = "VAE_BLAS_KERNEL_REPLACED";
constexpr const char* kCoreVariable = "OPENBLAS_CORETYPE";

using NameFunction = char* (*)();

std::string call_openblas_string(const char* symbol) {
  // Looked up at run time: the symbols exist only when OpenBLAS is the loaded libblas.so.3.
  auto function = reinterpret_cast<NameFunction>(dlsym(RTLD_DEFAULT, symbol));
  if (!function) return "";
  const char* text = function();
  return text ? std::string(text) : std::string();
}

}  // namespace

CpuFeatures read_cpu_features() {
  CpuFeatures cpu;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return cpu;
  const unsigned max_leaf = eax;
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  cpu.vendor = vendor;
  if (max_leaf < 1) return cpu;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const int base_family = (eax >> 8) & 0xf;
  const int base_model = (eax >> 4) & 0xf;
  cpu.family = base_family == 0xf ? base_family + static_cast<int>((eax >> 20) & 0xff) : base_family;
  cpu.model =
      (base_family == 0x6 || base_family == 0xf) ? base_model + static_cast<int>(((eax >> 16) & 0xf) << 4) : base_model;
  cpu.sse3 = ecx & (1u << 0);
  cpu.fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  cpu.avx = ecx & (1u << 28);
  if (osxsave) {
    unsigned xcr0_low = 0, xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    cpu.os_saves_ymm = (xcr0_low & 0x6u) == 0x6u;    // SSE and AVX state
    cpu.os_saves_zmm = (xcr0_low & 0xe6u) == 0xe6u;  // ... plus opmask, ZMM0-15, ZMM16-31
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const unsigned max_subleaf = eax;
    cpu.avx2 = ebx & (1u << 5);
    cpu.avx512f = ebx & (1u << 16);
    cpu.avx512dq = ebx & (1u << 17);
    cpu.avx512bw = ebx & (1u << 30);
    cpu.avx512vl = ebx & (1u << 31);
    if (max_subleaf >= 1) {
      __cpuid_count(7, 1, eax, ebx, ecx, edx);
      cpu.avx512_bf16 = eax & (1u << 5);
    }
  }
#endif
  return cpu;
}

std::string preferred_openblas_core(const CpuFeatures& cpu) {
  const bool avx_usable = cpu.avx && cpu.os_saves_ymm;
  const bool avx512_usable = avx_usable && cpu.os_saves_zmm && cpu.avx512f && cpu.avx512dq && cpu.avx512bw &&
                             cpu.avx512vl && cpu.avx2 && cpu.fma;
  if (avx512_usable) return cpu.avx512_bf16 ? "Cooperlake" : "SkylakeX";
  if (avx_usable && cpu.avx2 && cpu.fma)
    return cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine" ? "Zen" : "Haswell";
  if (avx_usable) return "Sandybridge";
  return "";  // SSE-only or not x86: the library's own choice is as good as ours
}

int openblas_core_isa_level(const std::string& core) {
  // Kernel names as openblas_get_corename() spells them (0.3.21 DYNAMIC_ARCH), by the widest
  // instruction set their sgemm uses.
  static const std::map<std::string, int> levels = {
      {"Katmai", 1},        {"Coppermine", 1},   {"Northwood", 1}, {"Prescott", 1},   {"Banias", 1},
      {"Atom", 1},          {"Core2", 1},        {"Penryn", 1},    {"Dunnington", 1}, {"Nehalem", 1},
      {"Opteron", 1},       {"Opteron_SSE3", 1}, {"Barcelona", 1}, {"Bobcat", 1},     {"Athlon", 1},
      {"Nano", 1},          {"Sandybridge", 2},  {"Bulldozer", 2}, {"Piledriver", 2}, {"Steamroller", 2},
      {"Excavator", 2},     {"Haswell", 3},      {"Zen", 3},       {"SkylakeX", 4},   {"Cooperlake", 4},
      {"SapphireRapids", 4}};
  const auto found = levels.find(core);
  return found == levels.end() ? 0 : found->second;
}

bool should_override_core(const std::string& detected, const std::string& preferred) {
  const int want = openblas_core_isa_level(preferred);
  const int have = openblas_core_isa_level(detected);
  return want > 0 && have > 0 && have < want;
}

std::string BlasKernel::describe() const {
  std::string text = library;
  if (!core.empty()) text += ", kernel " + core;
  if (!source.empty()) text += " (" + source + ")";
  return text;
}

BlasKernel active_blas_kernel() {
  BlasKernel kernel;
  const std::string config = call_openblas_string("openblas_get_config");
  if (!config.empty()) {
    // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64": name and version.
    const auto second_space = config.find(' ', config.find(' ') + 1);
    kernel.library = config.substr(0, second_space);
    kernel.core = call_openblas_string("openblas_get_corename");
    if (const char* replaced = std::getenv(kReexecGuard); replaced && *replaced)
      kernel.source = std::string("chosen from CPUID; OpenBLAS alone picked ") + replaced;
    else if (std::getenv(kCoreVariable))
      kernel.source = "OPENBLAS_CORETYPE set by the user";
    else
      kernel.source = "detected by OpenBLAS";
    return kernel;
  }
  const BlasInfo blas = detect_blas();
  kernel.library = blas.is_reference ? "reference BLAS (slow!)" : "unknown BLAS";
  return kernel;
}

void ensure_best_blas_kernel(char** argv) {
  if (std::getenv(kReexecGuard) || std::getenv(kCoreVariable)) return;  // re-executed, or the user chose
  if (const char* mode = std::getenv("VAE_BLAS_KERNEL"); mode && std::strcmp(mode, "keep") == 0) return;
  std::string detected = call_openblas_string("openblas_get_corename");
  if (detected.empty()) return;  // not OpenBLAS
  // Test hook: pretend the library picked this kernel (exercises the re-exec on any CPU).
  if (const char* assumed = std::getenv("VAE_BLAS_ASSUME_DETECTED"); assumed && *assumed) detected = assumed;
  const std::string preferred = preferred_openblas_core(read_cpu_features());
  if (!should_override_core(detected, preferred)) return;
  setenv(kCoreVariable, preferred.c_str(), 1);
  setenv(kReexecGuard, detected.c_str(), 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with the library's own kernel, environment as it was.
  unsetenv(kCoreVariable);
  unsetenv(kReexecGuard);
}

}  // namespace vae
