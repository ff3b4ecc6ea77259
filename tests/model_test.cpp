// The maths of the model: analytic KL against Monte Carlo, likelihoods against their formulas,
// the importance-sampled bound against the ELBO.
#include <gtest/gtest.h>

#include <cmath>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/eval/evaluate.h"
#include "core/model/vae.h"
#include "core/train/session.h"

namespace vae {
namespace {

TEST(Kl, AnalyticMatchesMonteCarlo) {
  torch::manual_seed(3);
  const auto mu = torch::tensor({0.5f, -1.2f, 2.0f, 0.0f});
  const auto logvar = torch::tensor({-0.5f, 0.3f, -2.0f, 0.0f});
  const auto analytic = gaussian_kl_per_dim(mu, logvar);
  // KL = E_q[log q(z) - log p(z)], estimated with 400k samples per dimension.
  const auto sigma = torch::exp(0.5 * logvar);
  const auto eps = torch::randn({400000, 4}, torch::kDouble);
  const auto z = mu.to(torch::kDouble) + sigma.to(torch::kDouble) * eps;
  const auto log_q = -0.5 * eps * eps - 0.5 * logvar.to(torch::kDouble);
  const auto log_p = -0.5 * z * z;
  const auto monte_carlo = (log_q - log_p).mean(0);
  for (int d = 0; d < 4; ++d)
    EXPECT_NEAR(analytic[d].item<double>(), monte_carlo[d].item<double>(), 0.02) << "dim " << d;
  EXPECT_NEAR(analytic[3].item<double>(), 0.0, 1e-7);  // q = p
}

ModelConfig tiny_config(Likelihood likelihood) {
  ModelConfig config;
  config.hidden = {32};
  config.latent = 3;
  config.likelihood = likelihood;
  return config;
}

TEST(Likelihood, BernoulliIsNegativeBinaryCrossEntropy) {
  Vae model(tiny_config(Likelihood::Bernoulli));
  const auto logits = torch::randn({2, 1, 28, 28});
  const auto x = torch::rand({2, 1, 28, 28});
  const auto p = torch::sigmoid(logits);
  const auto expected = (x * torch::log(p) + (1 - x) * torch::log(1 - p)).flatten(1).sum(1);
  EXPECT_TRUE(torch::allclose(model->log_likelihood(logits, x), expected, 1e-4, 1e-3));
}

TEST(Likelihood, GaussianIsTheNormalDensity) {
  auto config = tiny_config(Likelihood::Gaussian);
  config.gaussian_sigma = 0.3;
  Vae model(config);
  const auto out = torch::randn({1, 1, 28, 28});
  const auto x = torch::rand({1, 1, 28, 28});
  const auto mean = torch::sigmoid(out);
  const double s = 0.3;
  const auto expected = (-0.5 * (x - mean).pow(2) / (s * s) - std::log(s) - 0.5 * std::log(2 * M_PI)).flatten(1).sum(1);
  EXPECT_TRUE(torch::allclose(model->log_likelihood(out, x), expected, 1e-4, 1e-3));
}

TEST(Likelihood, ContinuousBernoulliIntegratesToOneAndHasItsMean) {
  Vae model(tiny_config(Likelihood::ContinuousBernoulli));
  // One pixel per "image": evaluate the density on a fine grid of x for several lambdas,
  // including lambda near 1/2 where the normaliser's series expansion is used.
  for (double logit : {-4.0, -1.0, -0.01, 0.0, 0.003, 0.5, 3.0}) {
    const int n = 20001;
    const auto x = torch::linspace(0, 1, n).view({n, 1, 1, 1});
    const auto out = torch::full({n, 1, 1, 1}, logit);
    const auto density = torch::exp(model->log_likelihood(out, x)).to(torch::kDouble);
    const double integral = torch::trapezoid(density, 1.0 / (n - 1)).item<double>();
    EXPECT_NEAR(integral, 1.0, 1e-4) << "logit " << logit;
    const double mean = torch::trapezoid(density * x.view({n}).to(torch::kDouble), 1.0 / (n - 1)).item<double>();
    const double model_mean = model->mean_image(torch::full({1, 1, 1, 1}, logit)).item<double>();
    EXPECT_NEAR(model_mean, mean, 1e-4) << "logit " << logit;
  }
}

TEST(Model, ReferenceShapesAndParameterCount) {
  Vae mlp(ModelConfig{});
  std::int64_t count = 0;
  for (const auto& p : mlp->parameters()) count += p.numel();
  // pytorch/examples vae: 784*400+400 + 2*(400*20+20) + 20*400+400 + 400*784+784.
  EXPECT_EQ(count, 652824);
  for (int side : {28, 32, 64}) {
    ModelConfig conv;
    conv.kind = ModelKind::Conv;
    conv.channels = 3;
    conv.height = conv.width = side;
    conv.hidden = {128};
    conv.latent = 8;
    Vae model(conv);
    const auto x = torch::rand({2, 3, side, side});
    const auto mu = model->encode(x).mu;
    EXPECT_EQ(mu.sizes(), (std::vector<std::int64_t>{2, 8}));
    EXPECT_EQ(model->decode(mu).sizes(), x.sizes());
  }
  ModelConfig bad;
  bad.latent = 0;
  EXPECT_THROW(bad.validate(), ConfigError);
  bad.latent = 257;
  EXPECT_THROW(bad.validate(), ConfigError);
  ModelConfig odd_conv;
  odd_conv.kind = ModelKind::Conv;
  odd_conv.height = odd_conv.width = 30;
  EXPECT_THROW(odd_conv.validate(), ConfigError);
}

// A small model trained briefly on the synthetic set, shared by the evaluation tests.
class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_shared<const Dataset>(make_synthetic(2000, 300, 5));
    ModelConfig model;
    model.hidden = {128};
    model.latent = 4;
    TrainConfig train;
    train.batch_size = 100;
    TrainingSession session(data_, model, train);
    for (int i = 0; i < 60; ++i)
      if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
    state_ = session.freeze();
  }
  static void TearDownTestSuite() {
    state_.reset();
    data_.reset();
  }
  static std::shared_ptr<const Dataset> data_;
  static std::shared_ptr<const ModelState> state_;
};
std::shared_ptr<const Dataset> TrainedModel::data_;
std::shared_ptr<const ModelState> TrainedModel::state_;

