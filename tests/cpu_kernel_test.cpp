// The CPUID -> OpenBLAS kernel mapping, as pure logic on made-up feature sets.
#include <gtest/gtest.h>

#include "core/runtime/cpu_kernel.h"

namespace vae {
namespace {

CpuFeatures avx2_cpu(const std::string& vendor, int family, int model) {
  CpuFeatures cpu;
  cpu.vendor = vendor;
  cpu.family = family;
  cpu.model = model;
  cpu.sse3 = cpu.avx = cpu.fma = cpu.avx2 = true;
  cpu.os_saves_ymm = true;
  return cpu;
}

CpuFeatures avx512_cpu(const std::string& vendor, int family, int model, bool bf16) {
  CpuFeatures cpu = avx2_cpu(vendor, family, model);
  cpu.avx512f = cpu.avx512dq = cpu.avx512bw = cpu.avx512vl = true;
  cpu.avx512_bf16 = bf16;
  cpu.os_saves_zmm = true;
  return cpu;
}

TEST(CpuKernel, IntelEmeraldRapidsThatOpenBlasCallsPrescottGetsAnAvx512Kernel) {
  // The host of issue 9: family 6 model 207, AVX-512 with BF16; OpenBLAS 0.3.21 says "Prescott".
  const auto cpu = avx512_cpu("GenuineIntel", 6, 207, true);
  const std::string core = preferred_openblas_core(cpu);
  EXPECT_TRUE(core == "SkylakeX" || core == "Cooperlake") << core;
  EXPECT_EQ(openblas_core_isa_level(core), 4);
  EXPECT_TRUE(should_override_core("Prescott", core));
}

TEST(CpuKernel, Avx512WithoutBf16IsSkylakeX) {
  EXPECT_EQ(preferred_openblas_core(avx512_cpu("GenuineIntel", 6, 85, false)), "SkylakeX");
}

TEST(CpuKernel, AmdZen4WithAvx512) {
  // This session's machine: family 25 model 17, which OpenBLAS itself runs as Cooperlake.
  const auto cpu = avx512_cpu("AuthenticAMD", 25, 17, true);
  EXPECT_EQ(preferred_openblas_core(cpu), "Cooperlake");
  EXPECT_FALSE(should_override_core("Cooperlake", "Cooperlake"));
  EXPECT_FALSE(should_override_core("SkylakeX", "Cooperlake"));  // same instruction set: keep
}

TEST(CpuKernel, Avx2OnlyByVendor) {
  EXPECT_EQ(preferred_openblas_core(avx2_cpu("AuthenticAMD", 23, 49)), "Zen");
  EXPECT_EQ(preferred_openblas_core(avx2_cpu("HygonGenuine", 24, 0)), "Zen");
  EXPECT_EQ(preferred_openblas_core(avx2_cpu("GenuineIntel", 6, 190)), "Haswell");  // Alder Lake-N
  EXPECT_TRUE(should_override_core("Prescott", "Haswell"));
  EXPECT_TRUE(should_override_core("Sandybridge", "Haswell"));
  EXPECT_FALSE(should_override_core("Haswell", "Haswell"));
}

TEST(CpuKernel, OsWithoutAvx512StateFallsBackToAvx2) {
  auto cpu = avx512_cpu("GenuineIntel", 6, 143, true);
  cpu.os_saves_zmm = false;  // e.g. a hypervisor that masks the ZMM state
  EXPECT_EQ(preferred_openblas_core(cpu), "Haswell");
  cpu.os_saves_ymm = false;
  EXPECT_EQ(preferred_openblas_core(cpu), "");
}

TEST(CpuKernel, PartialAvx512IsNotEnough) {
  auto cpu = avx512_cpu("GenuineIntel", 6, 87, false);  // Knights Landing: F but no BW/VL/DQ
  cpu.avx512bw = cpu.avx512vl = cpu.avx512dq = false;
  EXPECT_EQ(preferred_openblas_core(cpu), "Haswell");
}

TEST(CpuKernel, OldOrUnknownCpusAreLeftToTheLibrary) {
  CpuFeatures sse_only;
  sse_only.vendor = "GenuineIntel";
  sse_only.sse3 = true;
  EXPECT_EQ(preferred_openblas_core(sse_only), "");
  EXPECT_FALSE(should_override_core("Prescott", ""));
  EXPECT_EQ(preferred_openblas_core(CpuFeatures{}), "");
  auto avx_only = avx2_cpu("GenuineIntel", 6, 42);
  avx_only.avx2 = avx_only.fma = false;
  EXPECT_EQ(preferred_openblas_core(avx_only), "Sandybridge");
}

TEST(CpuKernel, UnknownKernelNamesAreNeverOverridden) {
  // A newer OpenBLAS may know kernels this table does not: it knows better than we do.
  EXPECT_EQ(openblas_core_isa_level("SomeFutureLake"), 0);
  EXPECT_FALSE(should_override_core("SomeFutureLake", "SkylakeX"));
  EXPECT_FALSE(should_override_core("Prescott", "NotAKernel"));
}

TEST(CpuKernel, ReadsTheRunningCpu) {
  const CpuFeatures cpu = read_cpu_features();
#if defined(__x86_64__)
  EXPECT_FALSE(cpu.vendor.empty());
  EXPECT_GT(cpu.family, 0);
  EXPECT_TRUE(cpu.sse3);  // every x86-64 CPU this program runs on has SSE3
  if (cpu.avx512f) {
    EXPECT_TRUE(cpu.avx2);
  }
#endif
}

TEST(CpuKernel, ActiveKernelIsDescribed) {
  const BlasKernel kernel = active_blas_kernel();
  EXPECT_FALSE(kernel.library.empty());
  EXPECT_NE(kernel.describe().find(kernel.library), std::string::npos);
}

}  // namespace
}  // namespace vae
