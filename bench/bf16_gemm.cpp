// The GEMMs of one training step of the reference MLP (784-400-20-400-784, batch 128: five
// forward, five weight-gradient and four input-gradient GEMMs, exactly those of
// core/train/fused_mlp.cpp and bench/speed_vs_pytorch.py's step_gemms), timed three ways,
// interleaved round by round:
//   openblas  sgemm_ of the loaded BLAS with the kernel vae-explorer would run,
//   dnnl-f32  oneDNN fp32 matmul on the same buffers,
//   dnnl-bf16 oneDNN bf16 x bf16 -> fp32 matmul, including the fp32 -> bf16 conversion of every
//             operand once per step (master weights stay fp32, so they are converted each step),
//   bf16-only the same bf16 matmuls without the conversions (what they cost alone).
// Prints ms per step and GFLOP/s of each (median over rounds), and oneDNN's implementation names.
// Usage: bf16-gemm [--rounds 9] [--steps 300] [--batch 128] [--threads N]. Run under
// flock /tmp/vae-bench.lock. --threads sets both OpenBLAS's and OpenMP's (oneDNN's) thread count.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_options.h"
#include "core/runtime/cpu_kernel.h"
#include "core/train/onednn_gemm.h"

namespace {

using Sgemm = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                       const int*, const float*, const int*, const float*, float*, const int*);

// A row-major buffer of rows x cols floats and its bf16 copy.
struct Buffer {
  int rows = 0, cols = 0;
  std::vector<float> f32;
  std::vector<std::uint16_t> bf16;
};

