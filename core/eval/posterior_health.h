#pragma once
// Posterior health: the one definition of an "active unit" used by the evaluation, the CSV
// exports, the counts and the window's greying. Torch-free and header-only.
#include <vector>

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

}  // namespace vae
