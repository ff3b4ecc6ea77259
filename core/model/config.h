#pragma once
// Model settings, free of LibTorch so that the window and the CLI parser can use them.
#include <string>
#include <vector>

namespace vae {

enum class ModelKind { Mlp, Conv };  // the architecture of encoder and decoder
// The latent-variable model family (core/model/factory.cpp builds each from its own file).
enum class ModelFamily {
  Vae,          // Gaussian posterior, N(0, I) prior; conditional when ModelConfig::conditional
  VqVae,        // van den Oord et al. 2017: a grid of discrete codes from a learned codebook
  TorchScript,  // a Gaussian VAE trained in PyTorch, loaded read-only from a torch.jit.save file
};
enum class Likelihood {
  Bernoulli,            // logits; the summed binary cross-entropy of pytorch/examples
  Gaussian,             // mean = sigmoid(decoder); variance fixed (sigma below) or learned
  ContinuousBernoulli,  // Loaiza-Ganem & Cunningham 2019: a proper density on [0, 1]
};

constexpr int kMaxTorchScriptLatent = 4096;

struct ModelConfig {
  ModelKind kind = ModelKind::Mlp;
  int channels = 1;  // image shape the model reads and writes
  int height = 28;
  int width = 28;
  std::vector<int> hidden = {400};  // MLP: widths of hidden layers; Conv: width of the dense layer
  int latent = 20;                  // 1..256
  Likelihood likelihood = Likelihood::Bernoulli;
  bool learn_variance = false;  // Gaussian only: learn one global log-sigma
  double gaussian_sigma = 0.1;  // Gaussian only: fixed sigma (initial sigma when learned)
  ModelFamily family = ModelFamily::Vae;
  bool conditional = false;              // VAE: p(x | y, z), q(z | x, y) with a one-hot class label y
  int classes = 0;                       // conditional: number of classes (2..1000)
  std::vector<std::string> class_names;  // conditional: their names (optional; numbers otherwise)
  int codebook = 64;                     // VQ-VAE: codebook entries K (2..4096)
  int code_dim = 16;                     // VQ-VAE: length of each code vector (1..256)
  double commitment = 0.25;              // VQ-VAE: weight of the commitment loss (beta of the paper)

  int image_size() const { return channels * height * width; }
  // Floats of one latent point as decode() takes it: `latent` for a VAE, the code grid's
  // vectors (code_dim x grid) for a VQ-VAE.
  int latent_size() const;
  int code_grid_side() const;  // VQ-VAE: side of the code grid (image side / 4)
  // Throws ConfigError with the first problem found.
  void validate() const;
  std::string describe() const;  // e.g. "MLP 784-400-20-400-784, Bernoulli"
};

std::string to_string(ModelKind kind);
std::string to_string(Likelihood likelihood);
std::string to_string(ModelFamily family);
ModelKind parse_model_kind(const std::string& text);      // "mlp" | "conv" (errors list vqvae too)
ModelFamily parse_model_family(const std::string& text);  // "vae" | "vqvae"
Likelihood parse_likelihood(const std::string& text);     // "bernoulli" | "gaussian" | "cbernoulli"

struct TrainConfig {
  double beta = 1.0;            // weight of the KL term; 0 turns the VAE into a plain autoencoder
  double learning_rate = 1e-3;  // Adam
  int batch_size = 128;
  int epochs = 10;
  unsigned long long seed = 1;
  int iw_samples = 0;            // > 0: importance-sampled log-likelihood of the test set each epoch
  int iw_limit = 1000;           // ... on its first iw_limit images
  int publish_interval_ms = 50;  // snapshots are published at most this often while running
  // train --precision bf16: the fused MLP step's GEMMs as bf16 x bf16 -> fp32 (weights, Adam and
  // the element-wise passes stay fp32). Not stored in checkpoints: a resumed run asks again.
  bool bf16_gemms = false;

  void validate() const;
};

}  // namespace vae
