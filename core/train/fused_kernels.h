#pragma once
// The element-wise passes of the hand-written MLP step (fused_mlp.cpp): each fuses what
// LibTorch would do in several passes over the same values. Row-major blocks of n rows x width.
// Torch-free; the arithmetic of each pass is documented beside its definition.
#include <cstdint>

namespace vae::fused {

// y <- max(y + b, 0).
void bias_relu(float* y, const float* b, int n, int width, int stride);
// dy <- dy where the activation was positive; bias_grad <- column sums of the result.
void relu_backward(float* dy, const float* act, float* bias_grad, int n, int width, int stride);

// The output layer's logits (bias added here) become d(-log p)/d logit in place; per-column sums
// of -log p go to column_loss (continuous Bernoulli: the total to `loss`), the output bias
// gradient to bias_grad.
void bernoulli_pass(float* out, const float* bias, const float* x, int n, int width, int stride, float* bias_grad,
                    float* column_loss);
void gaussian_pass(float* out, const float* bias, const float* x, int n, int width, int stride, float log_sigma,
                   float* bias_grad, float* column_loss, float* column_sigma_grad);
void continuous_bernoulli_pass(float* out, const float* bias, const float* x, int n, int width, int stride,
                               float* bias_grad, double& loss);

// The heads' biases, z = mu + exp(logvar / 2) * eps and the KL per dimension, in one pass.
void latent_forward(float* mu, float* logvar, const float* mu_bias, const float* logvar_bias, const float* eps,
                    float* sd, float* var, float* z, int n, int latent, double* kl_per_dim);
// From dL/dz to dL/dmu and dL/dlogvar, with beta * KL's own gradient; the heads' bias gradients.
void latent_backward(const float* dz, const float* mu, const float* sd, const float* var, const float* eps, float beta,
                     float* dmu, float* dlogvar, float* mu_bias_grad, float* logvar_bias_grad, int n, int latent);

// One Adam update of n values, with LibTorch 1.13's arithmetic (adam.cpp) in the same order and
// rounding: exp_avg.mul_(b1).add_(g, 1 - b1) [a fused multiply-add in ATen's vector kernel],
// exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2), denom = sqrt(v) / sqrt(bc2) + eps,
// p.addcdiv_(m, denom, -lr / bc1). Returns true when a gradient was NaN or Inf.
struct AdamConstants {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, sqrt_bias_correction2, eps, neg_step_size;
};
bool adam_update(float* p, const float* g, float* m, float* v, std::int64_t n, AdamConstants c);

}  // namespace vae::fused
