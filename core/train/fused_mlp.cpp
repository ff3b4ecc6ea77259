#include "core/train/fused_mlp.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
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
  SingleThreadedBlas() {
    using Get = int (*)();
    static const auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (get && set() && (previous_ = get()) != 1) set()(1);
  }
  ~SingleThreadedBlas() {
    if (previous_ > 1) set()(previous_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  using Set = void (*)(int);
  static Set set() {
    static const auto function = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    return function;
  }
  int previous_ = 1;
};

// How the step's work is cut into tasks for the pool. The cuts depend only on the shapes, never
// on the thread count, so every thread count computes the same numbers.
// A GEMM is cut into blocks of rows of its (column-major) result of about this much work; fewer
// than two blocks' worth runs whole. Blocks of 16 rows match the widest sgemm kernels' unroll.
constexpr double kGemmFlopsPerBlock = 8e6;
constexpr int kMaxGemmBlocks = 8;
constexpr int kGemmRowAlignment = 16;
// Element-wise passes take the batch in blocks of this many rows.
constexpr int kRowsPerBlock = 16;
// Adam takes the parameters in chunks of this many values.
constexpr std::int64_t kAdamChunk = 1 << 15;

int row_blocks(int n) { return (n + kRowsPerBlock - 1) / kRowsPerBlock; }

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
  // Per row block of an element-wise pass: its column sums (bias gradient, loss, sigma gradient)
  // and its continuous-Bernoulli loss, added up in block order afterwards.
  std::vector<float> block_bias_grad, block_loss, block_sigma_grad;
  std::vector<double> block_total;
  struct AdamChunk {
    std::size_t param;
    std::int64_t begin, end;
  };
  std::vector<AdamChunk> adam_chunks;

  // Column-major C (m x n) = op(A) op(B) + beta C through sgemm_, in blocks of rows of C that the
  // pool's threads claim one at a time.
  void sgemm_blocks(char ta, char tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta,
                    float* c, int ldc) const {
    const float one = 1;
    const double flops = 2.0 * m * n * k;
    const int wanted = std::min(kMaxGemmBlocks, static_cast<int>(flops / kGemmFlopsPerBlock));
    if (wanted < 2) {
      sgemm(&ta, &tb, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc);
      return;
    }
    const int per_block = ((m + wanted - 1) / wanted + kGemmRowAlignment - 1) / kGemmRowAlignment * kGemmRowAlignment;
    const int blocks = (m + per_block - 1) / per_block;
    pool->run(blocks, [&](int block) {
      const int first = block * per_block;
      const int rows = std::min(per_block, m - first);
      const float* a_block = ta == 'N' ? a + first : a + static_cast<std::ptrdiff_t>(first) * lda;
      sgemm(&ta, &tb, &rows, &n, &k, &one, a_block, &lda, b, &ldb, &beta, c + first, &ldc);
    });
  }

  // pass(first_row, rows, block) for each block of rows of an n-row batch, on the pool.
  template <typename Pass>
  void by_rows(int n, Pass pass) const {
    pool->run(row_blocks(n), [&](int block) {
      const int first = block * kRowsPerBlock;
      pass(first, std::min(kRowsPerBlock, n - first), block);
    });
  }
  // sum[j] (+)= the blocks' partial sums in block order.
  static void add_blocks(const std::vector<float>& partial, int blocks, int width, float* sum) {
    for (int b = 0; b < blocks; ++b) {
      const float* part = partial.data() + static_cast<std::size_t>(b) * width;
      for (int j = 0; j < width; ++j) sum[j] += part[j];
    }
  }
  // Bias + ReLU over the batch's row blocks.
  void bias_relu_rows(float* y, const float* bias, int n, int width) const {
    by_rows(n, [&](int first, int rows, int) {
      bias_relu(y + static_cast<std::ptrdiff_t>(first) * width, bias, rows, width);
    });
  }
  // ReLU's backward over the row blocks; bias_grad <- the column sums.
  void relu_backward_rows(float* dy, const float* act, float* bias_grad, int n, int width) {
    by_rows(n, [&](int first, int rows, int block) {
      const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(first) * width;
      relu_backward(dy + offset, act + offset, block_bias_grad.data() + static_cast<std::size_t>(block) * width, rows,
                    width);
    });
    std::fill(bias_grad, bias_grad + width, 0.0f);
    add_blocks(block_bias_grad, row_blocks(n), width, bias_grad);
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
  void forward(const Dense& l, Operand x, float* y, int n) const {
    if (onednn) return onednn_gemm(false, true, n, l.out, l.in, x, weight_of(l), y, false);
    sgemm_blocks('T', 'N', l.out, n, l.in, l.weight, l.in, x.f32, l.in, 0.0f, y, l.out);
  }
  // dW (l.out x l.in) = dY^T X.
  void weight_grad(const Dense& l, Operand x, Operand dy, int n) const {
    if (onednn) return onednn_gemm(true, false, l.out, l.in, n, dy, x, l.weight_grad, false);
    sgemm_blocks('N', 'T', l.in, l.out, n, x.f32, l.in, dy.f32, l.out, 0.0f, l.weight_grad, l.in);
  }
  // dX (n x l.in) = dY W, added to dX when accumulate.
  void input_grad(const Dense& l, Operand dy, float* dx, int n, bool accumulate) const {
    if (onednn) return onednn_gemm(false, false, n, l.in, l.out, dy, weight_of(l), dx, accumulate);
    sgemm_blocks('N', 'N', l.in, n, l.out, l.weight, l.in, dy.f32, l.out, accumulate ? 1.0f : 0.0f, dx, l.in);
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
  const std::size_t blocks = static_cast<std::size_t>(row_blocks(max_batch));
  const std::size_t widest_row = std::max<std::size_t>(pixels, static_cast<std::size_t>(widest));
  s.block_bias_grad.resize(blocks * widest_row);
  s.block_loss.resize(blocks * pixels);
  s.block_sigma_grad.resize(blocks * pixels);
  s.block_total.resize(blocks);
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
    s.forward(s.encoder[k], input, s.encoder_act[k].data(), n);
    s.bias_relu_rows(s.encoder_act[k].data(), s.encoder[k].bias, n, s.encoder[k].out);
    input = s.operand(s.encoder_act[k].data(), rows * s.encoder[k].out, s.bf16 ? s.encoder_act_bf16[k] : s.images_bf16);
  }
  const Operand features = input;
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
  input = s.operand(s.z.data(), rows * latent, s.z_bf16);
  const Operand z_operand = input;
  for (std::size_t k = 0; k < layers; ++k) {
    s.forward(s.decoder[k], input, s.decoder_act[k].data(), n);
    s.bias_relu_rows(s.decoder_act[k].data(), s.decoder[k].bias, n, s.decoder[k].out);
    input = s.operand(s.decoder_act[k].data(), rows * s.decoder[k].out, s.bf16 ? s.decoder_act_bf16[k] : s.z_bf16);
  }
  const Dense& output = s.decoder[layers];
  s.forward(output, input, s.out.data(), n);

  // Likelihood: loss, and the logits become their gradient in place. Each row block sums its own
  // columns; the blocks are added up in order.
  const int blocks = row_blocks(n);
  const std::size_t block_values = static_cast<std::size_t>(blocks) * pixels;
  std::fill_n(s.block_bias_grad.begin(), block_values, 0.0f);
  std::fill_n(s.block_loss.begin(), block_values, 0.0f);
  auto block_of = [pixels](std::vector<float>& partial, int block) {
    return partial.data() + static_cast<std::size_t>(block) * pixels;
  };
  // The model's log_sigma(): the learned value clamped to [-7, 3], or the fixed sigma.
  const float raw_log_sigma = s.log_sigma ? *s.log_sigma : static_cast<float>(std::log(config.gaussian_sigma));
  const float log_sigma = s.log_sigma ? std::min(std::max(raw_log_sigma, -7.0f), 3.0f) : raw_log_sigma;
  if (config.likelihood == Likelihood::Gaussian) std::fill_n(s.block_sigma_grad.begin(), block_values, 0.0f);
  if (config.likelihood == Likelihood::ContinuousBernoulli) std::fill(s.block_total.begin(), s.block_total.end(), 0.0);
  s.by_rows(n, [&](int first, int count, int block) {
    const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(first) * pixels;
    float* logits = s.out.data() + offset;
    const float* x = images + offset;
    float* bias_grad = block_of(s.block_bias_grad, block);
    switch (config.likelihood) {
      case Likelihood::Bernoulli:
        bernoulli_pass(logits, output.bias, x, count, pixels, bias_grad, block_of(s.block_loss, block));
        break;
      case Likelihood::Gaussian:
        gaussian_pass(logits, output.bias, x, count, pixels, log_sigma, bias_grad, block_of(s.block_loss, block),
                      block_of(s.block_sigma_grad, block));
        break;
      case Likelihood::ContinuousBernoulli:
        continuous_bernoulli_pass(logits, output.bias, x, count, pixels, bias_grad, s.block_total[block]);
        break;
    }
  });
  std::fill(output.bias_grad, output.bias_grad + pixels, 0.0f);
  Impl::add_blocks(s.block_bias_grad, blocks, pixels, output.bias_grad);
  std::fill(s.column_loss.begin(), s.column_loss.end(), 0.0f);
  Impl::add_blocks(s.block_loss, blocks, pixels, s.column_loss.data());
  if (config.likelihood == Likelihood::Gaussian && s.log_sigma_grad) {
    std::fill(s.column_sigma_grad.begin(), s.column_sigma_grad.end(), 0.0f);
    Impl::add_blocks(s.block_sigma_grad, blocks, pixels, s.column_sigma_grad.data());
    double sum = 0;
    for (float g : s.column_sigma_grad) sum += g;
    *s.log_sigma_grad = (raw_log_sigma >= -7.0f && raw_log_sigma <= 3.0f) ? static_cast<float>(sum) : 0.0f;
  }
  if (config.likelihood == Likelihood::ContinuousBernoulli)
    for (int b = 0; b < blocks; ++b) loss.recon += s.block_total[static_cast<std::size_t>(b)];
  if (config.likelihood != Likelihood::ContinuousBernoulli)
    for (float c : s.column_loss) loss.recon += c;
  loss.finite = std::isfinite(loss.recon + beta * loss.kl);
  if (!loss.finite) return loss;

  // Backward through the decoder: d(logits) is in s.out. The scratch buffers alternate, each with
  // its own bf16 copy.
  float* dy = s.out.data();
  Operand dy_operand = s.operand(dy, rows * pixels, s.out_bf16);
  for (std::size_t k = layers + 1; k-- > 0;) {
    const Dense& l = s.decoder[k];
    s.weight_grad(l, k == 0 ? z_operand : s.activation(s.decoder_act, s.decoder_act_bf16, k - 1), dy_operand, n);
    const bool into_a = dy != s.scratch_a.data();
    float* dx = k == 0 ? s.dz.data() : (into_a ? s.scratch_a.data() : s.scratch_b.data());
    s.input_grad(l, dy_operand, dx, n, false);
    if (k == 0) break;
    s.relu_backward_rows(dx, s.decoder_act[k - 1].data(), s.decoder[k - 1].bias_grad, n, l.in);
    dy = dx;
    dy_operand = s.operand(dx, rows * l.in, into_a ? s.scratch_a_bf16 : s.scratch_b_bf16);
  }

  // Latent: reparameterisation and KL.
  latent_backward(s.dz.data(), s.mu.data(), s.sd.data(), s.var.data(), eps, static_cast<float>(beta), s.dmu.data(),
                  s.dlogvar.data(), s.mu_head.bias_grad, s.logvar_head.bias_grad, n, latent);
  const Operand dmu = s.operand(s.dmu.data(), rows * latent, s.dmu_bf16);
  const Operand dlogvar = s.operand(s.dlogvar.data(), rows * latent, s.dlogvar_bf16);
  s.weight_grad(s.mu_head, features, dmu, n);
  s.weight_grad(s.logvar_head, features, dlogvar, n);
  if (layers == 0) return loss;  // a linear encoder's input needs no gradient
  float* dh = s.scratch_a.data();
  s.input_grad(s.mu_head, dmu, dh, n, false);
  s.input_grad(s.logvar_head, dlogvar, dh, n, true);

  // Backward through the encoder.
  for (std::size_t k = layers; k-- > 0;) {
    const Dense& l = s.encoder[k];
    s.relu_backward_rows(dh, s.encoder_act[k].data(), l.bias_grad, n, l.out);
    const bool in_a = dh == s.scratch_a.data();
    const Operand dh_operand = s.operand(dh, rows * l.out, in_a ? s.scratch_a_bf16 : s.scratch_b_bf16);
    s.weight_grad(l, k == 0 ? image_operand : s.activation(s.encoder_act, s.encoder_act_bf16, k - 1), dh_operand, n);
    if (k == 0) break;
    float* dx = in_a ? s.scratch_b.data() : s.scratch_a.data();
    s.input_grad(l, dh_operand, dx, n, false);
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
