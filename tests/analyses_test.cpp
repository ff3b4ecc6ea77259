// The aggregate posterior against the prior, traversals, GIF export and the active-unit rule.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <cmath>
#include <random>

#include "core/errors.h"
#include "core/eval/aggregate_posterior.h"
#include "core/eval/inference.h"
#include "core/eval/posterior_health.h"
#include "core/eval/traversal.h"
#include "core/io/export.h"
#include "core/io/gif.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "test_util.h"

namespace vae {
namespace {

// Codes of `count` examples whose posteriors are N(mean + spread * e, sigma^2) per dimension.
LatentCodes gaussian_codes(std::size_t count, int dims, double mean, double spread, double sigma, std::uint64_t seed) {
  LatentCodes codes;
  codes.count = count;
  codes.dims = dims;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  for (std::size_t i = 0; i < count * dims; ++i) {
    codes.mu.push_back(static_cast<float>(mean + spread * normal(rng)));
    codes.logvar.push_back(static_cast<float>(2 * std::log(sigma)));
  }
  return codes;
}

TEST(AggregatePosterior, MomentsAndKlOfKnownMixtures) {
  // Posterior means ~ N(0, 0.6^2), posterior sigma 0.8: q(z) is N(0, 0.36 + 0.64) = N(0, 1), the prior.
  const auto prior_like = analyse_aggregate_posterior(gaussian_codes(4000, 3, 0.0, 0.6, 0.8, 1));
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(prior_like.mean[d], 0.0, 0.05);
    EXPECT_NEAR(prior_like.variance[d], 1.0, 0.06);
    EXPECT_LT(prior_like.marginals[d].total_variation, 0.08);
  }
  EXPECT_NEAR(prior_like.kl, 0.0, 0.05);
  EXPECT_NEAR(prior_like.kl_lower, 0.0, 0.05);
  EXPECT_LE(prior_like.kl_lower, prior_like.kl + 0.01);
  // Every posterior N(2, 0.5^2): q(z) = N(2, 0.25) per dimension, KL known in closed form.
  const auto shifted = analyse_aggregate_posterior(gaussian_codes(500, 2, 2.0, 0.0, 0.5, 2));
  const double exact = 2 * 0.5 * (4 + 0.25 - 1 - std::log(0.25));
  EXPECT_NEAR(shifted.kl, exact, 4 * shifted.kl_standard_error + 0.01);
  EXPECT_NEAR(shifted.kl_lower, exact, 4 * shifted.kl_lower_standard_error + 0.01);  // identical posteriors
  EXPECT_NEAR(shifted.moment_kl_per_dim[0], exact / 2, 1e-3);
  EXPECT_GT(shifted.marginals[0].total_variation, 0.7);
  ASSERT_EQ(shifted.marginals[0].density.size(), 48u);
  // The binned prior integrates to the N(0, 1) mass inside [-4, 4].
  double mass = 0;
  for (double p : shifted.marginals[0].prior_density) mass += p * 8.0 / 48;
  EXPECT_NEAR(mass, 0.99993666, 1e-6);
  EXPECT_THROW(analyse_aggregate_posterior(LatentCodes{}), ConfigError);
}

TEST(AggregatePosterior, PlaneDensityFindsTheHoles) {
  // Two tight clusters at (-2, 0) and (2, 0): the prior's centre is a hole.
  LatentCodes codes;
  codes.count = 200;
  codes.dims = 2;
  for (int i = 0; i < 200; ++i) {
    codes.mu.push_back(i % 2 ? 2.f : -2.f);
    codes.mu.push_back(0.f);
    codes.logvar.push_back(std::log(0.04f));
    codes.logvar.push_back(std::log(0.04f));
  }
  const auto grid = plane_density(codes, {0.f, 0.f}, {1.f, 0.f}, {0.f, 1.f}, 40, 4.0);
  ASSERT_EQ(grid.posterior.size(), 1600u);
  double total = 0;
  for (double p : grid.posterior) total += p * 0.2 * 0.2;
  EXPECT_NEAR(total, 1.0, 0.01);
  const int centre = 20 * 40 + 20, cluster = 20 * 40 + 30;  // (0.1, 0.1) and (2.1, 0.1)
  EXPECT_LT(grid.posterior[centre], 0.01 * grid.prior[centre]);
  EXPECT_GT(grid.posterior[cluster], grid.prior[cluster]);
  EXPECT_GT(grid.prior_mass_in_holes, 0.8);
  EXPECT_THROW(plane_density(codes, {0.f, 0.f}, {1.f, 0.f}, {1.f, 0.f}), ConfigError);
}

// A small model trained briefly on the synthetic shapes, with the KL weight `beta`.
std::shared_ptr<const ModelState> trained(double beta, int epochs) {
  static auto shapes = std::make_shared<const Dataset>(make_synthetic(3000, 500, 21));
  ModelConfig model;
  model.hidden = {128};
  model.latent = 4;
  TrainConfig train;
  train.batch_size = 100;
  train.seed = 9;
  train.beta = beta;
  TrainingSession session(shapes, model, train);
  for (int e = 0; e < epochs; ++e) {
    while (!session.epoch_complete()) session.train_step();
    session.evaluate_epoch(nullptr);
  }
  return session.freeze();
}

AggregatePosterior aggregate_of(const std::shared_ptr<const ModelState>& model) {
  static const Dataset shapes = make_synthetic(10, 1000, 22);
  Inference inference(model);
  return analyse_aggregate_posterior(inference.encode(shapes.test.pixels.data(), shapes.test.count));
}

double mean_total_variation(const AggregatePosterior& a) {
  double sum = 0;
  for (const auto& m : a.marginals) sum += m.total_variation;
  return sum / a.marginals.size();
}

TEST(AggregatePosterior, TheKlTermPullsTheAggregateTowardsThePrior) {
  // Seed 004's question: the KL term is what makes q(z) close to N(0, I). A VAE (beta 1) ends
  // closer to the prior than the same network trained as a plain autoencoder (beta 0), whose
  // codes are free to spread and whose posteriors shrink to points.
  const auto vae = aggregate_of(trained(1.0, 3));
  const auto autoencoder = aggregate_of(trained(0.0, 3));
  EXPECT_LT(vae.kl, autoencoder.kl);
  EXPECT_LT(mean_total_variation(vae), mean_total_variation(autoencoder));
  const auto untrained = aggregate_of(trained(1.0, 0));
  EXPECT_LE(vae.kl_lower, vae.kl);
  std::cerr << "untrained: KL " << untrained.kl << ", mean TV " << mean_total_variation(untrained) << "\n";
  for (int d = 0; d < vae.dims; ++d)
    std::cerr << "VAE z" << d << ": mean " << vae.mean[d] << " variance " << vae.variance[d] << " TV "
              << vae.marginals[d].total_variation << "\n";
  std::cerr << "KL(q(z) || p(z)): VAE " << vae.kl << " +- " << vae.kl_standard_error << ", autoencoder "
            << autoencoder.kl << "; mean TV " << mean_total_variation(vae) << " vs "
            << mean_total_variation(autoencoder) << "\n";
}

TEST(PosteriorHealth, OneThresholdForActiveUnits) {
  EXPECT_FALSE(is_active_unit(kActiveUnitThreshold));
  EXPECT_TRUE(is_active_unit(kActiveUnitThreshold * 1.01));
  EXPECT_EQ(count_active_units({0.0, 0.5, 0.009, 1.2}), 2);
}

TEST(Gif, DecodesToTheExpectedFramesAndSize) {
  std::vector<Image> frames;
  for (int f = 0; f < 5; ++f) {
    Image frame(1, 20, 30);
    for (int y = 0; y < 20; ++y)
      for (int x = 0; x < 30; ++x) frame.at(0, y, x) = float((x + y * 3 + f * 40) % 256) / 255.f;
    frames.push_back(frame);
  }
  const std::string bytes = encode_gif(frames, 10);
  int width = 0, height = 0, count = 0, channels = 0;
  int* delays = nullptr;
  stbi_uc* pixels =
      stbi_load_gif_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &delays,
                                &width, &height, &count, &channels, 1);
  ASSERT_NE(pixels, nullptr) << stbi_failure_reason();
  EXPECT_EQ(count, 5);
  EXPECT_EQ(width, 30);
  EXPECT_EQ(height, 20);
  EXPECT_EQ(delays[0], 100);  // milliseconds
  // Gray levels survive exactly: frame 3, pixel (y 2, x 7).
  EXPECT_EQ(pixels[3 * 600 + 2 * 30 + 7], (7 + 6 + 120) % 256);
  stbi_image_free(pixels);
  stbi_image_free(delays);

