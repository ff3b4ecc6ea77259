// Outlier detection: the detection metrics against brute force and hand-worked cases, the
// compressor's complexity measure, test-only IDX sets, and the complexity correction beating
// the raw likelihood on an out-of-distribution pair made here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/eval/ood.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "test_util.h"

namespace vae {
namespace {

using testing::TempDir;

// P(out > in) + P(tie) / 2 by comparing every pair.
double brute_force_auroc(const std::vector<double>& in, const std::vector<double>& out) {
  double wins = 0;
  for (double o : out)
    for (double i : in) wins += o > i ? 1.0 : (o == i ? 0.5 : 0.0);
  return wins / (double(in.size()) * double(out.size()));
}

TEST(Detection, PerfectInvertedAndChance) {
  const std::vector<double> low = {1, 2, 3}, high = {4, 5, 6, 7};
  EXPECT_DOUBLE_EQ(auroc(low, high), 1.0);
  EXPECT_DOUBLE_EQ(average_precision(low, high), 1.0);
  EXPECT_DOUBLE_EQ(fpr_at_tpr(low, high), 0.0);
  EXPECT_DOUBLE_EQ(auroc(high, low), 0.0);
  EXPECT_DOUBLE_EQ(fpr_at_tpr(high, low), 1.0);
  // Every score tied: one threshold flags everything.
  const std::vector<double> same_in(5, 2.0), same_out(3, 2.0);
  EXPECT_DOUBLE_EQ(auroc(same_in, same_out), 0.5);
  EXPECT_DOUBLE_EQ(average_precision(same_in, same_out), 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(fpr_at_tpr(same_in, same_out), 1.0);
}

TEST(Detection, HandWorkedExample) {
  // Ranked: 0.9 out, 0.8 in, 0.7 out, 0.6 in, 0.5 out, 0.1 in.
  const std::vector<double> in = {0.8, 0.6, 0.1}, out = {0.9, 0.7, 0.5};
  // Pairs out > in: 0.9 beats 3, 0.7 beats 2, 0.5 beats 1 -> 6 of 9.
  EXPECT_NEAR(auroc(in, out), 6.0 / 9.0, 1e-12);
  // AP: recall steps of 1/3 at precisions 1, 2/3, 3/5.
  EXPECT_NEAR(average_precision(in, out), (1.0 + 2.0 / 3 + 3.0 / 5) / 3, 1e-12);
  // 95 % of outliers needs all three (threshold 0.5): 2 of 3 inliers are above it.
  EXPECT_NEAR(fpr_at_tpr(in, out), 2.0 / 3.0, 1e-12);
  // Half the outliers need only 0.7 (2 of 3 >= 0.5): one inlier above.
  EXPECT_NEAR(fpr_at_tpr(in, out, 0.5), 1.0 / 3.0, 1e-12);
}

TEST(Detection, AurocMatchesBruteForceWithTies) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coarse(0, 20);  // many ties
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> in(50 + trial), out(30 + 2 * trial);
    for (double& v : in) v = coarse(rng);
    for (double& v : out) v = coarse(rng) + trial % 5;
    EXPECT_NEAR(auroc(in, out), brute_force_auroc(in, out), 1e-12) << "trial " << trial;
    const auto m = detection_metrics(in, out);
    EXPECT_GE(m.aupr, 0.0);
    EXPECT_LE(m.aupr, 1.0);
    EXPECT_GE(m.fpr95, 0.0);
    EXPECT_LE(m.fpr95, 1.0);
  }
}

TEST(Detection, FprAt95CountsExactlyNinetyFivePercent) {
  // 100 outliers at 1..100, inliers at 0.5..5.5: the 95th-highest outlier is 6, above every inlier.
  std::vector<double> out, in;
  for (int i = 1; i <= 100; ++i) out.push_back(i);
  for (int i = 0; i < 6; ++i) in.push_back(i + 0.5);
  EXPECT_DOUBLE_EQ(fpr_at_tpr(in, out), 0.0);
  in.push_back(6.0);  // ties with the 95th outlier: flagged at that threshold
  EXPECT_DOUBLE_EQ(fpr_at_tpr(in, out), 1.0 / 7.0);
}

TEST(Detection, RefusesEmptyOrNanScores) {
  EXPECT_THROW(auroc({}, {1.0}), ConfigError);
  EXPECT_THROW(average_precision({1.0}, {}), ConfigError);
  EXPECT_THROW(fpr_at_tpr({1.0}, {std::nan("")}), ConfigError);
  EXPECT_THROW(fpr_at_tpr({1.0}, {2.0}, 0.0), ConfigError);
  EXPECT_EQ(parse_ood_score("complexity"), OodScoreKind::ComplexityCorrected);
  EXPECT_EQ(parse_ood_score("iw"), OodScoreKind::ImportanceSampled);
  EXPECT_EQ(to_string(parse_ood_score("elbo")), "elbo");
  EXPECT_THROW(parse_ood_score("likelihood"), ConfigError);
}

TEST(Complexity, SimpleImagesCompressBetterThanNoise) {
  const int side = 28;
  std::vector<float> blank(side * side, 0.f), noise(side * side), shape(side * side, 0.f);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  for (float& v : noise) v = unit(rng);
  for (int y = 8; y < 20; ++y)
    for (int x = 8; x < 20; ++x) shape[y * side + x] = 1.f;
  const double b = compressed_bits_per_dim(blank.data(), 1, side, side);
  const double s = compressed_bits_per_dim(shape.data(), 1, side, side);
  const double n = compressed_bits_per_dim(noise.data(), 1, side, side);
  EXPECT_LT(b, 0.2);  // 784 zero bytes deflate to a handful of bytes
  EXPECT_GT(s, b);
  EXPECT_GT(n, 7.5);  // 8-bit noise does not compress: about 8 bits per value plus framing
  EXPECT_LT(s, n / 10);
  EXPECT_NEAR(nats_to_bits_per_dim(784 * std::log(2.0), 784), 1.0, 1e-12);
  // Planar colour input: a pure red square compresses like the gray one, a bit larger.
  std::vector<float> red(3 * side * side, 0.f);
  std::copy(shape.begin(), shape.end(), red.begin());
  const double r = compressed_bits_per_dim(red.data(), 3, side, side);
  EXPECT_GT(r * 3, s);
  EXPECT_LT(r, s);
}

TEST(IdxTestOnly, FolderOfT10kFilesAndSingleFileLoadAsTestSplit) {
  TempDir dir;
  testing::write_bytes(dir.file("t10k-images-idx3-ubyte"), testing::idx_images(12, 28, 28));
  testing::write_bytes(dir.file("t10k-labels-idx1-ubyte"), testing::idx_labels(12));
  const Dataset folder = load_idx_folder(dir.path());
  EXPECT_EQ(folder.train.count, 0u);
  EXPECT_EQ(folder.test.count, 12u);
  EXPECT_EQ(folder.test.labels.size(), 12u);
  EXPECT_EQ(folder.class_names.size(), 10u);
  const auto spec = DataSpec::parse("idx:" + dir.file("t10k-images-idx3-ubyte"));
  const auto single = load_dataset(spec);
  EXPECT_EQ(single->test.count, 12u);
  EXPECT_EQ(single->train.count, 0u);
  // Training on it says the training split is empty instead of failing later.
  ModelConfig model;
  model.hidden = {8};
  model.latent = 2;
  TrainConfig train;
  train.batch_size = 4;
  try {
    TrainingSession session(std::make_shared<const Dataset>(folder), model, train);
    FAIL() << "training on a test-only folder was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("training split"), std::string::npos) << error.what();
  }
  // Training labels without training images are an inconsistency, named.
  testing::write_bytes(dir.file("train-labels-idx1-ubyte"), testing::idx_labels(12));
  try {
    load_idx_folder(dir.path());
    FAIL() << "labels without images were accepted";
  } catch (const DataError& error) {
    EXPECT_NE(std::string(error.what()).find("train-labels-idx1-ubyte"), std::string::npos) << error.what();
  }
}

// Out-of-distribution images simpler than the training shapes: one small dot each, far less
// ink and edge than any shape, the way printed or handwritten digits are simpler than clothes
// (Nalisnick et al. 2019). The model never saw anything this small.
Dataset small_dots(std::size_t count, std::uint64_t seed) {
  Dataset data;
  data.name = "small dots";
  data.spec = "small-dots";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  constexpr int kSide = 28;
  for (std::size_t i = 0; i < count; ++i) {
    const double cx = 5 + 18 * unit(rng), cy = 5 + 18 * unit(rng), radius = 1.5 + 1.5 * unit(rng);
    for (int y = 0; y < kSide; ++y)
      for (int x = 0; x < kSide; ++x) {
        const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);  // anti-aliased one-pixel edge
        data.test.pixels.push_back(static_cast<float>(std::clamp(radius + 0.5 - d, 0.0, 1.0)));
      }
    ++data.test.count;
  }
  return data;
}

