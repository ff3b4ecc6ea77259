#include "core/train/onednn_gemm.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>

#include "core/errors.h"
#include "core/runtime/cpu_kernel.h"

#ifdef VAE_WITH_ONEDNN
#include <immintrin.h>

#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace vae {

std::string to_string(GemmPrecision precision) { return precision == GemmPrecision::Bf16 ? "bf16" : "fp32"; }

GemmPrecision parse_gemm_precision(const std::string& text) {
  if (text == "fp32") return GemmPrecision::Fp32;
  if (text == "bf16") return GemmPrecision::Bf16;
  throw ConfigError("--precision must be fp32 or bf16, not '" + text + "'");
}

#ifdef VAE_WITH_ONEDNN

bool onednn_available() { return true; }

std::string bf16_unavailable_reason() {
  if (const char* assume = std::getenv("VAE_ASSUME_NO_BF16"); assume && std::strcmp(assume, "1") == 0)
    return "this CPU has no AVX512-BF16 (VAE_ASSUME_NO_BF16=1)";
  const CpuFeatures cpu = read_cpu_features();
  if (!(cpu.avx512f && cpu.avx512_bf16 && cpu.os_saves_zmm)) return "this CPU has no AVX512-BF16";
  if (dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core_bf16)
    return "oneDNN does not use AVX512-BF16 here (ONEDNN_MAX_CPU_ISA?)";
  return "";
}

__attribute__((target("avx512f,avx512bf16"))) void convert_to_bf16(const float* in, std::uint16_t* out,
                                                                   std::size_t count) {
  std::size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m256bh packed = _mm512_cvtneps_pbh(_mm512_loadu_ps(in + i));
    std::memcpy(out + i, &packed, sizeof packed);
  }
  if (i < count) {  // the tail through a masked load: the same instruction, the same rounding
    const __mmask16 mask = static_cast<__mmask16>((1u << (count - i)) - 1);
    const __m256bh packed = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, in + i));
    std::memcpy(out + i, &packed, (count - i) * sizeof(std::uint16_t));
  }
}

struct OneDnnGemm::Impl {
  using Key = std::tuple<bool, bool, int, int, int, bool>;
  struct Prepared {
    dnnl::matmul primitive;
    dnnl::memory::desc a, b, c;
  };
  dnnl::memory::data_type type;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::map<Key, Prepared> primitives;

  Prepared& prepare(const Key& key) {
    auto found = primitives.find(key);
    if (found != primitives.end()) return found->second;
    const auto [ta, tb, m, n, k, accumulate] = key;
    using dims = dnnl::memory::dims;
    // Transposes are strides: oneDNN's brgemm matmul reads both layouts directly.
    dnnl::memory::desc a({m, k}, type, ta ? dims{1, m} : dims{k, 1});
    dnnl::memory::desc b({k, n}, type, tb ? dims{1, k} : dims{n, 1});
    dnnl::memory::desc c({m, n}, dnnl::memory::data_type::f32, dims{n, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, engine);
    return primitives.emplace(key, Prepared{dnnl::matmul(pd), a, b, c}).first->second;
  }
};

OneDnnGemm::OneDnnGemm(GemmPrecision precision) : impl_(std::make_unique<Impl>()) {
  impl_->type = precision == GemmPrecision::Bf16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

void OneDnnGemm::run(bool transpose_a, bool transpose_b, int m, int n, int k, const void* a, const void* b, float* c,
                     bool accumulate) {
  Impl& s = *impl_;
  Impl::Prepared& p = s.prepare({transpose_a, transpose_b, m, n, k, accumulate});
  p.primitive.execute(s.stream, {{DNNL_ARG_SRC, dnnl::memory(p.a, s.engine, const_cast<void*>(a))},
                                 {DNNL_ARG_WEIGHTS, dnnl::memory(p.b, s.engine, const_cast<void*>(b))},
                                 {DNNL_ARG_DST, dnnl::memory(p.c, s.engine, c)}});
  s.stream.wait();
}

#else  // built without libdnnl-dev

bool onednn_available() { return false; }
std::string bf16_unavailable_reason() { return "this build has no oneDNN (install libdnnl-dev and rebuild)"; }
void convert_to_bf16(const float*, std::uint16_t*, std::size_t) {
  throw std::logic_error("convert_to_bf16 without oneDNN");
}
struct OneDnnGemm::Impl {};
OneDnnGemm::OneDnnGemm(GemmPrecision) { throw std::logic_error("OneDnnGemm without oneDNN"); }
void OneDnnGemm::run(bool, bool, int, int, int, const void*, const void*, float*, bool) {}

#endif

OneDnnGemm::~OneDnnGemm() = default;

}  // namespace vae
