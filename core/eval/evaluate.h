#pragma once
// Evaluation of a model on a split: -ELBO with its parts, the importance-sampled
// log-likelihood (Burda et al. 2016), per-dimension KL, active units, per-example scores.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/capabilities.h"

namespace vae {

class ModelState;

struct EvalOptions {
  std::size_t limit = 0;  // evaluate the first `limit` examples; 0 = all
  int iw_samples = 0;     // k for log p(x) ~ log mean_k p(x, z_k) / q(z_k | x); 0 = skip
  int batch_size = 500;
  std::uint64_t seed = 1;
  bool per_example = false;                       // keep each example's -ELBO (and IS -log p(x) when iw_samples > 0)
  std::function<void(double fraction)> progress;  // called between batches
  const std::atomic<bool>* cancel = nullptr;      // checked between batches
};

struct EvalResult {
  std::size_t n = 0;
  double neg_elbo = 0;  // per example, nats: the model's headline loss (-ELBO; recon + VQ terms)
  double recon = 0;
  double kl = 0;  // NaN for models without a Gaussian posterior
  // Every term and statistic the model reports, averaged over the examples (batches for
  // statistics such as perplexity): "recon", "kl"; "recon", "codebook", "commitment", ...
  std::vector<NamedValue> terms;
  double term(const std::string& name) const;  // NaN when the model does not report it
  double nll_is = 0;                           // valid when iw_samples > 0
  int iw_samples = 0;
  // is_active_unit(Cov_x(E_q[z_d])) counted (core/eval/posterior_health.h); -1 without posterior variance
  int active_units = -1;
  std::vector<double> kl_per_dim;
  std::vector<double> mean_variance_per_dim;  // Cov_x(E_q[z_d]), the activity statistic
  std::vector<float> per_example_neg_elbo;    // when asked for: each example's headline loss
  std::vector<float> per_example_nll_is;      // when asked for and iw_samples > 0 (and supported)
};

// Throws ConfigError if the model's image shape does not match the data, or a conditional
// model meets a split without labels. iw_samples is ignored (nll_is NaN) for models without
// importance-sampling support.
EvalResult evaluate(const ModelState& model, const Dataset& data, const Split& split, const EvalOptions& options);

}  // namespace vae
