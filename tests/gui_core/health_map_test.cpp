#include "app/gui/logic/health_map.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vae::gui {
namespace {

EpochMetrics epoch(int n, std::vector<float> kl, std::vector<float> activity) {
  EpochMetrics e;
  e.epoch = n;
  e.kl_per_dim = std::move(kl);
  e.activity = std::move(activity);
  return e;
}

TEST(HealthMap, RowsSortedByLatestKlWithTheOneActiveRule) {
  std::vector<EpochMetrics> epochs;
  epochs.push_back(epoch(1, {0.5f, 0.1f, 0.2f}, {0.5f, 0.005f, 0.02f}));
  epochs.push_back(epoch(2, {0.4f, 0.05f, 3.0f}, {0.3f, 0.011f, 0.9f}));
  const HealthMap m = posterior_health_map(epochs);
  ASSERT_EQ(m.dims, 3);
  EXPECT_EQ(m.epochs, (std::vector<int>{1, 2}));
  EXPECT_EQ(m.order, (std::vector<int>{2, 0, 1}));
  EXPECT_FLOAT_EQ(m.at(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(m.at(1, 2), 3.0f);
  EXPECT_FLOAT_EQ(m.max_kl, 3.0f);
  // Activity 0.005 is below the 0.01 threshold, 0.011 above it (core/eval/posterior_health.h).
  EXPECT_EQ(m.active_at(0, 1), 0);
  EXPECT_EQ(m.active_at(1, 1), 1);
  EXPECT_EQ(m.active_units, (std::vector<int>{2, 3}));
}

TEST(HealthMap, EpochsWithoutStatisticsAreLeftOut) {
  std::vector<EpochMetrics> epochs;
  EpochMetrics old;  // a history saved before per-dimension statistics were recorded
  old.epoch = 1;
  old.active_units = 4;
  epochs.push_back(old);
  epochs.push_back(epoch(2, {1.f, 2.f}, {}));                    // KL but no activity: activity unknown
  epochs.push_back(epoch(3, {1.f, 2.f, 3.f}, {1.f, 1.f, 1.f}));  // the latent size changed
  const HealthMap m = posterior_health_map(epochs);
  EXPECT_EQ(m.dims, 3);
  EXPECT_EQ(m.epochs, (std::vector<int>{2, 3}));
  EXPECT_TRUE(std::isnan(m.at(0, 0)));  // epoch 2 does not fit 3 dimensions
  EXPECT_EQ(m.active_at(0, 0), -1);
  EXPECT_EQ(m.active_units[0], -1);
  EXPECT_EQ(m.active_units[1], 3);
  EXPECT_TRUE(posterior_health_map({old}).epochs.empty());
  EXPECT_EQ(posterior_health_map({}).dims, 0);
}

}  // namespace
}  // namespace vae::gui
