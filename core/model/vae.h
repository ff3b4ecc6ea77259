#pragma once
// The seam every latent-variable model family implements (LibTorch). Only engine .cpp files and
// tests include this header: the window and the CLI reach models through the torch-free
// Inference, Trainer and checkpoint APIs and ask ModelCapabilities what a model can do.
//
// Families live in their own files and are built by make_model() (core/model/factory.cpp):
//   gaussian_vae.cpp     VAE and conditional VAE, MLP or conv (N(0, I) prior)
//   vq_vae.cpp           VQ-VAE (discrete codes, straight-through, codebook + commitment)
//   torchscript_vae.cpp  a read-only module trained in PyTorch (torch.jit.save)
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/capabilities.h"
#include "core/model/config.h"

namespace vae {

// q(z | x[, y]) of a batch.
struct Posterior {
  PosteriorKind kind = PosteriorKind::DiagonalGaussian;
  torch::Tensor mu;      // Gaussian: N x D
  torch::Tensor logvar;  // Gaussian: N x D
  torch::Tensor codes;   // discrete: N x H x W codebook indices (int64)
  torch::Tensor z;       // the point decode() takes for the posterior's mode: mu, or the code grid's vectors
};

// A batch's loss as named per-example terms, so panels, CSV and checkpoints show whatever a
// model reports without code per model.
struct LossTerms {
  std::vector<std::string> names;      // e.g. {"recon", "kl"} or {"recon", "codebook", "commitment"}
  std::vector<torch::Tensor> values;   // N each, nats (or squared distances) per example
  torch::Tensor score;                 // N: the headline per-example loss (-ELBO for VAEs)
  torch::Tensor objective;             // scalar the optimiser minimises: summed over the batch, beta applied
  torch::Tensor kl_per_dim;            // N x D for a Gaussian posterior against N(0, I); undefined otherwise
  std::vector<NamedValue> statistics;  // batch statistics that are not per example (perplexity)
  Posterior posterior;
};

class VaeImpl : public torch::nn::Module {
 public:
  explicit VaeImpl(const ModelConfig& config) : config_(config) {}
  ~VaeImpl() override = default;

  const ModelConfig& config() const { return config_; }
  virtual ModelCapabilities capabilities() const = 0;

  // x: N x C x H x W in [0, 1]; y: N class labels (int64), only for conditional models.
  virtual Posterior encode(const torch::Tensor& x, const torch::Tensor& y = {}) = 0;
  // z: N x config().latent_size(). Raw decoder output N x C x H x W: logits (Bernoulli,
  // continuous Bernoulli) or the pre-sigmoid mean (Gaussian).
  virtual torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) = 0;
  // One Monte-Carlo sample of the training loss; random numbers come from `generator` only.
  virtual LossTerms loss(const torch::Tensor& x, const torch::Tensor& y, at::Generator& generator, double beta) = 0;
  // n points from the prior, N x latent_size (capabilities().prior says which prior).
  virtual torch::Tensor sample_prior(std::int64_t n, at::Generator& generator) = 0;
  // A copy for readers on other threads: copied weights, eval mode, no gradients. Read-only
  // models may return themselves.
  virtual std::shared_ptr<VaeImpl> frozen_copy() const;

  // E[x | z] in [0, 1] from the raw decoder output.
  torch::Tensor mean_image(const torch::Tensor& decoder_out) const;
  // log p(x | z), summed over pixels: one value per example.
  torch::Tensor log_likelihood(const torch::Tensor& decoder_out, const torch::Tensor& x) const;
  // Gaussian likelihood: the (fixed or learned) log-sigma.
  virtual torch::Tensor log_sigma() const;

 protected:
  // One-hot float labels for a conditional model; throws ConfigError for labels out of range.
  torch::Tensor one_hot(const torch::Tensor& y) const;

  ModelConfig config_;
};

// A handle to a model of any family (torch::nn::ModuleHolder). Vae(config) builds the
// configured family through the factory.
class Vae : public torch::nn::ModuleHolder<VaeImpl> {
 public:
  Vae(std::nullptr_t) : ModuleHolder(nullptr) {}
  explicit Vae(std::shared_ptr<VaeImpl> model) : ModuleHolder(std::move(model)) {}
  explicit Vae(const ModelConfig& config);
};

// The factory: builds the family of `config` (validated first). Throws ConfigError for a
// family that is not built from settings (TorchScript models come from their file).
Vae make_model(const ModelConfig& config);

// One-sample ELBO of a model with a diagonal Gaussian posterior and an N(0, I) prior
// (z = mu + sigma * eps): terms "recon" and "kl", score = recon + kl, objective recon + beta kl.
LossTerms gaussian_elbo(VaeImpl& model, const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& eps,
                        double beta);

// Analytic KL(N(mu, exp(logvar)) || N(0, I)) per dimension.
torch::Tensor gaussian_kl_per_dim(const torch::Tensor& mu, const torch::Tensor& logvar);

// A frozen copy of a model's weights: immutable once built, shared between threads.
class ModelState {
 public:
  explicit ModelState(const Vae& source);  // source->frozen_copy()
  const ModelConfig& config() const { return module_->config(); }
  ModelCapabilities capabilities() const { return module_->capabilities(); }
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
