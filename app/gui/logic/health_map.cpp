#include "app/gui/logic/health_map.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/eval/posterior_health.h"

namespace vae::gui {

HealthMap posterior_health_map(const std::vector<EpochMetrics>& epochs) {
  HealthMap map;
  for (auto it = epochs.rbegin(); it != epochs.rend(); ++it)
    if (!it->kl_per_dim.empty()) {
      map.dims = int(it->kl_per_dim.size());
      break;
    }
  if (map.dims == 0) return map;
  const std::size_t dims = std::size_t(map.dims);
  for (const EpochMetrics& e : epochs) {
    if (e.kl_per_dim.empty()) continue;
    map.epochs.push_back(e.epoch);
    const bool fits = e.kl_per_dim.size() == dims;
    const bool has_activity = e.activity.size() == dims;
    int active_units = e.active_units;
    if (has_activity) {
      active_units = 0;
      for (float a : e.activity) active_units += is_active_unit(a) ? 1 : 0;
    }
    map.active_units.push_back(active_units);
    for (std::size_t d = 0; d < dims; ++d) {
      const float kl = fits ? e.kl_per_dim[d] : std::numeric_limits<float>::quiet_NaN();
      map.kl.push_back(kl);
      map.active.push_back(has_activity ? (is_active_unit(e.activity[d]) ? 1 : 0) : -1);
      if (std::isfinite(kl)) map.max_kl = std::max(map.max_kl, kl);
    }
  }
  map.order.resize(dims);
  std::iota(map.order.begin(), map.order.end(), 0);
  const std::size_t last = map.epochs.size() - 1;
  std::stable_sort(map.order.begin(), map.order.end(), [&](int a, int b) {
    const float ka = map.at(last, a), kb = map.at(last, b);
    return (std::isnan(kb) && !std::isnan(ka)) || ka > kb;
  });
  return map;
}

}  // namespace vae::gui
