#include "app/gui/logic/score_views.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vae::gui {
namespace {

TEST(ScoreViews, ScoreOfKindPicksAndCorrects) {
  ExampleScores s;
  s.neg_elbo = {100, 200};
  s.complexity_bits_per_dim = {1.0, 0.5};
  const std::size_t dims = 784;
  EXPECT_EQ(score_of_kind(s, OodScoreKind::NegElbo, dims), s.neg_elbo);
  EXPECT_TRUE(score_of_kind(s, OodScoreKind::ImportanceSampled, dims).empty());  // no IS computed
  auto corrected = score_of_kind(s, OodScoreKind::ComplexityCorrected, dims);
  ASSERT_EQ(corrected.size(), 2u);
  EXPECT_NEAR(corrected[0], 100 / (std::log(2.0) * 784) - 1.0, 1e-12);
  // With an importance-sampled likelihood, the correction uses it instead of -ELBO.
  s.nll_is = {90, 150};
  EXPECT_EQ(score_of_kind(s, OodScoreKind::ImportanceSampled, dims), s.nll_is);
  corrected = score_of_kind(s, OodScoreKind::ComplexityCorrected, dims);
  EXPECT_NEAR(corrected[1], 150 / (std::log(2.0) * 784) - 0.5, 1e-12);
  s.complexity_bits_per_dim.clear();
  EXPECT_TRUE(score_of_kind(s, OodScoreKind::ComplexityCorrected, dims).empty());
}

TEST(ScoreViews, HistogramSharesBinsAndNormalisesEachSet) {
  std::vector<double> a, b;
  for (int i = 0; i < 1000; ++i) a.push_back(i % 100);  // uniform 0..99
  for (int i = 0; i < 10; ++i) b.push_back(90 + i);     // a small set at the top
  const auto h = overlaid_histogram(a, b, 10);
  ASSERT_EQ(h.a.size(), 10u);
  ASSERT_EQ(h.b.size(), 10u);
  double sa = 0, sb = 0;
  for (double v : h.a) sa += v;
  for (double v : h.b) sb += v;
  EXPECT_NEAR(sa, 1.0, 1e-12);
  EXPECT_NEAR(sb, 1.0, 1e-12);
  EXPECT_GT(h.b.back(), 0.8);  // the small set sits in the last bin(s), whatever its size
  EXPECT_NEAR(h.a.front(), 0.1, 0.02);
  EXPECT_GE(h.peak(), h.b.back());
}

TEST(ScoreViews, HistogramRangeIgnoresAFewExtremes) {
  std::vector<double> a(1000, 0.0);
  for (int i = 0; i < 1000; ++i) a[std::size_t(i)] = i / 1000.0;
  a[0] = -1e9;  // one wild score
  a[1] = std::numeric_limits<double>::quiet_NaN();
  const auto h = overlaid_histogram(a, {}, 20);
  EXPECT_GT(h.lo, -1.0);  // not stretched to -1e9
  EXPECT_TRUE(h.b.empty());
  EXPECT_GE(h.clipped_a, 1u);
  double sum = 0;
  for (double v : h.a) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);  // the clipped one lands in an end bin, the NaN nowhere
}

TEST(ScoreViews, HistogramOfEqualValues) {
  const auto h = overlaid_histogram({3, 3, 3}, {3}, 4);
  EXPECT_LT(h.lo, 3);
  EXPECT_GT(h.hi, 3);
  EXPECT_TRUE(overlaid_histogram({}, {}, 4).a.empty());
}

TEST(ScoreViews, ExtremesInOrderWithoutNaN) {
  const std::vector<double> s = {5, 1, std::nan(""), 9, 1, 7};
  EXPECT_EQ(extreme_indices(s, 2, false), (std::vector<std::size_t>{1, 4}));
  EXPECT_EQ(extreme_indices(s, 3, true), (std::vector<std::size_t>{3, 5, 0}));
  EXPECT_EQ(extreme_indices(s, 100, true).size(), 5u);
  EXPECT_TRUE(extreme_indices({}, 3, true).empty());
}

TEST(ScoreViews, PerClassMeans) {
  const auto m = per_class_means({1, 3, 10, 20, 5}, {0, 0, 2, 2, 1});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].label, 0);
  EXPECT_DOUBLE_EQ(m[0].mean, 2);
  EXPECT_EQ(m[1].label, 1);
  EXPECT_EQ(m[2].count, 2u);
  EXPECT_DOUBLE_EQ(m[2].mean, 15);
  EXPECT_TRUE(per_class_means({1, 2}, {0}).empty());
}

TEST(ScoreViews, EveryImageOfASecondSetIsScored) {
  auto data = std::make_shared<Dataset>();
  data->channels = 1;
  data->height = data->width = 1;
  data->test = Split{2, {0.1f, 0.2f}, {4, 5}};
  data->train = Split{3, {0.3f, 0.4f, 0.5f}, {1, 2, 3}};
  auto all = every_image_as_test(data);
  EXPECT_EQ(all->test.count, 5u);
  EXPECT_EQ(all->test.pixels, (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f, 0.5f}));  // held-out ones first
  EXPECT_EQ(all->test.labels, (std::vector<int>{4, 5, 1, 2, 3}));
  EXPECT_EQ(all->train.count, 0u);
  EXPECT_EQ(data->train.count, 3u);  // the loaded set is left as it was
  data->test.labels.clear();         // labels on one split only: none
  EXPECT_TRUE(every_image_as_test(data)->test.labels.empty());
  auto test_only = std::make_shared<Dataset>();
  test_only->test = Split{1, {0.f}, {}};
  EXPECT_EQ(every_image_as_test(test_only), test_only);
}

TEST(ScoreViews, EtaText) {
  EXPECT_EQ(eta_text(10, 0.5), "10 s");
  EXPECT_EQ(eta_text(100, 0.25), "5 min 00 s");
  EXPECT_EQ(eta_text(0.1, 0.5), "");  // too early to tell
  EXPECT_EQ(eta_text(10, 0.0), "");
}

}  // namespace
}  // namespace vae::gui
