#pragma once
// Model settings, free of LibTorch so that the window and the CLI parser can use them.
#include <string>
#include <vector>

namespace vae {

enum class ModelKind { Mlp, Conv };
enum class Likelihood {
  Bernoulli,            // logits; the summed binary cross-entropy of pytorch/examples
  Gaussian,             // mean = sigmoid(decoder); variance fixed (sigma below) or learned
  ContinuousBernoulli,  // Loaiza-Ganem & Cunningham 2019: a proper density on [0, 1]
};

struct ModelConfig {
  ModelKind kind = ModelKind::Mlp;
  int channels = 1;                // image shape the model reads and writes
  int height = 28;
  int width = 28;
  std::vector<int> hidden = {400};  // MLP: widths of hidden layers; Conv: width of the dense layer
  int latent = 20;                 // 1..256
  Likelihood likelihood = Likelihood::Bernoulli;
  bool learn_variance = false;     // Gaussian only: learn one global log-sigma
  double gaussian_sigma = 0.1;     // Gaussian only: fixed sigma (initial sigma when learned)

  int image_size() const { return channels * height * width; }
  // Throws ConfigError with the first problem found.
  void validate() const;
  std::string describe() const;  // e.g. "MLP 784-400-20-400-784, Bernoulli"
};

std::string to_string(ModelKind kind);
std::string to_string(Likelihood likelihood);
ModelKind parse_model_kind(const std::string& text);    // "mlp" | "conv"
Likelihood parse_likelihood(const std::string& text);   // "bernoulli" | "gaussian" | "cbernoulli"

struct TrainConfig {
  double beta = 1.0;          // weight of the KL term; 0 turns the VAE into a plain autoencoder
  double learning_rate = 1e-3;  // Adam
  int batch_size = 128;
  int epochs = 10;
  unsigned long long seed = 1;
  int iw_samples = 0;         // > 0: importance-sampled log-likelihood of the test set each epoch
  int iw_limit = 1000;        // ... on its first iw_limit images
  int publish_interval_ms = 50;  // snapshots are published at most this often while running

  void validate() const;
};

}  // namespace vae
