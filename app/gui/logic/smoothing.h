#pragma once
// Debiased exponential moving average, as TensorBoard draws smoothed curves: the first values
// are not pulled towards zero. Extended one value at a time as a series grows.
#include <cstddef>
#include <cstdint>

namespace vae::gui {

class DebiasedEma {
 public:
  explicit DebiasedEma(double factor = 0.9) { reset(factor); }
  // Starts over with a smoothing factor in [0, 1): 0 follows the raw values exactly.
  void reset(double factor);
  // Adds the next raw value; returns the smoothed value at this point.
  double add(double raw);
  // Adds a value that stands for `steps` steps (a thinned history row, the mean of that many):
  // the same as adding it `steps` times, so a row of 16 steps decays the past as 16 steps would
  // and the curve keeps its time constant in steps when the history thins.
  double add(double raw, std::uint32_t steps);
  double factor() const { return factor_; }
  std::size_t count() const { return count_; }

 private:
  double factor_ = 0.9;
  double ema_ = 0;
  double weight_ = 1;  // factor^count: what debiasing divides out
  std::size_t count_ = 0;
};

}  // namespace vae::gui
