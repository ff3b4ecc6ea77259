#pragma once
// Posterior health: the one definition of an "active unit" used by the evaluation, the CSV
// exports, the counts and the window's greying, and the per-dimension statistics of encoded
// posteriors behind it. Torch-free and header-only.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/eval/inference.h"

namespace vae {

// Burda, Grosse & Salakhutdinov (2016), section 5.2: latent dimension d is active when the
// posterior mean moves with the input, A_d = Cov_x(E_q(z|x)[z_d]) > 0.01. A dimension whose
// posterior ignores x (collapsed onto the prior) has A_d near 0 whatever its KL.
constexpr double kActiveUnitThreshold = 0.01;

inline bool is_active_unit(double activity) { return activity > kActiveUnitThreshold; }

inline int count_active_units(const std::vector<double>& activity) {
  int count = 0;
  for (double a : activity) count += is_active_unit(a) ? 1 : 0;
  return count;
}

// A_d of encoded posteriors: the unbiased variance of each dimension's posterior mean over the
// examples. Empty with fewer than two examples.
inline std::vector<double> posterior_activity(const LatentCodes& codes) {
  if (codes.count < 2 || codes.dims <= 0) return {};
  const std::size_t dims = std::size_t(codes.dims);
  std::vector<double> sum(dims, 0.0), sum_sq(dims, 0.0);
  for (std::size_t i = 0; i < codes.count; ++i)
    for (std::size_t d = 0; d < dims; ++d) {
      const double mu = codes.mu[i * dims + d];
      sum[d] += mu;
      sum_sq[d] += mu * mu;
    }
  const double n = double(codes.count);
  std::vector<double> activity(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    const double mean = sum[d] / n;
    activity[d] = std::max(0.0, (sum_sq[d] / n - mean * mean) * n / (n - 1));
  }
  return activity;
}

// KL(q(z_d|x) || N(0, 1)) per dimension averaged over the examples; empty for posteriors
// without a variance (VQ-VAE codes) or no examples.
inline std::vector<double> posterior_kl_per_dim(const LatentCodes& codes) {
  const std::size_t dims = std::size_t(std::max(0, codes.dims));
  if (codes.count == 0 || dims == 0 || codes.logvar.size() != codes.mu.size()) return {};
  std::vector<double> kl(dims, 0.0);
  for (std::size_t i = 0; i < codes.count; ++i)
    for (std::size_t d = 0; d < dims; ++d) {
      // KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2
      const double mu = codes.mu[i * dims + d], lv = codes.logvar[i * dims + d];
      kl[d] += 0.5 * (mu * mu + std::exp(lv) - 1.0 - lv);
    }
  for (double& v : kl) v /= double(codes.count);
  return kl;
}

}  // namespace vae
