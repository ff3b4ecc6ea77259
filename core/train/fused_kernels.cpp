// The element-wise passes of the fused MLP step (fused_kernels.h).
#include "core/train/fused_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// The passes are compiled for three instruction sets and picked at load time (GCC function
// multi-versioning): the binary stays portable, AVX-512 machines get 16 lanes. No -ffast-math:
// every clone rounds like the scalar code, so results do not depend on the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VAE_VECTOR_CLONES
#endif

namespace vae::fused {

namespace {

// exp and log for float lanes, written so that the compiler vectorises them (libm's calls stop
// it). Cephes' single-precision polynomials: relative error about 1e-7 over the range used.
inline float vexp(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = x * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  const float y = p * r2 + r + 1.0f;
  // NaN in (a diverged step, a crafted checkpoint) must come out as NaN, not as undefined
  // behaviour in the conversion (found by fuzz_resume under UBSan): y is NaN then anyway.
  const std::int32_t bits = (static_cast<std::int32_t>(n == n ? n : 0.0f) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

// log(w) for normal w > 0.
inline float vlog(float w) {
  std::int32_t bits;
  std::memcpy(&bits, &w, sizeof bits);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 126);
  const std::int32_t mantissa_bits = (bits & 0x807fffff) | 0x3f000000;  // mantissa in [0.5, 1)
  float m;
  std::memcpy(&m, &mantissa_bits, sizeof m);
  // Both candidates are computed and then selected: GCC does not speculate floating-point
  // arithmetic that sits inside a condition (it might trap), and a branch stops vectorisation.
  const bool small = m < 0.707106781186547524f;
  const float e_small = e - 1.0f, x_small = m + m - 1.0f, x_large = m - 1.0f;
  e = small ? e_small : e;
  const float x = small ? x_small : x_large;
  const float z = x * x;
  float y = 7.0376836292E-2f;
  y = y * x - 1.1514610310E-1f;
  y = y * x + 1.1676998740E-1f;
  y = y * x - 1.2420140846E-1f;
  y = y * x + 1.4249322787E-1f;
  y = y * x - 1.6668057665E-1f;
  y = y * x + 2.0000714765E-1f;
  y = y * x - 2.4999993993E-1f;
  y = y * x + 3.3333331174E-1f;
  y = y * x * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  return x + y + 0.693359375f * e;
}

// log(1 + u) for u in [0, 1], accurate for tiny u too.
inline float vlog1p(float u) {
  const float w = 1.0f + u;
  const float d = w - 1.0f;
  const float ratio = u / (d == 0.0f ? 1.0f : d);  // unconditional, see vlog
  const float log1p_u = vlog(w) * ratio;
  return d == 0.0f ? u : log1p_u;
}

}  // namespace

// y <- max(y + b, 0) for an n x width row-major block.
VAE_VECTOR_CLONES void bias_relu(float* y, const float* b, int n, int width, int stride) {
  for (int i = 0; i < n; ++i) {
    float* row = y + static_cast<std::ptrdiff_t>(i) * stride;
    for (int j = 0; j < width; ++j) row[j] = std::max(row[j] + b[j], 0.0f);
  }
}

// Backward of ReLU in place (dy <- dy where the activation was positive) and the bias gradient.
VAE_VECTOR_CLONES void relu_backward(float* dy, const float* act, float* bias_grad, int n, int width, int stride) {
  std::fill(bias_grad, bias_grad + width, 0.0f);
  for (int i = 0; i < n; ++i) {
    float* drow = dy + static_cast<std::ptrdiff_t>(i) * stride;
    const float* arow = act + static_cast<std::ptrdiff_t>(i) * stride;
    for (int j = 0; j < width; ++j) {
      const float d = arow[j] > 0.0f ? drow[j] : 0.0f;
      drow[j] = d;
      bias_grad[j] += d;
    }
  }
}

// Bernoulli: the logits (out, bias added here) become d(-log p)/d logit = sigmoid(l) - x; the
// per-pixel -log p = softplus(l) - x l accumulates into column sums (vectorised, no reduction
// across lanes); the output bias gradient accumulates the same way.
// The buffers never overlap; __restrict saves the alias checks that would stop vectorisation.
VAE_VECTOR_CLONES void bernoulli_pass(float* __restrict out, const float* __restrict bias, const float* __restrict x,
                                      int n, int width, int stride, float* __restrict bias_grad,
                                      float* __restrict column_loss) {
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * stride;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * stride;
    for (int j = 0; j < width; ++j) {
      const float l = row[j] + bias[j];
      const float u = vexp(-std::fabs(l));  // in (0, 1]
      const float softplus = std::max(l, 0.0f) + vlog1p(u);
      const float inv = 1.0f / (1.0f + u);
      const float u_inv = u * inv;  // unconditional, see vlog
      const float sigmoid = l >= 0.0f ? inv : u_inv;
      column_loss[j] += softplus - xrow[j] * l;
      const float d = sigmoid - xrow[j];
      row[j] = d;
      bias_grad[j] += d;
    }
  }
}

// Gaussian with mean sigmoid(l) and sigma = exp(log_sigma): the gradient as above, plus the
// per-pixel (1 - z^2) whose sum is d(-log p)/d log_sigma.
VAE_VECTOR_CLONES void gaussian_pass(float* __restrict out, const float* __restrict bias, const float* __restrict x,
                                     int n, int width, int stride, float log_sigma, float* __restrict bias_grad,
                                     float* __restrict column_loss, float* __restrict column_sigma_grad) {
  const float inv_sigma = std::exp(-log_sigma);
  const float constant = log_sigma + 0.5f * static_cast<float>(std::log(2 * M_PI));
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * stride;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * stride;
    for (int j = 0; j < width; ++j) {
      const float l = row[j] + bias[j];
      const float u = vexp(-std::fabs(l));
      const float inv = 1.0f / (1.0f + u);
      const float u_inv = u * inv;  // unconditional, see vlog
      const float mean = l >= 0.0f ? inv : u_inv;
      const float z = (xrow[j] - mean) * inv_sigma;
      column_loss[j] += 0.5f * z * z + constant;
      column_sigma_grad[j] += 1.0f - z * z;
      const float d = -(z * inv_sigma) * ((1.0f - mean) * mean);
      row[j] = d;
      bias_grad[j] += d;
    }
  }
}

