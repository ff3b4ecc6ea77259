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

}  // namespace
}  // namespace vae::gui
