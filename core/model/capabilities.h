#pragma once
// What a latent-variable model can do, free of LibTorch: the window and the CLI ask these
// instead of assuming a Gaussian VAE (no hover ellipse without a posterior variance, no
// KL-labelled sliders without a continuous latent, a code view for discrete codes).
#include <string>
#include <vector>

namespace vae {

enum class PosteriorKind {
  DiagonalGaussian,  // q(z|x) = N(mu, diag(exp(logvar)))
  DiscreteCodes,     // a grid of codebook indices (VQ-VAE); z is the grid of code vectors
};

struct ModelCapabilities {
  std::string family;  // for people: "VAE", "conditional VAE", "VQ-VAE", "TorchScript VAE"
  PosteriorKind posterior = PosteriorKind::DiagonalGaussian;
  bool continuous_latent = true;         // z can be moved freely (sliders, scatter, interpolation)
  bool posterior_variance = true;        // q(z|x) has a variance: ellipse, per-dimension KL, active units
  bool importance_sampling = true;       // IS estimate of log p(x) (needs a density for prior and posterior)
  bool prior_sampling = true;            // can draw z from a prior
  std::string prior;                     // "N(0, I)", or "uniform over codes (no learned prior)"
  bool conditional = false;              // encode and decode take a class label y
  std::vector<std::string> class_names;  // conditional: one per class (size = number of classes)
  bool trainable = true;                 // false for read-only models (TorchScript)
  // Discrete codes only: the grid of code indices and the codebook.
  int code_grid_height = 0;
  int code_grid_width = 0;
  int codebook_size = 0;
  int code_dim = 0;

  int num_classes() const { return static_cast<int>(class_names.size()); }
};

// One named number reported by a model (a loss term or a statistic), e.g. {"recon", 83.2}.
struct NamedValue {
  std::string name;
  double value = 0;
};

}  // namespace vae
