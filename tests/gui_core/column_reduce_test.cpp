#include "app/gui/logic/column_reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vae::gui {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

TEST(ColumnSpans, PointsInOneColumnBecomeOneSpanJoinedToTheLastColumn) {
  const auto spans = column_spans({{10.1f, 5}, {10.5f, 9}, {10.9f, 7}, {11.2f, 20}, {11.6f, 18}, {12.0f, 1}});
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].x, 10);
  EXPECT_EQ(spans[0].lo, 5);
  EXPECT_EQ(spans[0].hi, 9);
  // Column 11 reaches back to column 10's last value (7), so the band has no gap.
  EXPECT_EQ(spans[1].x, 11);
  EXPECT_EQ(spans[1].lo, 7);
  EXPECT_EQ(spans[1].hi, 20);
  EXPECT_EQ(spans[2].lo, 1);
  EXPECT_EQ(spans[2].hi, 18);
}

TEST(ColumnSpans, ASpikeBetweenSamplesIsKept) {
  // Thousands of steps in a few columns: a single spike must still reach its column's top.
  std::vector<PlotPoint> points;
  for (int i = 0; i < 3000; ++i) points.push_back({100 + i / 1000.f, i == 1234 ? 500.f : 50.f});
  const auto spans = column_spans(points);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[1].hi, 500);
  EXPECT_EQ(spans[0].hi, 50);
}

TEST(ColumnSpans, ANonFiniteValueBreaksTheBand) {
  const auto spans = column_spans({{1.5f, 10}, {2.5f, kNan}, {3.5f, 30}});
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].lo, 30);  // not joined to 10 across the gap
  EXPECT_EQ(spans[1].hi, 30);
}

TEST(ColumnPoints, KeepsTheFirstPointAndTheLastOfEachColumn) {
  const auto runs = column_points({{0.2f, 1}, {0.7f, 2}, {0.9f, 3}, {1.1f, 4}, {1.8f, 5}, {2.0f, kNan}, {3.3f, 6}});
  ASSERT_EQ(runs.size(), 2u);
  ASSERT_EQ(runs[0].size(), 3u);
  EXPECT_EQ(runs[0][0].y, 1);  // the line starts where the data does
  EXPECT_EQ(runs[0][1].y, 3);  // column 0's last
  EXPECT_EQ(runs[0][2].y, 5);  // column 1's last
  ASSERT_EQ(runs[1].size(), 1u);
  EXPECT_EQ(runs[1][0].y, 6);
}

}  // namespace
}  // namespace vae::gui
