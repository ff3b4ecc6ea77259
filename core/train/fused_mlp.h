#pragma once
// A hand-written training step for the MLP VAE: forward and backward written out over
// preallocated buffers, GEMMs straight into the BLAS (sgemm_), bias + ReLU, reparameterisation,
// KL and the likelihood's gradient fused into one pass per layer, and Adam as one pass over
// each parameter. Its own thread pool splits GEMMs, passes and Adam into tasks that threads claim
// as they come free, so a thread preempted by the window holds up little (work_pool.h). It reads and writes the model's
// own parameter tensors, found by name (contract 4), so the model is always current for snapshots, evaluation and
// checkpoints. The autograd path stays the reference (tests compare the two) and trains everything else. LibTorch stays
// out of this header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/train/adam_state.h"
#include "core/train/onednn_gemm.h"

namespace at {
class Tensor;
}

namespace vae {

class VaeImpl;

// Adam's constants: LibTorch's AdamOptions defaults, which the session uses.
struct FusedAdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class FusedMlpStep {
 public:
  // nullptr when the model is not one this step handles (not an MLP, or its parameters are not
  // found under the names it expects); the caller then trains with autograd. Bf16 runs the GEMMs
  // as bf16 x bf16 -> fp32 through oneDNN (operands rounded to bf16 each step; weights, Adam and
  // every element-wise pass stay fp32); nullptr too when bf16_unavailable_reason() is not "".
  // Fp32 GEMMs go to the BLAS's sgemm_, or to oneDNN's fp32 matmul with VAE_FP32_GEMM=onednn
  // (a measurement hook, bench/precision_throughput.sh: no consistent gain over sgemm_ measured).
  // The step's work is split across `threads` threads (work_pool.h; 0: step_threads() of
  // core/runtime), in tasks cut by shape only: any thread count gives the same numbers.
  static std::unique_ptr<FusedMlpStep> create(VaeImpl& model, int max_batch,
                                              GemmPrecision precision = GemmPrecision::Fp32, int threads = 0);
  // Why create() would return nullptr for this model ("" when it would not).
  static std::string unsupported_reason(VaeImpl& model, GemmPrecision precision = GemmPrecision::Fp32);
  ~FusedMlpStep();
  FusedMlpStep(const FusedMlpStep&) = delete;
  FusedMlpStep& operator=(const FusedMlpStep&) = delete;

  struct Loss {
    double recon = 0;  // sum over the batch of -log p(x|z)
    double kl = 0;     // sum over the batch of KL(q(z|x) || N(0, I))
    bool finite = false;
  };
  // Forward and backward for `count` images (count x pixels floats, in [0, 1]) and noise eps
  // (count x latent): fills the gradients of recon + beta * kl. kl_per_dim_mean receives the
  // batch mean of KL per latent dimension. When the loss is not finite, no gradient is computed.
  Loss forward_backward(const float* images, const float* eps, int count, double beta, float* kl_per_dim_mean);

  // The gradient tensors, in named_weights() order (for a gradient reducer; may be modified).
  std::vector<at::Tensor>& gradients();

  // One Adam step with the current gradients, LibTorch's arithmetic. Returns false when a
  // gradient was NaN/Inf: the weights and moments are then partly updated and must be restored.
  bool adam_step(double learning_rate);

  // Moments in our own format (contract 2): what LibTorch's Adam would hold after the same steps.
  AdamState export_adam_state() const;
  // An empty state resets the moments (a fresh optimiser). Throws std::invalid_argument when the
  // state does not match the model.
  void import_adam_state(const AdamState& state);

 private:
  struct Impl;
  explicit FusedMlpStep(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vae