// Row-major C (m x n) = op(A) (m x k) op(B) (k x n) [+ C when accumulate]; op = transpose when set
// (A is then stored k x m, B n x k).
struct Gemm {
  std::string what;
  std::string a, b, c;
  bool trans_a = false, trans_b = false, accumulate = false;
  int m = 0, n = 0, k = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  vae::ensure_best_blas_kernel(argv);  // the kernel vae-explorer runs
  int rounds = 9, steps = 300, batch = 128, threads = 0;
  if (!vae::bench::parse_int_options(
          argc, argv, "bf16-gemm",
          {{"--rounds", &rounds}, {"--steps", &steps}, {"--batch", &batch}, {"--threads", &threads}}))
    return 2;
  auto sgemm = reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "sgemm_"));
  if (!sgemm) {
    std::fprintf(stderr, "bf16-gemm: no sgemm_ in the loaded BLAS\n");
    return 1;
  }

  if (threads > 0) {
    // Looked up at run time: both libraries are loaded (LibTorch links them), neither is ours.
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) set(threads);
  }

  // The step's operands (names as in fused_mlp.cpp) and its 14 GEMMs.
  const int n = batch, pixels = 784, hidden = 400, latent = 20;
  std::map<std::string, Buffer> buffers;
  auto add = [&](const std::string& name, int rows, int cols) {
    Buffer& b = buffers[name];
    b.rows = rows;
    b.cols = cols;
    b.f32.resize(static_cast<std::size_t>(rows) * cols);
    b.bf16.resize(b.f32.size());
  };
  add("x", n, pixels);
  add("w1", hidden, pixels);
  add("h1", n, hidden);
  add("wmu", latent, hidden);
  add("wlv", latent, hidden);
  add("mu", n, latent);
  add("lv", n, latent);
  add("z", n, latent);
  add("w3", hidden, latent);
  add("h2", n, hidden);
  add("w4", pixels, hidden);
  add("out", n, pixels);
  add("dout", n, pixels);
  add("dh2", n, hidden);
  add("dz", n, latent);
  add("dmu", n, latent);
  add("dlv", n, latent);
  add("dh1", n, hidden);
  add("dw1", hidden, pixels);
  add("dwmu", latent, hidden);
  add("dwlv", latent, hidden);
  add("dw3", hidden, latent);
  add("dw4", pixels, hidden);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (auto& [name, b] : buffers)
    for (float& v : b.f32) v = normal(rng);

  const std::vector<Gemm> gemms = {
      {"fwd 784->400", "x", "w1", "h1", false, true, false, n, hidden, pixels},
      {"fwd mu", "h1", "wmu", "mu", false, true, false, n, latent, hidden},
      {"fwd logvar", "h1", "wlv", "lv", false, true, false, n, latent, hidden},
      {"fwd 20->400", "z", "w3", "h2", false, true, false, n, hidden, latent},
      {"fwd 400->784", "h2", "w4", "out", false, true, false, n, pixels, hidden},
      {"dW 400->784", "dout", "h2", "dw4", true, false, false, pixels, hidden, n},
      {"dX 400->784", "dout", "w4", "dh2", false, false, false, n, hidden, pixels},
      {"dW 20->400", "dh2", "z", "dw3", true, false, false, hidden, latent, n},
      {"dX 20->400", "dh2", "w3", "dz", false, false, false, n, latent, hidden},
      {"dW mu", "dmu", "h1", "dwmu", true, false, false, latent, hidden, n},
      {"dW logvar", "dlv", "h1", "dwlv", true, false, false, latent, hidden, n},
      {"dX mu", "dmu", "wmu", "dh1", false, false, false, n, hidden, latent},
      {"dX logvar", "dlv", "wlv", "dh1", false, false, true, n, hidden, latent},
      {"dW 784->400", "dh1", "x", "dw1", true, false, false, hidden, pixels, n},
  };
  double flops = 0;
  for (const Gemm& g : gemms) flops += 2.0 * g.m * g.n * g.k;
  // Every operand is converted once per step, before its first use (its fp32 values are new each
  // step: activations, their gradients, and the weights after Adam).
  std::vector<std::string> converted;
  for (const Gemm& g : gemms)
    for (const std::string& name : {g.a, g.b})
      if (std::find(converted.begin(), converted.end(), name) == converted.end()) converted.push_back(name);

  // (a) OpenBLAS, column-major: C^T = op(B)^T op(A)^T.
  auto run_openblas = [&] {
    for (const Gemm& g : gemms) {
      Buffer& a = buffers[g.a];
      Buffer& b = buffers[g.b];
      Buffer& c = buffers[g.c];
      const char ta = g.trans_a ? 'T' : 'N', tb = g.trans_b ? 'T' : 'N';
      const int lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
      const float one = 1, beta = g.accumulate ? 1.0f : 0.0f;
      sgemm(&tb, &ta, &g.n, &g.m, &g.k, &one, b.f32.data(), &ldb, a.f32.data(), &lda, &beta, c.f32.data(), &g.n);
    }
  };

  // (b), (c) oneDNN matmul: src = op(A), weights = op(B), dst = C, strides express the transposes.
  using dnnl::memory;
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  struct Prepared {
    dnnl::matmul primitive;
    std::unordered_map<int, memory> args;
    std::string impl;
  };
  auto prepare = [&](memory::data_type type) {
    std::vector<Prepared> out;
    for (const Gemm& g : gemms) {
      const memory::dims a_strides = g.trans_a ? memory::dims{1, g.m} : memory::dims{g.k, 1};
      const memory::dims b_strides = g.trans_b ? memory::dims{1, g.k} : memory::dims{g.n, 1};
      memory::desc a_md({g.m, g.k}, type, a_strides);
      memory::desc b_md({g.k, g.n}, type, b_strides);
      memory::desc c_md({g.m, g.n}, memory::data_type::f32, memory::dims{g.n, 1});
      dnnl::primitive_attr attr;
      if (g.accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, engine);
      Buffer& a = buffers[g.a];
      Buffer& b = buffers[g.b];
      Buffer& c = buffers[g.c];
      const bool f32 = type == memory::data_type::f32;
      void* a_data = f32 ? static_cast<void*>(a.f32.data()) : static_cast<void*>(a.bf16.data());
      void* b_data = f32 ? static_cast<void*>(b.f32.data()) : static_cast<void*>(b.bf16.data());
      Prepared p{dnnl::matmul(pd),
                 {{DNNL_ARG_SRC, memory(a_md, engine, a_data)},
                  {DNNL_ARG_WEIGHTS, memory(b_md, engine, b_data)},
                  {DNNL_ARG_DST, memory(c_md, engine, c.f32.data())}},
                 pd.impl_info_str()};
      out.push_back(std::move(p));
    }
    return out;
  };
  auto run_dnnl = [&](std::vector<Prepared>& prepared) {
    for (Prepared& p : prepared) p.primitive.execute(stream, p.args);
    stream.wait();
  };

  const bool has_bf16 = vae::bf16_unavailable_reason().empty();  // the CPU and oneDNN both
  std::vector<Prepared> dnnl_f32 = prepare(memory::data_type::f32);
  std::vector<Prepared> dnnl_bf16;
  if (has_bf16) dnnl_bf16 = prepare(memory::data_type::bf16);
  auto convert_operands = [&] {
    for (const std::string& name : converted) {
      Buffer& b = buffers[name];
      vae::convert_to_bf16(b.f32.data(), b.bf16.data(), b.f32.size());
    }
  };

  struct Variant {
    std::string name;
    std::function<void()> step;
    std::vector<double> ms;
  };
  std::vector<Variant> variants = {{"openblas sgemm", run_openblas, {}},
                                   {"oneDNN fp32", [&] { run_dnnl(dnnl_f32); }, {}}};
  if (has_bf16) {
    variants.push_back({"oneDNN bf16 + conversion",
                        [&] {
                          convert_operands();
                          run_dnnl(dnnl_bf16);
                        },
                        {}});
    variants.push_back({"oneDNN bf16, GEMMs only", [&] { run_dnnl(dnnl_bf16); }, {}});
  }

  const vae::BlasKernel kernel = vae::active_blas_kernel();
  std::printf("BLAS: %s\n", kernel.describe().c_str());
  const dnnl_version_t* version = dnnl_version();
  std::printf("oneDNN %d.%d.%d, ISA %d (avx512_core_bf16 = %d); bf16 %s\n", version->major, version->minor,
              version->patch, static_cast<int>(dnnl::get_effective_cpu_isa()),
              static_cast<int>(dnnl::cpu_isa::avx512_core_bf16), has_bf16 ? "measured" : "not supported here");
  std::printf("%zu GEMMs per step, %.2f MFLOP per step (batch %d), %zu operands converted to bf16 per step\n",
              gemms.size(), flops / 1e6, batch, converted.size());
  for (std::size_t i = 0; i < gemms.size(); ++i)
    std::printf("  %-12s m %4d n %4d k %4d  fp32: %s%s%s\n", gemms[i].what.c_str(), gemms[i].m, gemms[i].n, gemms[i].k,
                dnnl_f32[i].impl.c_str(), has_bf16 ? "  bf16: " : "", has_bf16 ? dnnl_bf16[i].impl.c_str() : "");

  for (auto& v : variants)
    for (int i = 0; i < 20; ++i) v.step();  // warm-up: threads, caches, JIT
  for (int r = 0; r < rounds; ++r) {
    for (auto& v : variants) {
      const auto start = std::chrono::steady_clock::now();
      for (int s = 0; s < steps; ++s) v.step();
      v.ms.push_back(1e3 * seconds_since(start) / steps);
    }
  }
  std::printf("\n%-26s %10s %10s %10s\n", "variant (median)", "ms/step", "GFLOP/s", "vs sgemm");
  const double base = median(variants[0].ms);
  for (auto& v : variants) {
    const double ms = median(v.ms);
    std::printf("%-26s %10.3f %10.1f %9.2fx\n", v.name.c_str(), ms, flops / (ms * 1e-3) / 1e9, base / ms);
  }
  return 0;
}
