#pragma once
// Posterior health over training, as the Posterior health panel draws it: KL per latent dimension
// at the end of every epoch (a dimensions x epochs heat map) and the active units over time, both
// with the one active-unit rule of core/eval/posterior_health.h. Pure logic, unit tested.
#include <vector>

#include "core/train/metrics.h"

namespace vae::gui {

struct HealthMap {
  int dims = 0;                     // the latest epoch's latent size (0: nothing recorded)
  std::vector<int> epochs;          // the epochs with per-dimension statistics, in order
  std::vector<int> order;           // dimensions as rows: highest KL at the latest epoch first
  std::vector<float> kl;            // epochs.size() x dims, kl[e * dims + d]; NaN where unknown
  std::vector<signed char> active;  // same layout: 1 active, 0 inactive, -1 unknown
  std::vector<int> active_units;    // per epoch; -1 when unknown
  float max_kl = 0;                 // over the whole map (the colour scale)
  float at(std::size_t e, int d) const { return kl[e * std::size_t(dims) + std::size_t(d)]; }
  signed char active_at(std::size_t e, int d) const { return active[e * std::size_t(dims) + std::size_t(d)]; }
};

// Epochs without per-dimension statistics (older histories, models without a Gaussian posterior)
// are left out; so are values of an epoch whose latent size differs from the latest one.
HealthMap posterior_health_map(const std::vector<EpochMetrics>& epochs);

}  // namespace vae::gui
