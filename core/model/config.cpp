#include "core/model/config.h"

#include <sstream>

#include "core/errors.h"

namespace vae {

std::string to_string(ModelKind kind) { return kind == ModelKind::Mlp ? "mlp" : "conv"; }

std::string to_string(Likelihood likelihood) {
  switch (likelihood) {
    case Likelihood::Bernoulli:
      return "bernoulli";
    case Likelihood::Gaussian:
      return "gaussian";
    case Likelihood::ContinuousBernoulli:
      return "cbernoulli";
  }
  return "?";
}

std::string to_string(ModelFamily family) {
  switch (family) {
    case ModelFamily::Vae:
      return "vae";
    case ModelFamily::VqVae:
      return "vqvae";
    case ModelFamily::TorchScript:
      return "torchscript";
  }
  return "?";
}

ModelFamily parse_model_family(const std::string& text) {
  if (text == "vae") return ModelFamily::Vae;
  if (text == "vqvae") return ModelFamily::VqVae;
  throw ConfigError("unknown model family '" + text + "': expected vae or vqvae");
}

int ModelConfig::code_grid_side() const { return height / 4; }

int ModelConfig::latent_size() const {
  if (family == ModelFamily::VqVae) return code_dim * code_grid_side() * code_grid_side();
  return latent;
}

ModelKind parse_model_kind(const std::string& text) {
  if (text == "mlp") return ModelKind::Mlp;
  if (text == "conv") return ModelKind::Conv;
  // Every kind --model takes: the two VAE architectures and the VQ-VAE (a family, see parse_model_family).
  throw ConfigError("unknown model '" + text + "': expected mlp, conv or vqvae");
}

Likelihood parse_likelihood(const std::string& text) {
  if (text == "bernoulli") return Likelihood::Bernoulli;
  if (text == "gaussian") return Likelihood::Gaussian;
  if (text == "cbernoulli" || text == "continuous-bernoulli") return Likelihood::ContinuousBernoulli;
  throw ConfigError("unknown likelihood '" + text + "': expected bernoulli, gaussian or cbernoulli");
}

void ModelConfig::validate() const {
  // Models trained elsewhere may have wider latents than the ones trained here.
  const int max_latent = family == ModelFamily::TorchScript ? kMaxTorchScriptLatent : 256;
  if (latent < 1 || latent > max_latent)
    throw ConfigError("latent size " + std::to_string(latent) + " is out of range: choose 1 to " +
                      std::to_string(max_latent));
  if (channels != 1 && channels != 3)
    throw ConfigError("images must have 1 or 3 channels, not " + std::to_string(channels));
  if (height < 1 || width < 1 || height > 512 || width > 512)
    throw ConfigError("image size " + std::to_string(width) + "x" + std::to_string(height) + " is not supported");
  if (hidden.empty()) throw ConfigError("the model needs at least one hidden layer width");
  for (int h : hidden)
    if (h < 1 || h > 8192)
      throw ConfigError("hidden width " + std::to_string(h) + " is out of range: choose 1 to 8192");
  if (kind == ModelKind::Conv) {
    if (height != width || (height != 28 && height != 32 && height != 64))
      throw ConfigError("the convolutional VAE takes square 28, 32 or 64 pixel images, not " + std::to_string(width) +
                        "x" + std::to_string(height) + ": use --model mlp or resize the images");
  }
  if (conditional && (classes < 2 || classes > 1000))
    throw ConfigError("a conditional model needs a labelled data set with 2 to 1000 classes, not " +
                      std::to_string(classes));
  if (family == ModelFamily::VqVae) {
    if (kind != ModelKind::Conv) throw ConfigError("the VQ-VAE has a convolutional encoder and decoder (kind conv)");
    if (conditional) throw ConfigError("the VQ-VAE is not conditional: drop --conditional");
    if (codebook < 2 || codebook > 4096) throw ConfigError("--codebook must be between 2 and 4096 entries");
    if (code_dim < 1 || code_dim > 256) throw ConfigError("--code-dim must be between 1 and 256");
    if (!(commitment >= 0 && commitment <= 100)) throw ConfigError("--commitment must be between 0 and 100");
  }
  if (likelihood == Likelihood::Gaussian && !(gaussian_sigma > 0 && gaussian_sigma < 100))
    throw ConfigError("the Gaussian likelihood's sigma must be positive and below 100");
}

std::string ModelConfig::describe() const {
  std::ostringstream out;
  const int pixels = image_size();
  if (family == ModelFamily::TorchScript) {
    out << "TorchScript " << channels << "x" << height << "x" << width << " latent " << latent;
  } else if (family == ModelFamily::VqVae) {
    out << "VQ-VAE " << channels << "x" << height << "x" << width << " -> " << code_grid_side() << "x"
        << code_grid_side() << " codes of " << codebook << " (dim " << code_dim << ")";
  } else if (kind == ModelKind::Mlp) {
    out << "MLP " << pixels;
    for (int h : hidden) out << '-' << h;
    out << '-' << latent;
    for (auto it = hidden.rbegin(); it != hidden.rend(); ++it) out << '-' << *it;
    out << '-' << pixels;
  } else {
    out << "Conv " << channels << "x" << height << "x" << width << " dense " << hidden.front() << " latent " << latent;
  }
  if (conditional) out << ", conditional on " << classes << " classes";
  out << ", " << to_string(likelihood);
  if (likelihood == Likelihood::Gaussian && learn_variance) out << " (learned sigma)";
  if (likelihood == Likelihood::Gaussian && !learn_variance) out << " (sigma " << gaussian_sigma << ")";
  return out.str();
}

void TrainConfig::validate() const {
  if (!(beta >= 0 && beta <= 1000)) throw ConfigError("beta must be between 0 and 1000");
  if (!(learning_rate > 0 && learning_rate < 10)) throw ConfigError("learning rate must be positive and below 10");
  if (batch_size < 1 || batch_size > 65536) throw ConfigError("batch size must be between 1 and 65536");
  if (epochs < 0 || epochs > 100000) throw ConfigError("epochs must be between 0 and 100000");
  if (iw_samples < 0 || iw_samples > 100000) throw ConfigError("importance samples must be between 0 and 100000");
}

}  // namespace vae
