#include "app/gui/logic/frame_stats.h"

#include <gtest/gtest.h>

#include "app/gui/logic/rgba.h"

namespace vae::gui {
namespace {

TEST(FrameStats, NearestRankP95) {
  std::vector<float> v;
  for (int i = 1; i <= 100; ++i) v.push_back(float(101 - i));  // 100..1, unsorted
  const Summary s = summarise(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p95, 95.0);
  EXPECT_DOUBLE_EQ(s.median, 50.5);
  EXPECT_DOUBLE_EQ(summarise({7.f}).p95, 7.0);
  EXPECT_DOUBLE_EQ(summarise({3.f, 1.f, 2.f}).median, 2.0);
  EXPECT_EQ(summarise({}).count, 0u);
}

TEST(FrameStats, SplitsTrainingFromIdleFramesInTheJson) {
  FrameStats stats;
  stats.add_frame(true, 10.f, 16.f, 1000.0);
  stats.add_frame(true, 30.f, 33.f, 3000.0);
  stats.add_frame(false, 2.f, 16.f, 0.0);
  stats.add_frame(false, 3.f, 20.f, 0.0, true);
  stats.add_frame(true, 3.f, 25.f, 500.0, true);  // dragging while training counts as training
  const std::string json = stats.json();
  EXPECT_NE(
      json.find("\"frame_training\": {\"frames\": 3, \"mean_ms\": 14.333, \"p95_ms\": 30.000, \"median_ms\": 10.000}"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find("\"frame_idle\": {\"frames\": 2"), std::string::npos);
  EXPECT_NE(json.find("\"interval_dragging\": {\"frames\": 1, \"mean_ms\": 20.000"), std::string::npos);
  EXPECT_NE(json.find("\"interval_resting\": {\"frames\": 1, \"mean_ms\": 16.000"), std::string::npos);
  EXPECT_NE(json.find("\"samples_per_sec_while_training\": 1500.0"), std::string::npos);
}

TEST(ImageFit, NeverOverflowsAndPrefersWholeZoom) {
  // 64-px cells: a 10x10 grid of 650 px in a 300 px panel shrinks to fit.
  EXPECT_FLOAT_EQ(fit_scale(650, 650, 300, 500), 300.f / 650.f);
  // 28-px images, 10 of them in a row, in 700 x 100: 2.5x; whole 2x keeps 80% < 85%: fractional.
  EXPECT_FLOAT_EQ(fit_scale(280, 28, 700, 100), 2.5f);
  // 3.2x fits: 3x keeps 94%, so whole-number zoom.
  EXPECT_FLOAT_EQ(fit_scale(100, 100, 320, 400), 3.f);
  EXPECT_FLOAT_EQ(fit_scale(10, 10, 1000, 1000, 16.f), 16.f);
  EXPECT_FLOAT_EQ(fit_scale(10, 10, 0, 100), 0.f);
}

TEST(Rgba, GreyAndColourImages) {
  Image grey(1, 1, 2);
  grey.pixels = {0.f, 1.f};
  EXPECT_EQ(to_rgba8(grey), (std::vector<std::uint8_t>{0, 0, 0, 255, 255, 255, 255, 255}));
  Image rgb(3, 1, 1);
  rgb.pixels = {1.f, 0.5f, -3.f};
  EXPECT_EQ(to_rgba8(rgb), (std::vector<std::uint8_t>{255, 128, 0, 255}));
}

}  // namespace
}  // namespace vae::gui
