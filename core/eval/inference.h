#pragma once
// Decoding and encoding with a frozen model, without LibTorch in the header: this is what the
// window and the CLI use to turn latent codes into pictures and pictures into latent codes.
// Calls are independent and safe from any thread (the model is immutable).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/image.h"
#include "core/model/capabilities.h"
#include "core/model/config.h"

namespace vae {

class ModelState;

struct LatentCodes {
  std::size_t count = 0;
  int dims = 0;
  std::vector<float> mu;            // count * dims: the posterior mean (VQ-VAE: the quantised code vectors)
  std::vector<float> logvar;        // count * dims; empty for models without a posterior variance
  std::vector<std::int64_t> codes;  // VQ-VAE: count * grid cells of codebook indices; empty otherwise
};

class Inference {
 public:
  // `default_class`: the class conditional models use when a call gives no labels (the
  // window's chosen class); -1 makes such calls an error.
  explicit Inference(std::shared_ptr<const ModelState> model, int default_class = -1);

  const ModelConfig& config() const;
  const ModelCapabilities& capabilities() const { return capabilities_; }
  int latent_dim() const;  // floats per latent point (the code grid's vectors for a VQ-VAE)

  // Mean of p(x|z) for each of the `count` rows of z (count * latent_dim floats). Conditional
  // models need `labels`: one class per row, or a single class for all rows.
  std::vector<Image> decode(const std::vector<float>& z, std::size_t count, const std::vector<int>& labels = {}) const;
  Image decode_one(const std::vector<float>& z, int label = -1) const;
  // Posterior means and log-variances of `count` images (count * image_size floats), batched.
  // Conditional models need `labels` (count entries).
  LatentCodes encode(const float* pixels, std::size_t count, std::size_t batch = 1000,
                     const std::vector<int>& labels = {}) const;
  // Decodes the posterior mean of each image.
  std::vector<Image> reconstruct(const float* pixels, std::size_t count, const std::vector<int>& labels = {}) const;
  // z from the prior, then decode; deterministic for a seed. Conditional models: `label` >= 0
  // draws every sample for that class, -1 cycles through the classes.
  std::vector<Image> sample(std::size_t count, std::uint64_t seed, int label = -1) const;
  std::vector<float> sample_prior(std::size_t count, std::uint64_t seed) const;
  // VQ-VAE: the code vectors (a latent point) of a grid of codebook indices.
  std::vector<float> codes_to_latent(const std::vector<std::int64_t>& codes) const;
  // VQ-VAE: the codebook, codebook_size x code_dim floats row-major (empty for other models).
  std::vector<float> codebook() const;

  const std::shared_ptr<const ModelState>& model() const { return model_; }

 private:
  std::vector<int> labels_or_default(const std::vector<int>& labels) const;

  std::shared_ptr<const ModelState> model_;
  ModelCapabilities capabilities_;
  int default_class_ = -1;
};

// Principal components of latent means (for latent sizes above 2): project onto the first
// `components` axes. Mean-centred; axes sorted by explained variance.
struct Pca {
  int dims = 0;
  int components = 0;
  std::vector<float> mean;      // dims
  std::vector<float> axes;      // components * dims, unit length
  std::vector<float> variance;  // components
  std::vector<float> project(const std::vector<float>& points, std::size_t count) const;  // count * components
  std::vector<float> unproject(const float* coords) const;  // one point: components -> dims
};
Pca compute_pca(const std::vector<float>& points, std::size_t count, int dims, int components = 2);

// Points on a path between two latent codes: linear or spherical (slerp, which keeps the norm
// typical of N(0, I) samples instead of cutting through the low-density centre).
std::vector<float> interpolate(const std::vector<float>& from, const std::vector<float>& to, int steps, bool spherical);

// Inverse standard-normal CDF (Kingma & Welling figure 4 spacing of the manifold grid).
double normal_quantile(double p);

}  // namespace vae
