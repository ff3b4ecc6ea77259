#pragma once
// The VAE itself (LibTorch). Only engine .cpp files and tests include this header: the window
// and the CLI reach models through the torch-free Inference, Trainer and checkpoint APIs.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/config.h"

namespace vae {

// Encoder q(z|x) = N(mu, diag(exp(logvar))) and decoder p(x|z) for the configured likelihood.
class VaeImpl : public torch::nn::Module {
 public:
  explicit VaeImpl(const ModelConfig& config);

  // x: N x C x H x W in [0, 1]. Returns (mu, logvar), each N x latent.
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
  // Raw decoder output, N x C x H x W: logits (Bernoulli, continuous Bernoulli) or the
  // pre-sigmoid mean (Gaussian).
  torch::Tensor decode(const torch::Tensor& z);
  // E[x | z] in [0, 1] from the raw decoder output.
  torch::Tensor mean_image(const torch::Tensor& decoder_out) const;
  // log p(x | z), summed over pixels: one value per example.
  torch::Tensor log_likelihood(const torch::Tensor& decoder_out, const torch::Tensor& x) const;

  const ModelConfig& config() const { return config_; }
  torch::Tensor log_sigma() const;  // Gaussian likelihood: the (fixed or learned) log-sigma

 private:
  ModelConfig config_;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Linear mu_head_{nullptr};
  torch::nn::Linear logvar_head_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
  torch::Tensor learned_log_sigma_;  // registered only when config_.learn_variance
};
TORCH_MODULE(Vae);

// One Monte-Carlo sample of the ELBO's parts for a batch (z = mu + sigma * eps).
struct ElboParts {
  torch::Tensor recon;       // N: -log p(x|z)
  torch::Tensor kl;          // N: KL(q(z|x) || N(0, I)), analytic
  torch::Tensor kl_per_dim;  // N x latent
  torch::Tensor mu;          // N x latent
  torch::Tensor logvar;
};
ElboParts elbo_parts(Vae& model, const torch::Tensor& x, const torch::Tensor& eps);

// Analytic KL(N(mu, exp(logvar)) || N(0, I)) per dimension.
torch::Tensor gaussian_kl_per_dim(const torch::Tensor& mu, const torch::Tensor& logvar);

// A frozen copy of a model's weights: immutable once built, shared between threads.
class ModelState {
 public:
  explicit ModelState(const Vae& source);  // deep copy of the parameters, eval mode
  const ModelConfig& config() const { return module_->config(); }
  // Forward passes do not modify the module; callers hold a NoGradGuard.
  Vae& module() const { return module_; }

 private:
  mutable Vae module_;
};

// Deep copy of weights into another model of the same configuration.
void copy_parameters(const Vae& from, Vae& to);
// Named float32 weights, in registration order, for checkpoints.
std::vector<std::pair<std::string, torch::Tensor>> named_weights(const Vae& model);

}  // namespace vae
