#include "core/train/fused_mlp.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/model/vae.h"

// The element-wise passes are compiled for three instruction sets and picked at load time
// (GCC function multi-versioning): the binary stays portable, AVX-512 machines get 16 lanes.
// No -ffast-math: every clone rounds like the scalar code, so results do not depend on the CPU.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VAE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VAE_VECTOR_CLONES
#endif

namespace vae {

namespace {

using Sgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);

// The BLAS LibTorch itself loaded (libblas.so.3: OpenBLAS, or the reference BLAS as a fallback).
Sgemm find_sgemm() { return reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "sgemm_")); }

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
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1.0f : e;
  const float x = small ? m + m - 1.0f : m - 1.0f;
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
  return d == 0.0f ? u : vlog(w) * (u / d);
}

// y <- max(y + b, 0) for an n x width row-major block.
VAE_VECTOR_CLONES void bias_relu(float* y, const float* b, int n, int width) {
  for (int i = 0; i < n; ++i) {
    float* row = y + static_cast<std::ptrdiff_t>(i) * width;
    for (int j = 0; j < width; ++j) row[j] = std::max(row[j] + b[j], 0.0f);
  }
}

// Backward of ReLU in place (dy <- dy where the activation was positive) and the bias gradient.
VAE_VECTOR_CLONES void relu_backward(float* dy, const float* act, float* bias_grad, int n, int width) {
  std::fill(bias_grad, bias_grad + width, 0.0f);
  for (int i = 0; i < n; ++i) {
    float* drow = dy + static_cast<std::ptrdiff_t>(i) * width;
    const float* arow = act + static_cast<std::ptrdiff_t>(i) * width;
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
VAE_VECTOR_CLONES void bernoulli_pass(float* out, const float* bias, const float* x, int n, int width, float* bias_grad,
                                      float* column_loss) {
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * width;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * width;
    for (int j = 0; j < width; ++j) {
      const float l = row[j] + bias[j];
      const float u = vexp(-std::fabs(l));  // in (0, 1]
      const float softplus = std::max(l, 0.0f) + vlog1p(u);
      const float inv = 1.0f / (1.0f + u);
      const float sigmoid = l >= 0.0f ? inv : u * inv;
      column_loss[j] += softplus - xrow[j] * l;
      const float d = sigmoid - xrow[j];
      row[j] = d;
      bias_grad[j] += d;
    }
  }
}

// Gaussian with mean sigmoid(l) and sigma = exp(log_sigma): the gradient as above, plus the
// per-pixel (1 - z^2) whose sum is d(-log p)/d log_sigma.
VAE_VECTOR_CLONES void gaussian_pass(float* out, const float* bias, const float* x, int n, int width, float log_sigma,
                                     float* bias_grad, float* column_loss, float* column_sigma_grad) {
  const float inv_sigma = std::exp(-log_sigma);
  const float constant = log_sigma + 0.5f * static_cast<float>(std::log(2 * M_PI));
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * width;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * width;
    for (int j = 0; j < width; ++j) {
      const float l = row[j] + bias[j];
      const float u = vexp(-std::fabs(l));
      const float inv = 1.0f / (1.0f + u);
      const float mean = l >= 0.0f ? inv : u * inv;
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
void continuous_bernoulli_pass(float* out, const float* bias, const float* x, int n, int width, float* bias_grad,
                               double& loss) {
  for (int i = 0; i < n; ++i) {
    float* row = out + static_cast<std::ptrdiff_t>(i) * width;
    const float* xrow = x + static_cast<std::ptrdiff_t>(i) * width;
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

// One Adam update of n values, with LibTorch 1.13's arithmetic (adam.cpp) in the same order and
// rounding: exp_avg.mul_(b1).add_(g, 1 - b1) [a fused multiply-add in ATen's vector kernel],
// exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2), denom = sqrt(v) / sqrt(bc2) + eps,
// p.addcdiv_(m, denom, -lr / bc1). Returns true when a gradient was NaN or Inf.
struct AdamConstants {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, sqrt_bias_correction2, eps, neg_step_size;
};

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

struct Dense {
  int in = 0;
  int out = 0;
  float* weight = nullptr;  // out x in, row-major (LibTorch's Linear)
  float* bias = nullptr;
  float* weight_grad = nullptr;
  float* bias_grad = nullptr;
};

struct ExpectedParameter {
  std::string name;
  std::vector<std::int64_t> shape;
};

// The parameter names and shapes of the reference MLP (contract 4), in registration order:
// encoder.{1,3,..} (Flatten at 0, ReLU between), mu, logvar, decoder.{0,2,..}, log_sigma.
std::vector<ExpectedParameter> expected_parameters(const ModelConfig& config) {
  std::vector<ExpectedParameter> out;
  auto linear = [&](const std::string& prefix, int in, int width) {
    out.push_back({prefix + ".weight", {width, in}});
    out.push_back({prefix + ".bias", {width}});
  };
  int in = config.image_size();
  for (std::size_t k = 0; k < config.hidden.size(); ++k) {
    linear("encoder." + std::to_string(1 + 2 * k), in, config.hidden[k]);
    in = config.hidden[k];
  }
  linear("mu", in, config.latent);
  linear("logvar", in, config.latent);
  in = config.latent;
  const std::size_t layers = config.hidden.size();
  for (std::size_t k = 0; k < layers; ++k) {
    const int width = config.hidden[layers - 1 - k];
    linear("decoder." + std::to_string(2 * k), in, width);
    in = width;
  }
  linear("decoder." + std::to_string(2 * layers), in, config.image_size());
  if (config.likelihood == Likelihood::Gaussian && config.learn_variance) out.push_back({"log_sigma", {1}});
  return out;
}

}  // namespace

struct FusedMlpStep::Impl {
  ModelConfig config;
  Sgemm sgemm = nullptr;
  int max_batch = 0;
  std::vector<std::string> names;
  std::vector<at::Tensor> params;  // the model's own tensors, named_weights() order
  std::vector<at::Tensor> grads;
  std::vector<std::vector<float>> exp_avg, exp_avg_sq;
  std::int64_t adam_steps = 0;
  FusedAdamOptions adam;

  std::vector<Dense> encoder;  // hidden layers, input first
  Dense mu_head, logvar_head;
  std::vector<Dense> decoder;  // hidden layers, then the output layer
  float* log_sigma = nullptr;  // learned Gaussian sigma, else nullptr
  float* log_sigma_grad = nullptr;

  // Activations (after ReLU) of every hidden layer, and the latent quantities.
  std::vector<std::vector<float>> encoder_act, decoder_act;
  std::vector<float> mu, logvar, sd, var, z, dz, dmu, dlogvar, out, scratch_a, scratch_b;
  std::vector<float> column_loss, column_sigma_grad;
  std::vector<double> kl_per_dim;

  // Y (n x l.out) = X (n x l.in) W^T, all row-major: column-major Y^T = W^T' X^T.
  void forward(const Dense& l, const float* x, float* y, int n) const {
    const float one = 1, zero = 0;
    sgemm("T", "N", &l.out, &n, &l.in, &one, l.weight, &l.in, x, &l.in, &zero, y, &l.out);
  }
  // dW (l.out x l.in) = dY^T X.
  void weight_grad(const Dense& l, const float* x, const float* dy, int n) const {
    const float one = 1, zero = 0;
    sgemm("N", "T", &l.in, &l.out, &n, &one, x, &l.in, dy, &l.out, &zero, l.weight_grad, &l.in);
  }
  // dX (n x l.in) = dY W, added to dX when accumulate.
  void input_grad(const Dense& l, const float* dy, float* dx, int n, bool accumulate) const {
    const float one = 1, beta = accumulate ? 1.0f : 0.0f;
    sgemm("N", "N", &l.in, &n, &l.out, &one, l.weight, &l.in, dy, &l.out, &beta, dx, &l.in);
  }
};

std::string FusedMlpStep::unsupported_reason(VaeImpl& model) {
  const ModelConfig& config = model.config();
  if (config.kind != ModelKind::Mlp) return "not an MLP";
  if (config.family != ModelFamily::Vae || config.conditional) return "not an unconditional Gaussian VAE";
  if (!model.capabilities().trainable) return "read-only";
  if (!find_sgemm()) return "no sgemm_ in the loaded BLAS";
  const auto expected = expected_parameters(config);
  auto named = model.named_parameters(true);
  if (named.size() != expected.size()) return "unexpected parameter count";
  for (const auto& e : expected) {
    const auto* found = named.find(e.name);
    if (!found) return "no parameter named " + e.name;
    if (found->sizes().vec() != e.shape || found->scalar_type() != torch::kFloat || !found->is_contiguous())
      return "parameter " + e.name + " has an unexpected shape or type";
  }
  return "";
}

std::unique_ptr<FusedMlpStep> FusedMlpStep::create(VaeImpl& model, int max_batch) {
  if (max_batch <= 0 || !unsupported_reason(model).empty()) return nullptr;
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.config = model.config();
  s.sgemm = find_sgemm();
  s.max_batch = max_batch;
  auto named = model.named_parameters(true);
  for (const auto& item : named) {
    s.names.push_back(item.key());
    s.params.push_back(item.value());
    s.grads.push_back(torch::zeros_like(item.value()));
    s.exp_avg.emplace_back(item.value().numel(), 0.0f);
    s.exp_avg_sq.emplace_back(item.value().numel(), 0.0f);
  }
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < s.names.size(); ++i)
      if (s.names[i] == name) return i;
    throw std::logic_error("fused MLP step: no parameter " + name);
  };
  auto dense = [&](const std::string& prefix) {
    const auto w = index_of(prefix + ".weight");
    const auto b = index_of(prefix + ".bias");
    Dense l;
    l.out = static_cast<int>(s.params[w].size(0));
    l.in = static_cast<int>(s.params[w].size(1));
    l.weight = s.params[w].data_ptr<float>();
    l.bias = s.params[b].data_ptr<float>();
    l.weight_grad = s.grads[w].data_ptr<float>();
    l.bias_grad = s.grads[b].data_ptr<float>();
    return l;
  };
  const auto& config = s.config;
  const std::size_t layers = config.hidden.size();
  for (std::size_t k = 0; k < layers; ++k) s.encoder.push_back(dense("encoder." + std::to_string(1 + 2 * k)));
  s.mu_head = dense("mu");
  s.logvar_head = dense("logvar");
  for (std::size_t k = 0; k <= layers; ++k) s.decoder.push_back(dense("decoder." + std::to_string(2 * k)));
  if (config.likelihood == Likelihood::Gaussian && config.learn_variance) {
    const auto i = index_of("log_sigma");
    s.log_sigma = s.params[i].data_ptr<float>();
    s.log_sigma_grad = s.grads[i].data_ptr<float>();
  }
  const std::size_t batch = static_cast<std::size_t>(max_batch);
  int widest = config.latent;
  for (const auto& l : s.encoder) {
    s.encoder_act.emplace_back(batch * l.out);
    widest = std::max(widest, l.out);
  }
  for (std::size_t k = 0; k < layers; ++k) s.decoder_act.emplace_back(batch * s.decoder[k].out);
  const std::size_t latent = batch * config.latent;
  for (auto* buffer : {&s.mu, &s.logvar, &s.sd, &s.var, &s.z, &s.dz, &s.dmu, &s.dlogvar}) buffer->resize(latent);
  const std::size_t pixels = static_cast<std::size_t>(config.image_size());
  s.out.resize(batch * pixels);
  s.scratch_a.resize(batch * widest);
  s.scratch_b.resize(batch * widest);
  s.column_loss.resize(pixels);
  s.column_sigma_grad.resize(pixels);
  s.kl_per_dim.resize(config.latent);
  return std::unique_ptr<FusedMlpStep>(new FusedMlpStep(std::move(impl)));
}

FusedMlpStep::FusedMlpStep(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FusedMlpStep::~FusedMlpStep() = default;

std::vector<at::Tensor>& FusedMlpStep::gradients() { return impl_->grads; }

FusedMlpStep::Loss FusedMlpStep::forward_backward(const float* images, const float* eps, int n, double beta,
                                                  float* kl_per_dim_mean) {
  Impl& s = *impl_;
  if (n <= 0 || n > s.max_batch) throw std::invalid_argument("fused MLP step: batch of " + std::to_string(n));
  const ModelConfig& config = s.config;
  const int latent = config.latent;
  const int pixels = config.image_size();
  const std::size_t layers = config.hidden.size();
  Loss loss;

  // Encoder.
  const float* input = images;
  for (std::size_t k = 0; k < layers; ++k) {
    s.forward(s.encoder[k], input, s.encoder_act[k].data(), n);
    bias_relu(s.encoder_act[k].data(), s.encoder[k].bias, n, s.encoder[k].out);
    input = s.encoder_act[k].data();
  }
  const float* features = input;
  s.forward(s.mu_head, features, s.mu.data(), n);
  s.forward(s.logvar_head, features, s.logvar.data(), n);
  std::fill(s.kl_per_dim.begin(), s.kl_per_dim.end(), 0.0);
  latent_forward(s.mu.data(), s.logvar.data(), s.mu_head.bias, s.logvar_head.bias, eps, s.sd.data(), s.var.data(),
                 s.z.data(), n, latent, s.kl_per_dim.data());
  for (int j = 0; j < latent; ++j) {
    loss.kl += s.kl_per_dim[j];
    kl_per_dim_mean[j] = static_cast<float>(s.kl_per_dim[j] / n);
  }

  // Decoder.
  input = s.z.data();
  for (std::size_t k = 0; k < layers; ++k) {
    s.forward(s.decoder[k], input, s.decoder_act[k].data(), n);
    bias_relu(s.decoder_act[k].data(), s.decoder[k].bias, n, s.decoder[k].out);
    input = s.decoder_act[k].data();
  }
  const Dense& output = s.decoder[layers];
  s.forward(output, input, s.out.data(), n);

  // Likelihood: loss, and the logits become their gradient in place.
  std::fill(output.bias_grad, output.bias_grad + pixels, 0.0f);
  std::fill(s.column_loss.begin(), s.column_loss.end(), 0.0f);
  switch (config.likelihood) {
    case Likelihood::Bernoulli:
      bernoulli_pass(s.out.data(), output.bias, images, n, pixels, output.bias_grad, s.column_loss.data());
      break;
    case Likelihood::Gaussian: {
      // The model's log_sigma(): the learned value clamped to [-7, 3], or the fixed sigma.
      const float raw = s.log_sigma ? *s.log_sigma : static_cast<float>(std::log(config.gaussian_sigma));
      const float log_sigma = std::min(std::max(raw, -7.0f), 3.0f);
      std::fill(s.column_sigma_grad.begin(), s.column_sigma_grad.end(), 0.0f);
      gaussian_pass(s.out.data(), output.bias, images, n, pixels, s.log_sigma ? log_sigma : raw, output.bias_grad,
                    s.column_loss.data(), s.column_sigma_grad.data());
      if (s.log_sigma_grad) {
        double sum = 0;
        for (float g : s.column_sigma_grad) sum += g;
        *s.log_sigma_grad = (raw >= -7.0f && raw <= 3.0f) ? static_cast<float>(sum) : 0.0f;
      }
      break;
    }
    case Likelihood::ContinuousBernoulli: {
      double sum = 0;
      continuous_bernoulli_pass(s.out.data(), output.bias, images, n, pixels, output.bias_grad, sum);
      loss.recon = sum;
      break;
    }
  }
  if (config.likelihood != Likelihood::ContinuousBernoulli)
    for (float c : s.column_loss) loss.recon += c;
  loss.finite = std::isfinite(loss.recon + beta * loss.kl);
  if (!loss.finite) return loss;

  // Backward through the decoder: d(logits) is in s.out.
  float* dy = s.out.data();
  for (std::size_t k = layers + 1; k-- > 0;) {
    const Dense& l = s.decoder[k];
    const float* layer_input = k == 0 ? s.z.data() : s.decoder_act[k - 1].data();
    s.weight_grad(l, layer_input, dy, n);
    float* dx = k == 0 ? s.dz.data() : (dy == s.scratch_a.data() ? s.scratch_b.data() : s.scratch_a.data());
    s.input_grad(l, dy, dx, n, false);
    if (k > 0) relu_backward(dx, s.decoder_act[k - 1].data(), s.decoder[k - 1].bias_grad, n, l.in);
    dy = dx;
  }

  // Latent: reparameterisation and KL.
  latent_backward(s.dz.data(), s.mu.data(), s.sd.data(), s.var.data(), eps, static_cast<float>(beta), s.dmu.data(),
                  s.dlogvar.data(), s.mu_head.bias_grad, s.logvar_head.bias_grad, n, latent);
  s.weight_grad(s.mu_head, features, s.dmu.data(), n);
  s.weight_grad(s.logvar_head, features, s.dlogvar.data(), n);
  if (layers == 0) return loss;  // a linear encoder's input needs no gradient
  float* dh = s.scratch_a.data();
  s.input_grad(s.mu_head, s.dmu.data(), dh, n, false);
  s.input_grad(s.logvar_head, s.dlogvar.data(), dh, n, true);

  // Backward through the encoder.
  for (std::size_t k = layers; k-- > 0;) {
    const Dense& l = s.encoder[k];
    relu_backward(dh, s.encoder_act[k].data(), l.bias_grad, n, l.out);
    const float* layer_input = k == 0 ? images : s.encoder_act[k - 1].data();
    s.weight_grad(l, layer_input, dh, n);
    if (k == 0) break;
    float* dx = dh == s.scratch_a.data() ? s.scratch_b.data() : s.scratch_a.data();
    s.input_grad(l, dh, dx, n, false);
    dh = dx;
  }
  return loss;
}

bool FusedMlpStep::adam_step(double learning_rate) {
  Impl& s = *impl_;
  ++s.adam_steps;
  const double step = static_cast<double>(s.adam_steps);
  const double bias_correction1 = 1 - std::pow(s.adam.beta1, step);
  const double bias_correction2 = 1 - std::pow(s.adam.beta2, step);
  AdamConstants c;
  c.beta1 = static_cast<float>(s.adam.beta1);
  c.one_minus_beta1 = static_cast<float>(1 - s.adam.beta1);
  c.beta2 = static_cast<float>(s.adam.beta2);
  c.one_minus_beta2 = static_cast<float>(1 - s.adam.beta2);
  c.sqrt_bias_correction2 = static_cast<float>(std::sqrt(bias_correction2));
  c.eps = static_cast<float>(s.adam.eps);
  c.neg_step_size = static_cast<float>(-(learning_rate / bias_correction1));

  // Work items of about equal size across all parameters, so that threads split the work
  // whatever the layer widths.
  constexpr std::int64_t kChunk = 1 << 15;
  struct Chunk {
    std::size_t param;
    std::int64_t begin, end;
  };
  std::vector<Chunk> chunks;
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const std::int64_t n = s.params[i].numel();
    for (std::int64_t b = 0; b < n; b += kChunk) chunks.push_back({i, b, std::min(n, b + kChunk)});
  }
  std::atomic<bool> non_finite{false};
  at::parallel_for(0, static_cast<std::int64_t>(chunks.size()), 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const Chunk& chunk = chunks[static_cast<std::size_t>(k)];
      const std::size_t i = chunk.param;
      const std::int64_t b = chunk.begin;
      if (adam_update(s.params[i].data_ptr<float>() + b, s.grads[i].data_ptr<float>() + b, s.exp_avg[i].data() + b,
                      s.exp_avg_sq[i].data() + b, chunk.end - b, c))
        non_finite = true;
    }
  });
  return !non_finite;
}