  EXPECT_THROW(encode_gif({}), IoError);
  EXPECT_THROW(encode_gif({Image(1, 4, 4), Image(1, 5, 4)}), IoError);
  EXPECT_THROW(encode_gif({Image(2, 4, 4)}), IoError);
  // Colour frames go through the RGB cube palette.
  Image red(3, 4, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) red.at(0, y, x) = 1.f;
  const std::string colour = encode_gif({red, red});
  stbi_uc* rgb =
      stbi_load_gif_from_memory(reinterpret_cast<const stbi_uc*>(colour.data()), static_cast<int>(colour.size()),
                                nullptr, &width, &height, &count, &channels, 3);
  ASSERT_NE(rgb, nullptr);
  EXPECT_EQ(count, 2);
  EXPECT_GT(rgb[0], 200);
  EXPECT_LT(rgb[1], 40);
  stbi_image_free(rgb);
}

TEST(Traversal, SortedLabelledRowsAndOneGifFramePerStep) {
  const auto model = trained(1.0, 1);
  Inference inference(model);
  TraversalOptions options;
  options.steps = 7;
  options.kl_per_dim = {0.5, 3.0, 0.001, 1.5};
  options.activity = {0.3, 0.9, 0.0001, 0.5};
  const auto traversal = compute_traversal(inference, options);
  ASSERT_EQ(traversal.dims, (std::vector<int>{1, 3, 0, 2}));
  EXPECT_FALSE(traversal.active[3]);
  ASSERT_EQ(traversal.cells.size(), 28u);
  EXPECT_DOUBLE_EQ(traversal.offsets.front(), -3.0);
  EXPECT_DOUBLE_EQ(traversal.offsets.back(), 3.0);
  // Row 0 moves dimension 1 only: its centre column decodes the centre code.
  const auto centre = inference.decode_one(std::vector<float>(4, 0.f));
  ASSERT_EQ(traversal.cell(0, 3).pixels.size(), centre.pixels.size());
  float largest_difference = 0;  // batched and single decodes may round differently
  for (std::size_t i = 0; i < centre.pixels.size(); ++i)
    largest_difference = std::max(largest_difference, std::abs(traversal.cell(0, 3).pixels[i] - centre.pixels[i]));
  EXPECT_LT(largest_difference, 1e-5f);
  EXPECT_GT(std::abs(traversal.cell(0, 0).pixels[14 * 28 + 14] - traversal.cell(0, 6).pixels[14 * 28 + 14]) +
                std::abs(traversal.cell(0, 0).pixels[10 * 28 + 10] - traversal.cell(0, 6).pixels[10 * 28 + 10]),
            1e-4f);

  const Image sheet = traversal_sheet(traversal);
  EXPECT_EQ(sheet.height, 4 * 28 + 5 * 2 + text_height() + 4);
  EXPECT_GT(sheet.width, 7 * 28 + 8 * 2 + text_width("z1 KL 3.00"));
  // The label column has ink (black text on white).
  float darkest = 1;
  for (int y = 0; y < sheet.height; ++y)
    for (int x = 0; x < 40; ++x) darkest = std::min(darkest, sheet.at(0, y, x));
  EXPECT_EQ(darkest, 0.f);

  options.skip_inactive = true;
  EXPECT_EQ(compute_traversal(inference, options).dims.size(), 3u);

  testing::TempDir dir;
  const auto frames = traversal_frames(traversal, 2);
  ASSERT_EQ(frames.size(), 7u);
  write_gif(frames, dir.file("t.gif"), 20);
  const auto bytes = testing::read_bytes(dir.file("t.gif"));
  int width = 0, height = 0, count = 0, channels = 0;
  stbi_uc* pixels = stbi_load_gif_from_memory(bytes.data(), static_cast<int>(bytes.size()), nullptr, &width, &height,
                                              &count, &channels, 1);
  ASSERT_NE(pixels, nullptr);
  EXPECT_EQ(count, 7);
  EXPECT_EQ(width, frames[0].width);
  EXPECT_EQ(height, frames[0].height);
  // 4 tiles in a 2 x 2 grid of 56-pixel tiles.
  EXPECT_EQ(width, 2 + 2 * (56 + 2));
  stbi_image_free(pixels);

  const auto path =
      interpolation_frames(inference, std::vector<float>(4, -1.f), std::vector<float>(4, 1.f), 6, true, 3);
  ASSERT_EQ(path.size(), 6u);
  EXPECT_EQ(path[0].width, 84);
  TraversalOptions one_step;
  one_step.steps = 1;
  EXPECT_THROW(compute_traversal(inference, one_step), ConfigError);
}

}  // namespace
}  // namespace vae
