// Exports and the latent-space helpers the window uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <tuple>

#include "core/errors.h"
#include "core/eval/inference.h"
#include "core/io/export.h"
#include "test_util.h"

namespace vae {
namespace {

TEST(Grid, TilesWithPaddingAndPngRoundTrip) {
  std::vector<Image> images;
  for (int i = 0; i < 5; ++i) {
    Image image(1, 4, 3);
    for (auto& v : image.pixels) v = i / 4.0f;
    images.push_back(image);
  }
  const Image grid = make_grid(images, 3, 1, 0.5f);
  EXPECT_EQ(grid.width, 3 * 3 + 4);
  EXPECT_EQ(grid.height, 2 * 4 + 3);
  EXPECT_FLOAT_EQ(grid.at(0, 0, 0), 0.5f);                  // padding
  EXPECT_FLOAT_EQ(grid.at(0, 1 + 4 + 1, 1 + 3 + 1), 1.0f);  // image 4: second row, second column
  testing::TempDir dir;
  write_png(grid, dir.file("g.png"));
  const Image back = read_png(dir.file("g.png"));
  EXPECT_EQ(back.width, grid.width);
  EXPECT_EQ(back.height, grid.height);
  for (std::size_t i = 0; i < grid.pixels.size(); ++i) EXPECT_NEAR(back.pixels[i], grid.pixels[i], 0.5 / 255 + 1e-6);
  EXPECT_THROW(write_png(grid, dir.file("missing/g.png")), IoError);
}

TEST(Csv, LatentsHaveHeaderLabelsAndQuotedNames) {
  LatentCodes codes;
  codes.count = 2;
  codes.dims = 2;
  codes.mu = {0.5f, -1.f, 2.f, 3.f};
  codes.logvar = {0.f, 0.f, -1.f, -2.f};
  testing::TempDir dir;
  write_latents_csv(codes, {1, 0}, {"zero", "one, with comma"}, dir.file("z.csv"));
  std::ifstream in(dir.file("z.csv"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "index,label,class,mu_0,mu_1,logvar_0,logvar_1\n"
            "0,1,\"one, with comma\",0.5,-1,0,0\n"
            "1,0,zero,2,3,-1,-2\n");
}

TEST(Csv, MetricsPutEpochColumnsOnTheClosingStep) {
  MetricHistory history;
  for (int i = 1; i <= 3; ++i) {
    StepMetrics s;
    s.step = i;
    s.loss = 100.f - i;
    history.steps.push_back(s);
  }
  EpochMetrics e;
  e.epoch = 1;
  e.step = 2;
  e.test_loss = 90;
  history.epochs.push_back(e);
  testing::TempDir dir;
  write_metrics_csv(history, dir.file("m.csv"));
  std::ifstream in(dir.file("m.csv"));
  std::string header, one, two, three;
  std::getline(in, header);
  std::getline(in, one);
  std::getline(in, two);
  std::getline(in, three);
  EXPECT_EQ(header.substr(0, 14), "step,epoch,neg");
  EXPECT_EQ(one.substr(one.size() - 6), ",,,,,,");
  EXPECT_NE(two.find(",90,"), std::string::npos) << two;
}

// A thinned history (core/train/step_history.h): one line per row, first_step..step covered,
// each epoch's test figures on the row that covers its closing step; two epochs closed within
// one row: the earlier gets a line of its own.
TEST(Csv, ThinnedRowsCarryTheirFirstStepAndTheEpochsTheyCover) {
  MetricHistory history;
  history.steps.set_max_rows(4);
  for (int i = 1; i <= 10; ++i) {
    StepMetrics s;
    s.step = i;
    s.epoch = i / 4.0;
    s.loss = float(i);
    s.terms = {float(i), 0.f};
    history.steps.push_back(s);
  }
  // Rows: steps 1-4, 5-8 (stride 4) and 9-10 (filling).
  ASSERT_EQ(history.steps.size(), 3u);
  for (const auto& [epoch, step, test] : std::vector<std::tuple<int, int, float>>{{1, 2, 91}, {2, 3, 92}, {3, 7, 93}}) {
    EpochMetrics e;
    e.epoch = epoch;
    e.step = step;
    e.test_loss = test;
    history.epochs.push_back(e);
  }
  testing::TempDir dir;
  write_metrics_csv(history, dir.file("m.csv"));
  std::ifstream in(dir.file("m.csv"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "step,epoch,neg_elbo,recon,kl,beta,samples_per_sec,first_step,test_neg_elbo,test_recon,test_kl,"
            "test_nll_is,iw_samples,active_units");
  EXPECT_EQ(lines[1], "2,1,,,,,,,91,,,,0,");            // epoch 1 alone: the row of steps 1-4 holds epoch 2
  EXPECT_EQ(lines[2], "4,1,2.5,2.5,0,1,0,1,92,,,,0,");  // the mean of steps 1..4
  EXPECT_EQ(lines[3], "8,2,6.5,6.5,0,1,0,5,93,,,,0,");
  EXPECT_EQ(lines[4], "10,2.5,9.5,9.5,0,1,0,9,,,,,,");
  for (const auto& line : lines) EXPECT_EQ(std::count(line.begin(), line.end(), ','), 13) << line;
}

TEST(Latent, NormalQuantileInvertsTheCdf) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(normal_quantile(0.01), -2.326347874040841, 1e-9);
  for (double p : {1e-6, 0.1, 0.3, 0.77, 0.999}) {
    const double x = normal_quantile(p);
    EXPECT_NEAR(0.5 * std::erfc(-x / std::sqrt(2.0)), p, 1e-12 + 1e-9 * p);
  }
}

TEST(Latent, InterpolationEndsAtTheEndPointsAndSlerpKeepsTheNorm) {
  const std::vector<float> a = {3, 0, 0}, b = {0, 3, 0};
  for (bool spherical : {false, true}) {
    const auto path = interpolate(a, b, 5, spherical);
    ASSERT_EQ(path.size(), 15u);
    EXPECT_FLOAT_EQ(path[0], 3);
    EXPECT_FLOAT_EQ(path[13], 3);
    const double mid_norm = std::sqrt(path[6] * path[6] + path[7] * path[7] + path[8] * path[8]);
    if (spherical)
      EXPECT_NEAR(mid_norm, 3.0, 1e-5);
    else
      EXPECT_NEAR(mid_norm, 3.0 / std::sqrt(2.0), 1e-5);  // the straight line cuts inside
  }
}

TEST(Latent, PcaFindsTheAxisOfLargestSpread) {
  // Points along (1, 1, 0) / sqrt 2 with small noise in the other directions.
  std::vector<float> points;
  for (int i = 0; i < 200; ++i) {
    const float t = (i - 100) / 10.f;
    const float noise = ((i * 37) % 11 - 5) / 100.f;
    points.insert(points.end(), {t + 1.f, t + 2.f + noise, noise});
  }
  const Pca pca = compute_pca(points, 200, 3, 2);
  EXPECT_NEAR(std::abs(pca.axes[0]), 1 / std::sqrt(2.0), 1e-2);
  EXPECT_NEAR(std::abs(pca.axes[1]), 1 / std::sqrt(2.0), 1e-2);
  EXPECT_GT(pca.variance[0], 50 * pca.variance[1]);
  const auto projected = pca.project(points, 200);
  // Unprojecting a projected point lands near the point (the discarded axis holds only noise).
  const auto back = pca.unproject(&projected[2 * 10]);
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(back[d], points[10 * 3 + d], 0.1);
}

}  // namespace
}  // namespace vae
