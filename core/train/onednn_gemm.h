#pragma once
// GEMMs of the fused MLP step through oneDNN's matmul (libdnnl, the library LibTorch itself
// loads), in fp32 or as bf16 x bf16 -> fp32 on CPUs with AVX512-BF16. Primitives are created once
// per shape and reused. Torch-free and oneDNN-free: the header names neither library.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vae {

enum class GemmPrecision { Fp32, Bf16 };
std::string to_string(GemmPrecision precision);               // "fp32" | "bf16"
GemmPrecision parse_gemm_precision(const std::string& text);  // throws ConfigError naming --precision

// Why bf16 GEMMs cannot run here ("" when they can): a build without oneDNN, or a CPU (or a
// oneDNN) without AVX512-BF16. VAE_ASSUME_NO_BF16=1 pretends the CPU lacks it (tests).
std::string bf16_unavailable_reason();
// Whether this build carries oneDNN at all (fp32 matmul through it).
bool onednn_available();

// fp32 -> bf16, round to nearest even (what the AVX512-BF16 instruction does). Only call when
// bf16_unavailable_reason() is "".
void convert_to_bf16(const float* in, std::uint16_t* out, std::size_t count);

class OneDnnGemm {
 public:
  // Operands in `precision` (bf16 operands are std::uint16_t arrays); results always fp32.
  explicit OneDnnGemm(GemmPrecision precision);
  ~OneDnnGemm();
  OneDnnGemm(const OneDnnGemm&) = delete;
  OneDnnGemm& operator=(const OneDnnGemm&) = delete;

  // Row-major C (m x n) = op(A) (m x k) op(B) (k x n), added to C when accumulate; op transposes
  // when asked (A is then stored k x m, B n x k). All arrays dense.
  void run(bool transpose_a, bool transpose_b, int m, int n, int k, const void* a, const void* b, float* c,
           bool accumulate);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vae