// The in-distribution set: the synthetic shapes filled with a random texture (each inked pixel
// scaled by a factor in [0.4, 1]), busy images like clothes next to the plain dots.
std::shared_ptr<const Dataset> textured_shapes() {
  Dataset data = make_synthetic(3000, 400, 11);
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<float> texture(0.4f, 1.0f);
  for (Split* split : {&data.train, &data.test})
    for (float& v : split->pixels) v *= texture(rng);
  return std::make_shared<const Dataset>(std::move(data));
}

TEST(OodScores, ComplexityCorrectionBeatsRawLikelihoodOnSimplerOutliers) {
  auto shapes = textured_shapes();
  ModelConfig model;
  model.hidden = {128};
  model.latent = 4;
  TrainConfig train;
  train.batch_size = 100;
  train.seed = 5;
  TrainingSession session(shapes, model, train);
  for (int epoch = 0; epoch < 3; ++epoch) {
    while (!session.epoch_complete()) session.train_step();
    session.evaluate_epoch(nullptr);
  }
  const auto frozen = session.freeze();
  const Dataset dots = small_dots(400, 12);

  OodScoreOptions options;
  options.kind = OodScoreKind::NegElbo;
  const auto raw_in = score_examples(*frozen, *shapes, shapes->test, options);
  const auto raw_out = score_examples(*frozen, dots, dots.test, options);
  options.kind = OodScoreKind::ComplexityCorrected;
  const auto corrected_in = score_examples(*frozen, *shapes, shapes->test, options);
  const auto corrected_out = score_examples(*frozen, dots, dots.test, options);
  ASSERT_EQ(raw_in.score.size(), 400u);
  ASSERT_EQ(corrected_out.complexity_bits_per_dim.size(), 400u);

  const auto raw = detection_metrics(raw_in.score, raw_out.score);
  const auto corrected = detection_metrics(corrected_in.score, corrected_out.score);
  // The likelihood prefers the simpler dots it never saw; the correction undoes that.
  EXPECT_LT(raw_out.mean_score(), raw_in.mean_score()) << "dots were not more likely than shapes";
  EXPECT_LT(raw.auroc, 0.5);
  EXPECT_GT(corrected.auroc, 0.9);
  EXPECT_GT(corrected.auroc, raw.auroc + 0.4);
  std::cerr << "textured shapes vs dots: raw -ELBO AUROC " << raw.auroc << ", complexity-corrected " << corrected.auroc
            << "\n";
  EXPECT_GT(corrected.aupr, raw.aupr);
  EXPECT_LT(corrected.fpr95, raw.fpr95);

  // The importance-sampled score is a tighter estimate: below -ELBO on average, same examples.
  options.kind = OodScoreKind::ImportanceSampled;
  options.iw_samples = 16;
  options.limit = 50;
  const auto iw_in = score_examples(*frozen, *shapes, shapes->test, options);
  ASSERT_EQ(iw_in.score.size(), 50u);
  ASSERT_EQ(iw_in.nll_is.size(), 50u);
  double iw_sum = 0, elbo_sum = 0;
  for (std::size_t i = 0; i < 50; ++i) {
    iw_sum += iw_in.score[i];
    elbo_sum += iw_in.neg_elbo[i];
  }
  EXPECT_LT(iw_sum, elbo_sum);
  options.iw_samples = 0;
  EXPECT_THROW(score_examples(*frozen, *shapes, shapes->test, options), ConfigError);
}

}  // namespace
}  // namespace vae