// Continuous Bernoulli (rare: plain libm in double, the normaliser needs atanh): log p =
// x l - softplus(l) + log C(lambda), with the clamp and the Taylor branch of the model's code.
void continuous_bernoulli_pass(float* out, const float* bias, const float* x, int n, int width, int stride,
                               float* bias_grad, double& loss) {
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * stride;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * stride;
    for (int j = 0; j < width; ++j) {
      const double l = static_cast<double>(row[j] + bias[j]);
      const double xv = xrow[j];
      const double softplus = l > 20 ? l : std::log1p(std::exp(l));
      const double sigmoid = 1 / (1 + std::exp(-l));
      const double lambda_raw = static_cast<double>(1.0f / (1.0f + std::exp(-static_cast<float>(l))));
      const bool clamped = lambda_raw < 1e-6 || lambda_raw > 1 - 1e-6;
      const double lambda = std::min(std::max(lambda_raw, 1e-6), 1 - 1e-6);
      const double t = 1 - 2 * lambda;
      double log_norm, dlog_norm_dt;
      if (std::fabs(t) < 1e-2) {
        const double t2 = t * t;
        const double u = t2 / 3 + t2 * t2 / 5;
        log_norm = std::log(2.0) + std::log1p(u);
        dlog_norm_dt = (2 * t / 3 + 4 * t * t2 / 5) / (1 + u);
      } else {
        const double a = std::atanh(t);
        log_norm = std::log(2 * a / t);
        dlog_norm_dt = 1 / ((1 - t * t) * a) - 1 / t;
      }
      const double dlog_norm_dl = clamped ? 0.0 : dlog_norm_dt * -2 * lambda * (1 - lambda);
      loss += softplus - xv * l - log_norm;
      const float d = static_cast<float>(sigmoid - xv - dlog_norm_dl);
      row[j] = d;
      bias_grad[j] += d;
    }
  }
}

// The heads' biases, z = mu + exp(logvar / 2) * eps and the KL per dimension, in one pass.
void latent_forward(float* mu, float* logvar, const float* mu_bias, const float* logvar_bias, const float* eps,
                    float* sd, float* var, float* z, int n, int latent, double* kl_per_dim) {
  for (int i = 0; i < n; ++i) {
    const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(i) * latent;
    for (int j = 0; j < latent; ++j) {
      const float m = mu[base + j] + mu_bias[j];
      const float lv = logvar[base + j] + logvar_bias[j];
      mu[base + j] = m;
      logvar[base + j] = lv;
      const float s = std::exp(0.5f * lv);
      const float v = std::exp(lv);
      sd[base + j] = s;
      var[base + j] = v;
      z[base + j] = m + s * eps[base + j];
      kl_per_dim[j] += 0.5 * static_cast<double>(m * m + v - 1.0f - lv);
    }
  }
}

// From dL/dz to dL/dmu and dL/dlogvar, with beta * KL's own gradient; the heads' bias gradients.
void latent_backward(const float* dz, const float* mu, const float* sd, const float* var, const float* eps, float beta,
                     float* dmu, float* dlogvar, float* mu_bias_grad, float* logvar_bias_grad, int n, int latent) {
  std::fill(mu_bias_grad, mu_bias_grad + latent, 0.0f);
  std::fill(logvar_bias_grad, logvar_bias_grad + latent, 0.0f);
  for (int i = 0; i < n; ++i) {
    const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(i) * latent;
    for (int j = 0; j < latent; ++j) {
      const float g_mu = dz[base + j] + beta * mu[base + j];
      const float g_lv = dz[base + j] * eps[base + j] * 0.5f * sd[base + j] + beta * 0.5f * (var[base + j] - 1.0f);
      dmu[base + j] = g_mu;
      dlogvar[base + j] = g_lv;
      mu_bias_grad[j] += g_mu;
      logvar_bias_grad[j] += g_lv;
    }
  }
}

VAE_VECTOR_CLONES bool adam_update(float* p, const float* g, float* m, float* v, std::int64_t n, AdamConstants c) {
  std::uint32_t non_finite = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float grad = g[i];
    std::uint32_t bits;
    std::memcpy(&bits, &grad, sizeof bits);
    non_finite |= (bits & 0x7f800000u) == 0x7f800000u;
    const float mi = std::fma(grad, c.one_minus_beta1, m[i] * c.beta1);
    const float vi = v[i] * c.beta2 + c.one_minus_beta2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / c.sqrt_bias_correction2 + c.eps;
    p[i] = p[i] + c.neg_step_size * (mi / denom);
  }
  return non_finite != 0;
}

}  // namespace vae::fused
