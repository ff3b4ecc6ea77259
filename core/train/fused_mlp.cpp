#include "core/train/fused_mlp.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "core/model/vae.h"
#include "core/runtime/runtime.h"
#include "core/train/fused_kernels.h"
#include "core/train/work_pool.h"

namespace vae {

using namespace fused;

namespace {

using Sgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);

// The BLAS LibTorch itself loaded (libblas.so.3: OpenBLAS, or the reference BLAS as a fallback).
Sgemm find_sgemm() { return reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "sgemm_")); }

// The step splits its work itself (work_pool.h), so OpenBLAS must not start threads of its own
// inside a block: while a step runs, it is held at one thread and then given back its count.
// That also keeps the numbers independent of the thread count (OpenBLAS's threaded GEMM rounds
// differently). Only the stepping thread calls the BLAS meanwhile (the window runs it at one
// thread anyway).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : previous_(blas_threads()) {
    if (previous_ > 1) set_blas_threads(1);
  }
  ~SingleThreadedBlas() {
    if (previous_ > 1) set_blas_threads(previous_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;  // 0 when OpenBLAS is not the loaded BLAS
};

// How the step's work is cut into tasks for the pool. The cuts depend only on the shapes, never
// on the thread count, so every thread count computes the same numbers.
// A GEMM is cut into blocks of columns of its (row-major) result of about this much work, so that
// even the latent layers' small GEMMs split in two. Blocks of 16 match the widest sgemm kernels'
// unroll.
constexpr double kGemmFlopsPerBlock = 1e6;
constexpr int kMaxGemmBlocks = 8;
constexpr int kGemmRowAlignment = 16;
// Adam takes the parameters in chunks of this many values.
constexpr std::int64_t kAdamChunk = 1 << 15;

struct Dense {
  int in = 0;
  int out = 0;
  float* weight = nullptr;  // out x in, row-major (LibTorch's Linear)
  float* bias = nullptr;
  float* weight_grad = nullptr;
  float* bias_grad = nullptr;
  std::uint16_t* weight_bf16 = nullptr;  // the weights rounded to bf16 this step (bf16 GEMMs only)
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

// An operand of a GEMM: its fp32 values and, with bf16 GEMMs, its bf16 copy.
struct Operand {
  const float* f32;
  const std::uint16_t* bf16;
};

struct FusedMlpStep::Impl {
  ModelConfig config;
  std::unique_ptr<WorkPool> pool;
  Sgemm sgemm = nullptr;
  std::unique_ptr<OneDnnGemm> onednn;  // set: GEMMs through oneDNN instead of sgemm_
  bool bf16 = false;                   // ... with bf16 operands
  std::vector<std::vector<std::uint16_t>> weights_bf16;
  // bf16 copies of the GEMMs' activation and gradient operands (empty with fp32 GEMMs).
  std::vector<std::uint16_t> images_bf16, z_bf16, out_bf16, dmu_bf16, dlogvar_bf16, scratch_a_bf16, scratch_b_bf16;
  std::vector<std::vector<std::uint16_t>> encoder_act_bf16, decoder_act_bf16;
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
  // Continuous Bernoulli: each block of output columns sums its own loss; added in block order.
  std::vector<double> block_loss;
  struct AdamChunk {
    std::size_t param;
    std::int64_t begin, end;
  };
  std::vector<AdamChunk> adam_chunks;

  // One layer's GEMM in sgemm's column-major terms: C (m x n) = op(A) op(B) + beta C, which is the
  // row-major result (n x m) the layer works with, m its width. The pool computes it in blocks of
  // m (blocks of the result's columns); a block then runs the epilogue on its own columns while
  // they are in cache: bias and ReLU, the likelihood's gradient, or ReLU's backward with the bias
  // gradient. Column sums need no cross-block reduction that way, and each layer costs one job.
  struct Product {
    char ta = 'N', tb = 'N';
    int m = 0, n = 0, k = 0;
    const float* a = nullptr;
    int lda = 0;
    const float* b = nullptr;
    int ldb = 0;
    float beta = 0;
    float* c = nullptr;
    int ldc = 0;
    // A second product added into the same C, block by block (the two heads' input gradients).
    const float* a2 = nullptr;
    const float* b2 = nullptr;
    // GEMMs through oneDNN: the whole product, computed before the blocks run their epilogues.
    std::function<void()> whole;
    // On result columns [first, first + count), block `block`, after the block's product.
    std::function<void(int first, int count, int block)> epilogue;
  };
  static Product gemm(char ta, char tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
                      int ldc) {
    Product p;
    p.ta = ta, p.tb = tb, p.m = m, p.n = n, p.k = k;
    p.a = a, p.lda = lda, p.b = b, p.ldb = ldb, p.c = c, p.ldc = ldc;
    return p;
  }
  struct Block {
    std::size_t product;
    int first, count, index;
  };
  std::vector<Block> blocks;  // reused by every job

  // The same cut for every thread count: about kGemmFlopsPerBlock of work a block, in multiples of
  // kGemmRowAlignment columns, at most kMaxGemmBlocks.
  static int block_width(const Product& p) {
    const double flops = 2.0 * p.m * p.n * p.k;
    const int wanted = std::max(1, std::min(kMaxGemmBlocks, static_cast<int>(flops / kGemmFlopsPerBlock)));
    return ((p.m + wanted - 1) / wanted + kGemmRowAlignment - 1) / kGemmRowAlignment * kGemmRowAlignment;
  }

  // Computes the products (independent of each other) as one job of the pool.
  void run(std::vector<Product>& products) {
    blocks.clear();
    for (std::size_t i = 0; i < products.size(); ++i) {
      Product& p = products[i];
      if (p.whole) {
        p.whole();
        if (!p.epilogue) continue;
      }
      const int width = block_width(p);
      for (int first = 0, index = 0; first < p.m; first += width, ++index)
        blocks.push_back({i, first, std::min(width, p.m - first), index});
    }
    pool->run(static_cast<int>(blocks.size()), [&](int t) {
      const Block& block = blocks[static_cast<std::size_t>(t)];
      const Product& p = products[block.product];
      if (!p.whole) {
        const float one = 1;
        const std::ptrdiff_t a_offset = p.ta == 'N' ? block.first : static_cast<std::ptrdiff_t>(block.first) * p.lda;
        sgemm(&p.ta, &p.tb, &block.count, &p.n, &p.k, &one, p.a + a_offset, &p.lda, p.b, &p.ldb, &p.beta,
              p.c + block.first, &p.ldc);
        if (p.a2)
          sgemm(&p.ta, &p.tb, &block.count, &p.n, &p.k, &one, p.a2 + a_offset, &p.lda, p.b2, &p.ldb, &one,
                p.c + block.first, &p.ldc);
      }
      if (p.epilogue) p.epilogue(block.first, block.count, block.index);
    });
  }

  // The operand `values` (count floats) with its bf16 copy in `copy`, made now (bf16 GEMMs only).
  Operand operand(const float* values, std::size_t count, std::vector<std::uint16_t>& copy) const {
    if (!bf16) return {values, nullptr};
    convert_to_bf16(values, copy.data(), count);
    return {values, copy.data()};
  }
  // Row-major C (m x n) = op(A) op(B) through oneDNN, in its precision.
  void onednn_gemm(bool ta, bool tb, int m, int n, int k, Operand a, Operand b, float* c, bool accumulate) const {
    onednn->run(ta, tb, m, n, k, bf16 ? static_cast<const void*>(a.bf16) : a.f32,
                bf16 ? static_cast<const void*>(b.bf16) : b.f32, c, accumulate);
  }
  static Operand weight_of(const Dense& l) { return {l.weight, l.weight_bf16}; }
  // Hidden layer k's activations as an operand (their bf16 copy was made in the forward pass).
  Operand activation(const std::vector<std::vector<float>>& act, const std::vector<std::vector<std::uint16_t>>& copies,
                     std::size_t k) const {
    return {act[k].data(), bf16 ? copies[k].data() : nullptr};
  }

  // Y (n x l.out) = X (n x l.in) W^T, all row-major: column-major Y^T = W^T' X^T.
  Product forward(const Dense& l, Operand x, float* y, int n) const {
    Product p = gemm('T', 'N', l.out, n, l.in, l.weight, l.in, x.f32, l.in, y, l.out);
    if (onednn) p.whole = [this, &l, x, y, n] { onednn_gemm(false, true, n, l.out, l.in, x, weight_of(l), y, false); };
    return p;
  }
  // ... then bias and ReLU.
  Product forward_relu(const Dense& l, Operand x, float* y, int n) const {
    Product p = forward(l, x, y, n);
    p.epilogue = [&l, y, n](int first, int count, int) { bias_relu(y + first, l.bias + first, n, count, l.out); };
    return p;
  }
  // dW (l.out x l.in) = dY^T X.
  Product weight_grad(const Dense& l, Operand x, Operand dy, int n) const {
    Product p = gemm('N', 'T', l.in, l.out, n, x.f32, l.in, dy.f32, l.out, l.weight_grad, l.in);
    if (onednn)
      p.whole = [this, &l, x, dy, n] { onednn_gemm(true, false, l.out, l.in, n, dy, x, l.weight_grad, false); };
    return p;
  }
  // dX (n x l.in) = dY W.
  Product input_grad(const Dense& l, Operand dy, float* dx, int n) const {
    Product p = gemm('N', 'N', l.in, n, l.out, l.weight, l.in, dy.f32, l.out, dx, l.in);
    if (onednn)
      p.whole = [this, &l, dy, dx, n] { onednn_gemm(false, false, n, l.in, l.out, dy, weight_of(l), dx, false); };
    return p;
  }
  // ... then ReLU's backward through `below` (the layer whose activations `act` are l's input),
  // and below's bias gradient.
  Product input_grad_relu(const Dense& l, Operand dy, float* dx, int n, const float* act, const Dense& below) const {
    Product p = input_grad(l, dy, dx, n);
    p.epilogue = [&l, &below, dx, act, n](int first, int count, int) {
      relu_backward(dx + first, act + first, below.bias_grad + first, n, count, l.in);
    };
    return p;
  }
};

std::string FusedMlpStep::unsupported_reason(VaeImpl& model, GemmPrecision precision) {
  const ModelConfig& config = model.config();
  if (precision == GemmPrecision::Bf16) {
    if (const std::string why = bf16_unavailable_reason(); !why.empty()) return why;
  }
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

std::unique_ptr<FusedMlpStep> FusedMlpStep::create(VaeImpl& model, int max_batch, GemmPrecision precision,
                                                   int threads) {
  if (max_batch <= 0 || !unsupported_reason(model, precision).empty()) return nullptr;
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.config = model.config();
  s.pool = std::make_unique<WorkPool>(threads > 0 ? threads : step_threads());
  s.sgemm = find_sgemm();
  s.bf16 = precision == GemmPrecision::Bf16;
  const char* fp32_gemm = std::getenv("VAE_FP32_GEMM");
  if (s.bf16 || (fp32_gemm && std::strcmp(fp32_gemm, "onednn") == 0 && onednn_available()))
    s.onednn = std::make_unique<OneDnnGemm>(precision);
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
    if (s.bf16) l.weight_bf16 = s.weights_bf16.emplace_back(static_cast<std::size_t>(l.out) * l.in).data();
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
  if (s.bf16) {
    s.images_bf16.resize(batch * pixels);
    s.out_bf16.resize(batch * pixels);
    for (auto* buffer : {&s.z_bf16, &s.dmu_bf16, &s.dlogvar_bf16}) buffer->resize(latent);
    s.scratch_a_bf16.resize(batch * widest);
    s.scratch_b_bf16.resize(batch * widest);
    for (const auto& act : s.encoder_act) s.encoder_act_bf16.emplace_back(act.size());
    for (const auto& act : s.decoder_act) s.decoder_act_bf16.emplace_back(act.size());
  }
  s.column_loss.resize(pixels);
  s.column_sigma_grad.resize(pixels);
  s.kl_per_dim.resize(config.latent);
  s.block_loss.resize(static_cast<std::size_t>(kMaxGemmBlocks));
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const std::int64_t n = s.params[i].numel();
    for (std::int64_t b = 0; b < n; b += kAdamChunk) s.adam_chunks.push_back({i, b, std::min(n, b + kAdamChunk)});
  }
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
  const std::size_t rows = static_cast<std::size_t>(n);
  const SingleThreadedBlas blas_scope;
  std::vector<Impl::Product> job;  // the products of one job of the pool
  auto run = [&](std::initializer_list<Impl::Product> products) {
    job.assign(products.begin(), products.end());
    s.run(job);
  };
  Loss loss;

  if (s.bf16) {  // Adam changed the fp32 weights: round them again
    auto round = [](const Dense& l) { convert_to_bf16(l.weight, l.weight_bf16, std::size_t(l.out) * l.in); };
    for (const Dense& l : s.encoder) round(l);
    round(s.mu_head);
    round(s.logvar_head);
    for (const Dense& l : s.decoder) round(l);
  }

  // Encoder.
  Operand input = s.operand(images, rows * pixels, s.images_bf16);
  const Operand image_operand = input;
  for (std::size_t k = 0; k < layers; ++k) {
    run({s.forward_relu(s.encoder[k], input, s.encoder_act[k].data(), n)});
    input = s.operand(s.encoder_act[k].data(), rows * s.encoder[k].out, s.bf16 ? s.encoder_act_bf16[k] : s.images_bf16);
  }
  const Operand features = input;
  run({s.forward(s.mu_head, features, s.mu.data(), n), s.forward(s.logvar_head, features, s.logvar.data(), n)});
  std::fill(s.kl_per_dim.begin(), s.kl_per_dim.end(), 0.0);
  latent_forward(s.mu.data(), s.logvar.data(), s.mu_head.bias, s.logvar_head.bias, eps, s.sd.data(), s.var.data(),
                 s.z.data(), n, latent, s.kl_per_dim.data());
  for (int j = 0; j < latent; ++j) {
    loss.kl += s.kl_per_dim[j];
    kl_per_dim_mean[j] = static_cast<float>(s.kl_per_dim[j] / n);
  }

  // Decoder.
  input = s.operand(s.z.data(), rows * latent, s.z_bf16);
  const Operand z_operand = input;
  for (std::size_t k = 0; k < layers; ++k) {
    run({s.forward_relu(s.decoder[k], input, s.decoder_act[k].data(), n)});
    input = s.operand(s.decoder_act[k].data(), rows * s.decoder[k].out, s.bf16 ? s.decoder_act_bf16[k] : s.z_bf16);
  }

  // The output layer, whose blocks go on to the likelihood: the loss per column, and the logits
  // become their gradient in place.
  const Dense& output = s.decoder[layers];
  // The model's log_sigma(): the learned value clamped to [-7, 3], or the fixed sigma.
  const float raw_log_sigma = s.log_sigma ? *s.log_sigma : static_cast<float>(std::log(config.gaussian_sigma));
  const float log_sigma = s.log_sigma ? std::min(std::max(raw_log_sigma, -7.0f), 3.0f) : raw_log_sigma;
  std::fill(output.bias_grad, output.bias_grad + pixels, 0.0f);
  std::fill(s.column_loss.begin(), s.column_loss.end(), 0.0f);
  std::fill(s.column_sigma_grad.begin(), s.column_sigma_grad.end(), 0.0f);
  std::fill(s.block_loss.begin(), s.block_loss.end(), 0.0);
  Impl::Product logits = s.forward(output, input, s.out.data(), n);
  logits.epilogue = [&](int first, int count, int block) {
    float* out = s.out.data() + first;
    const float* bias = output.bias + first;
    const float* x = images + first;
    float* bias_grad = output.bias_grad + first;
    switch (config.likelihood) {
      case Likelihood::Bernoulli:
        bernoulli_pass(out, bias, x, n, count, pixels, bias_grad, s.column_loss.data() + first);
        break;
      case Likelihood::Gaussian:
        gaussian_pass(out, bias, x, n, count, pixels, log_sigma, bias_grad, s.column_loss.data() + first,
                      s.column_sigma_grad.data() + first);
        break;
      case Likelihood::ContinuousBernoulli:
        continuous_bernoulli_pass(out, bias, x, n, count, pixels, bias_grad, s.block_loss[std::size_t(block)]);
        break;
    }
  };
  run({logits});
  if (config.likelihood == Likelihood::ContinuousBernoulli) {
    for (double block_loss : s.block_loss) loss.recon += block_loss;
  } else {
    for (float c : s.column_loss) loss.recon += c;
  }
  if (s.log_sigma_grad) {
    double sum = 0;
    for (float g : s.column_sigma_grad) sum += g;
    *s.log_sigma_grad = (raw_log_sigma >= -7.0f && raw_log_sigma <= 3.0f) ? static_cast<float>(sum) : 0.0f;
  }
  loss.finite = std::isfinite(loss.recon + beta * loss.kl);
  if (!loss.finite) return loss;

  // Backward through the decoder: d(logits) is in s.out. Each layer's weight gradient and input
  // gradient (with the ReLU below it) are one job. The scratch buffers alternate, each with its
  // own bf16 copy.
  float* dy = s.out.data();
  Operand dy_operand = s.operand(dy, rows * pixels, s.out_bf16);
  for (std::size_t k = layers + 1; k-- > 0;) {
    const Dense& l = s.decoder[k];
    const Impl::Product weights =
        s.weight_grad(l, k == 0 ? z_operand : s.activation(s.decoder_act, s.decoder_act_bf16, k - 1), dy_operand, n);
    if (k == 0) {
      run({weights, s.input_grad(l, dy_operand, s.dz.data(), n)});
      break;
    }
    const bool into_a = dy != s.scratch_a.data();
    float* dx = into_a ? s.scratch_a.data() : s.scratch_b.data();
    run({weights, s.input_grad_relu(l, dy_operand, dx, n, s.decoder_act[k - 1].data(), s.decoder[k - 1])});
    dy = dx;
    dy_operand = s.operand(dx, rows * l.in, into_a ? s.scratch_a_bf16 : s.scratch_b_bf16);
  }

  // Latent: reparameterisation and KL.
  latent_backward(s.dz.data(), s.mu.data(), s.sd.data(), s.var.data(), eps, static_cast<float>(beta), s.dmu.data(),
                  s.dlogvar.data(), s.mu_head.bias_grad, s.logvar_head.bias_grad, n, latent);
  const Operand dmu = s.operand(s.dmu.data(), rows * latent, s.dmu_bf16);
  const Operand dlogvar = s.operand(s.dlogvar.data(), rows * latent, s.dlogvar_bf16);
  const Impl::Product mu_weights = s.weight_grad(s.mu_head, features, dmu, n);
  const Impl::Product logvar_weights = s.weight_grad(s.logvar_head, features, dlogvar, n);
  if (layers == 0) {  // a linear encoder's input needs no gradient
    run({mu_weights, logvar_weights});
    return loss;
  }
  // dh = dmu W_mu + dlogvar W_logvar, then the top encoder layer's ReLU.
  float* dh = s.scratch_a.data();
  const Dense& top = s.encoder[layers - 1];
  Impl::Product heads = s.input_grad_relu(s.mu_head, dmu, dh, n, s.encoder_act[layers - 1].data(), top);
  if (heads.whole) {
    heads.whole = [&s, dmu, dlogvar, dh, n] {
      s.onednn_gemm(false, false, n, s.mu_head.in, s.mu_head.out, dmu, Impl::weight_of(s.mu_head), dh, false);
      s.onednn_gemm(false, false, n, s.logvar_head.in, s.logvar_head.out, dlogvar, Impl::weight_of(s.logvar_head), dh,
                    true);
    };
  } else {
    heads.a2 = s.logvar_head.weight;
    heads.b2 = s.dlogvar.data();
  }
  run({mu_weights, logvar_weights, heads});

  // Backward through the encoder: dh holds the gradient at layer k's pre-activation.
  for (std::size_t k = layers; k-- > 0;) {
    const Dense& l = s.encoder[k];
    const bool in_a = dh == s.scratch_a.data();
    const Operand dh_operand = s.operand(dh, rows * l.out, in_a ? s.scratch_a_bf16 : s.scratch_b_bf16);
    const Impl::Product weights = s.weight_grad(
        l, k == 0 ? image_operand : s.activation(s.encoder_act, s.encoder_act_bf16, k - 1), dh_operand, n);
    if (k == 0) {
      run({weights});
      break;
    }
    float* dx = in_a ? s.scratch_b.data() : s.scratch_a.data();
    run({weights, s.input_grad_relu(l, dh_operand, dx, n, s.encoder_act[k - 1].data(), s.encoder[k - 1])});
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

  // Chunks of about equal size across all parameters (made in create()), so that threads split
  // the work whatever the layer widths.
  std::atomic<bool> non_finite{false};
  s.pool->run(static_cast<int>(s.adam_chunks.size()), [&](int k) {
    const Impl::AdamChunk& chunk = s.adam_chunks[static_cast<std::size_t>(k)];
    const std::size_t i = chunk.param;
    const std::int64_t b = chunk.begin;
    if (adam_update(s.params[i].data_ptr<float>() + b, s.grads[i].data_ptr<float>() + b, s.exp_avg[i].data() + b,
                    s.exp_avg_sq[i].data() + b, chunk.end - b, c))
      non_finite.store(true, std::memory_order_relaxed);
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
