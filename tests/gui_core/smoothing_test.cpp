#include "app/gui/logic/smoothing.h"

#include <gtest/gtest.h>

namespace vae::gui {
namespace {

TEST(DebiasedEma, FirstValueIsTheRawValue) {
  DebiasedEma ema(0.9);
  EXPECT_DOUBLE_EQ(ema.add(5.0), 5.0);  // no pull towards zero
}

TEST(DebiasedEma, ConstantSeriesStaysConstant) {
  DebiasedEma ema(0.95);
  for (int i = 0; i < 500; ++i) EXPECT_NEAR(ema.add(3.25), 3.25, 1e-9) << "step " << i;
}

TEST(DebiasedEma, MatchesTheDefinition) {
  const double a = 0.6;
  DebiasedEma ema(a);
  const double raw[] = {1, 4, 2, 8};
  double e = 0, weight = 1;
  for (double x : raw) {
    e = a * e + (1 - a) * x;
    weight *= a;
    EXPECT_NEAR(ema.add(x), e / (1 - weight), 1e-12);
  }
  EXPECT_EQ(ema.count(), 4u);
}

TEST(DebiasedEma, ZeroFactorFollowsRawValuesAndResetStartsOver) {
  DebiasedEma ema(0.0);
  EXPECT_DOUBLE_EQ(ema.add(1), 1);
  EXPECT_DOUBLE_EQ(ema.add(-7), -7);
  ema.reset(0.5);
  EXPECT_EQ(ema.count(), 0u);
  EXPECT_DOUBLE_EQ(ema.add(10), 10);
}

TEST(DebiasedEma, ARowOfStepsSmoothsLikeTheStepsOneByOne) {
  // A thinned history row stands for several steps: adding it once with their count must give
  // what adding the value that many times gives, so a curve does not change shape when it thins.
  DebiasedEma rows(0.9), steps(0.9);
  const double values[] = {12, 7, 9.5, 3};
  const std::uint32_t counts[] = {1, 4, 16, 2};
  for (int i = 0; i < 4; ++i) {
    double expected = 0;
    for (std::uint32_t k = 0; k < counts[i]; ++k) expected = steps.add(values[i]);
    EXPECT_NEAR(rows.add(values[i], counts[i]), expected, 1e-9) << "row " << i;
  }
}

}  // namespace
}  // namespace vae::gui