TEST_F(TrainedModel, ImportanceSamplingBoundsTheElboAndTightensWithK) {
  EvalOptions options;
  options.limit = 200;
  options.seed = 11;
  const double neg_elbo = evaluate(*state_, *data_, data_->test, options).neg_elbo;
  double previous = 1e30;
  for (int k : {1, 10, 100, 500}) {
    options.iw_samples = k;
    const double nll = evaluate(*state_, *data_, data_->test, options).nll_is;
    // k = 1 is an unbiased estimate of the ELBO itself; larger k gives a tighter (lower) NLL.
    if (k == 1) {
      EXPECT_NEAR(nll, neg_elbo, 0.02 * neg_elbo);
    }
    if (k >= 10) {
      EXPECT_LE(nll, neg_elbo) << "k=" << k;
    }
    EXPECT_LT(nll, previous + 0.05) << "k=" << k;
    previous = nll;
  }
  // The bound must be strictly tighter for k = 500 than for the ELBO by a visible margin.
  EXPECT_LT(previous, neg_elbo - 0.5);
}

TEST_F(TrainedModel, EvaluationReportsPartsActiveUnitsAndPerExampleScores) {
  EvalOptions options;
  options.per_example = true;
  const auto result = evaluate(*state_, *data_, data_->test, options);
  EXPECT_EQ(result.n, 300u);
  // The headline loss is summed per example in float, the terms separately: agree to float precision.
  EXPECT_NEAR(result.neg_elbo, result.recon + result.kl, 1e-6 * result.neg_elbo);
  ASSERT_EQ(result.kl_per_dim.size(), 4u);
  double kl_sum = 0;
  for (double kl : result.kl_per_dim) kl_sum += kl;
  EXPECT_NEAR(kl_sum, result.kl, 1e-3 * result.kl + 1e-6);
  ASSERT_EQ(result.per_example_neg_elbo.size(), 300u);
  double mean_score = 0;
  for (float s : result.per_example_neg_elbo) mean_score += s / 300.0;
  EXPECT_NEAR(mean_score, result.neg_elbo, 1e-3 * result.neg_elbo);
  int active = 0;
  for (double v : result.mean_variance_per_dim) active += v > 0.01;
  EXPECT_EQ(active, result.active_units);
  EXPECT_GE(result.active_units, 1);
}

TEST_F(TrainedModel, ShapeMismatchIsAConfigError) {
  const Dataset other = [] {
    Dataset d = make_synthetic(10, 10, 1);
    d.height = d.width = 14;
    return d;
  }();
  EXPECT_THROW(evaluate(*state_, other, other.test, EvalOptions{}), ConfigError);
}

}  // namespace
}  // namespace vae