AdamState FusedMlpStep::export_adam_state() const {
  const Impl& s = *impl_;
  AdamState state;
  if (s.adam_steps == 0) return state;  // a fresh optimiser, as LibTorch's before its first step
  state.step = s.adam_steps;
  state.names = s.names;
  state.exp_avg = s.exp_avg;
  state.exp_avg_sq = s.exp_avg_sq;
  return state;
}

void FusedMlpStep::import_adam_state(const AdamState& state) {
  Impl& s = *impl_;
  if (state.empty()) {
    s.adam_steps = 0;
    for (auto& m : s.exp_avg) std::fill(m.begin(), m.end(), 0.0f);
    for (auto& v : s.exp_avg_sq) std::fill(v.begin(), v.end(), 0.0f);
    return;
  }
  if (state.names != s.names || state.exp_avg.size() != s.names.size() || state.exp_avg_sq.size() != s.names.size() ||
      state.step < 0)
    throw std::invalid_argument("the optimiser state does not match the model's parameters");
  for (std::size_t i = 0; i < s.names.size(); ++i)
    if (state.exp_avg[i].size() != s.exp_avg[i].size() || state.exp_avg_sq[i].size() != s.exp_avg_sq[i].size())
      throw std::invalid_argument("the optimiser state of '" + s.names[i] + "' does not match the model");
  s.adam_steps = state.step;
  s.exp_avg = state.exp_avg;
  s.exp_avg_sq = state.exp_avg_sq;
}

}  // namespace vae
