#pragma once
// Metric history kept by the trainer, saved in checkpoints and exported as CSV.
// All losses are per example, in nats.
#include <cstdint>
#include <limits>
#include <vector>

namespace vae {

struct StepMetrics {
  std::int64_t step = 0;
  double epoch = 0;  // fractional: 2.5 = half-way through the third epoch
  float neg_elbo = 0;
  float recon = 0;   // -E_q[log p(x|z)]
  float kl = 0;      // KL(q(z|x) || N(0, I))
  float beta = 1;
  float samples_per_sec = 0;
};

struct EpochMetrics {
  int epoch = 0;  // 1-based: the epoch just finished
  std::int64_t step = 0;
  float train_neg_elbo = 0;  // average over the epoch's batches
  float test_neg_elbo = 0;
  float test_recon = 0;
  float test_kl = 0;
  float test_nll_is = std::numeric_limits<float>::quiet_NaN();  // NaN when not computed
  int iw_samples = 0;
  int active_units = 0;  // is_active_unit() of activity (core/eval/posterior_health.h)
  // Posterior health of the test set at the epoch's end, one value per latent dimension (empty
  // in histories saved before they were recorded).
  std::vector<float> kl_per_dim;  // KL(q(z_d|x) || N(0, 1)) averaged over the test set
  std::vector<float> activity;    // Cov_x(E_q[z_d]), Burda et al.'s activity statistic
};

struct MetricHistory {
  std::vector<StepMetrics> steps;
  std::vector<EpochMetrics> epochs;
};

}  // namespace vae
