#include "app/gui/logic/smoothing.h"

#include <algorithm>
#include <cmath>

namespace vae::gui {

void DebiasedEma::reset(double factor) {
  factor_ = std::clamp(factor, 0.0, 0.999999);
  ema_ = 0;
  weight_ = 1;
  count_ = 0;
}

double DebiasedEma::add(double raw) { return add(raw, 1); }

double DebiasedEma::add(double raw, std::uint32_t steps) {
  const double decay = steps <= 1 ? factor_ : std::pow(factor_, double(steps));
  ema_ = decay * ema_ + (1 - decay) * raw;
  weight_ *= decay;
  ++count_;
  const double debias = 1.0 - weight_;
  return debias > 0 ? ema_ / debias : raw;
}

}  // namespace vae::gui
