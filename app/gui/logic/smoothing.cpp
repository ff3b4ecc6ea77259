#include "app/gui/logic/smoothing.h"

#include <algorithm>

namespace vae::gui {

void DebiasedEma::reset(double factor) {
  factor_ = std::clamp(factor, 0.0, 0.999999);
  ema_ = 0;
  weight_ = 1;
  count_ = 0;
}

double DebiasedEma::add(double raw) {
  ema_ = factor_ * ema_ + (1 - factor_) * raw;
  weight_ *= factor_;
  ++count_;
  const double debias = 1.0 - weight_;
  return debias > 0 ? ema_ / debias : raw;
}

}  // namespace vae::gui
