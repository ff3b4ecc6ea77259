#pragma once
// Decoding and encoding with a frozen model, without LibTorch in the header: this is what the
// window and the CLI use to turn latent codes into pictures and pictures into latent codes.
// Calls are independent and safe from any thread (the model is immutable).
#include <cstdint>
#include <memory>
#include <vector>

#include "core/image.h"
#include "core/model/config.h"

namespace vae {

class ModelState;

struct LatentCodes {
  std::size_t count = 0;
  int dims = 0;
  std::vector<float> mu;      // count * dims
  std::vector<float> logvar;  // count * dims
};

class Inference {
 public:
  explicit Inference(std::shared_ptr<const ModelState> model);

  const ModelConfig& config() const;
  int latent_dim() const;

  // Mean of p(x|z) for each of the `count` rows of z (count * latent_dim floats).
  std::vector<Image> decode(const std::vector<float>& z, std::size_t count) const;
  Image decode_one(const std::vector<float>& z) const;
  // Posterior means and log-variances of `count` images (count * image_size floats), batched.
  LatentCodes encode(const float* pixels, std::size_t count, std::size_t batch = 1000) const;
  // Decodes the posterior mean of each image.
  std::vector<Image> reconstruct(const float* pixels, std::size_t count) const;
  // z ~ N(0, I) then decode; deterministic for a seed.
  std::vector<Image> sample(std::size_t count, std::uint64_t seed) const;
  std::vector<float> sample_prior(std::size_t count, std::uint64_t seed) const;

  const std::shared_ptr<const ModelState>& model() const { return model_; }

 private:
  std::shared_ptr<const ModelState> model_;
};

// Principal components of latent means (for latent sizes above 2): project onto the first
// `components` axes. Mean-centred; axes sorted by explained variance.
struct Pca {
  int dims = 0;
  int components = 0;
  std::vector<float> mean;        // dims
  std::vector<float> axes;        // components * dims, unit length
  std::vector<float> variance;    // components
  std::vector<float> project(const std::vector<float>& points, std::size_t count) const;  // count * components
  std::vector<float> unproject(const float* coords) const;  // one point: components -> dims
};
Pca compute_pca(const std::vector<float>& points, std::size_t count, int dims, int components = 2);

// Points on a path between two latent codes: linear or spherical (slerp, which keeps the norm
// typical of N(0, I) samples instead of cutting through the low-density centre).
std::vector<float> interpolate(const std::vector<float>& from, const std::vector<float>& to, int steps,
                               bool spherical);

// Inverse standard-normal CDF (Kingma & Welling figure 4 spacing of the manifold grid).
double normal_quantile(double p);

}  // namespace vae
