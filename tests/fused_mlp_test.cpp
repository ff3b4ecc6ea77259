// The hand-written MLP step against LibTorch's autograd and Adam: same gradients, same update,
// moments that move between the two paths exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/data/dataset.h"
#include "core/model/vae.h"
#include "core/train/fused_mlp.h"
#include "core/train/session.h"

namespace vae {
namespace {

constexpr double kGradientTolerance = 1e-5;  // relative to the largest entry of each gradient

ModelConfig small_mlp(Likelihood likelihood, bool learn_variance = false) {
  ModelConfig config;
  config.height = 8;
  config.width = 8;
  config.hidden = {48, 24};  // two layers: exercises the hidden-to-hidden backward
  config.latent = 5;
  config.likelihood = likelihood;
  config.learn_variance = learn_variance;
  config.gaussian_sigma = 0.3;
  return config;
}

struct Case {
  const char* label;
  Likelihood likelihood;
  bool learn_variance;
  double beta;
};

// Gradients of recon + beta * KL by autograd, in named_weights() order.
std::vector<torch::Tensor> autograd_gradients(Vae& model, const torch::Tensor& x, const torch::Tensor& eps, double beta,
                                              double& recon, double& kl, torch::Tensor& kl_per_dim) {
  model->zero_grad();
  const auto terms = gaussian_elbo(*model, x, {}, eps, beta);
  terms.objective.backward();
  recon = terms.values[0].sum().item<double>();
  kl = terms.values[1].sum().item<double>();
  kl_per_dim = terms.kl_per_dim.mean(0).detach();
  std::vector<torch::Tensor> grads;
  for (const auto& [name, p] : named_weights(model)) grads.push_back(p.grad().clone());
  return grads;
}

class FusedGradients : public ::testing::TestWithParam<Case> {};

TEST_P(FusedGradients, EqualAutograd) {
  const Case c = GetParam();
  torch::manual_seed(3);
  const ModelConfig config = small_mlp(c.likelihood, c.learn_variance);
  Vae model(config);
  {
    // Spread the logits over both branches of every likelihood (the continuous Bernoulli's
    // Taylor branch near 1/2 and its exact branch, large |l| for the softplus).
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters(true);
    params["decoder.4.bias"].uniform_(-6, 6);
    if (c.learn_variance) params["log_sigma"].fill_(-1.2f);
  }
  const int n = 17;
  const auto x = torch::rand({n, 1, 8, 8});
  const auto eps = torch::randn({n, config.latent});

  double recon = 0, kl = 0;
  torch::Tensor kl_per_dim;
  const auto expected = autograd_gradients(model, x, eps, c.beta, recon, kl, kl_per_dim);

  // Three threads: the pool's tasks (17 rows: a full block of 16 and one row) run concurrently.
  auto fused = FusedMlpStep::create(*model, 32, GemmPrecision::Fp32, 3);
  ASSERT_TRUE(fused) << FusedMlpStep::unsupported_reason(*model);
  std::vector<float> fused_kl(config.latent);
  const auto loss = fused->forward_backward(x.contiguous().data_ptr<float>(), eps.contiguous().data_ptr<float>(), n,
                                            c.beta, fused_kl.data());
  ASSERT_TRUE(loss.finite);
  EXPECT_NEAR(loss.recon, recon, 1e-5 * std::abs(recon));
  EXPECT_NEAR(loss.kl, kl, 1e-5 * std::abs(kl) + 1e-6);
  for (int d = 0; d < config.latent; ++d) EXPECT_NEAR(fused_kl[d], kl_per_dim[d].item<float>(), 1e-5);

  const auto names = named_weights(model);
  auto& actual = fused->gradients();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double scale = expected[i].abs().max().item<double>();
    const double error = (actual[i] - expected[i]).abs().max().item<double>();
    EXPECT_LE(error, kGradientTolerance * scale + 1e-7)
        << c.label << ": " << names[i].first << " (largest " << scale << ")";
    EXPECT_GT(scale, 0) << names[i].first << " has no gradient: the test would prove nothing";
  }
}

INSTANTIATE_TEST_SUITE_P(Likelihoods, FusedGradients,
                         ::testing::Values(Case{"bernoulli", Likelihood::Bernoulli, false, 1.0},
                                           Case{"bernoulli beta 4", Likelihood::Bernoulli, false, 4.0},
                                           Case{"bernoulli beta 0", Likelihood::Bernoulli, false, 0.0},
                                           Case{"gaussian", Likelihood::Gaussian, false, 1.0},
                                           Case{"gaussian learned sigma", Likelihood::Gaussian, true, 0.5},
                                           Case{"continuous bernoulli", Likelihood::ContinuousBernoulli, false, 1.0},
                                           Case{"continuous bernoulli beta 2", Likelihood::ContinuousBernoulli, false,
                                                2.0}),
                         [](const auto& info) {
                           std::string name = info.param.label;
                           for (auto& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(FusedMlp, OneLayerAndAWideLatentWork) {
  torch::manual_seed(5);
  ModelConfig config = small_mlp(Likelihood::Bernoulli);
  config.hidden = {40};
  config.latent = 33;
  Vae model(config);
  const auto x = torch::rand({9, 1, 8, 8});
  const auto eps = torch::randn({9, config.latent});
  double recon = 0, kl = 0;
  torch::Tensor kl_per_dim;
  const auto expected = autograd_gradients(model, x, eps, 1.0, recon, kl, kl_per_dim);
  auto fused = FusedMlpStep::create(*model, 9);
  ASSERT_TRUE(fused);
  std::vector<float> fused_kl(config.latent);
  fused->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), 9, 1.0, fused_kl.data());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double scale = expected[i].abs().max().item<double>();
    EXPECT_LE((fused->gradients()[i] - expected[i]).abs().max().item<double>(), kGradientTolerance * scale + 1e-7) << i;
  }
}

// The reference width (784-400-20), where the step cuts its GEMMs into row blocks and the batch
// into row blocks with a short last one: the blocks compute autograd's gradients, and the numbers
// are the same to the bit with one thread or three (the cuts depend on shapes only).
TEST(FusedMlp, BlocksComputeTheSameNumbersWithAnyThreadCount) {
  torch::manual_seed(8);
  ModelConfig config;
  config.height = 28;
  config.width = 28;
  config.hidden = {400};
  config.latent = 20;
  config.likelihood = Likelihood::Gaussian;
  config.learn_variance = true;
  Vae model(config);
  Vae copy(config);
  copy_parameters(model, copy);
  const int n = 70;
  const auto x = torch::rand({n, 1, 28, 28});
  const auto eps = torch::randn({n, config.latent});
  double recon = 0, kl = 0;
  torch::Tensor kl_per_dim;
  const auto expected = autograd_gradients(model, x, eps, 1.0, recon, kl, kl_per_dim);

  auto one = FusedMlpStep::create(*model, 128, GemmPrecision::Fp32, 1);
  auto three = FusedMlpStep::create(*copy, 128, GemmPrecision::Fp32, 3);
  ASSERT_TRUE(one && three);
  std::vector<float> kl_one(config.latent), kl_three(config.latent);
  const auto loss_one = one->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), n, 1.0, kl_one.data());
  const auto loss_three = three->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), n, 1.0, kl_three.data());
  EXPECT_NEAR(loss_one.recon, recon, 1e-5 * std::abs(recon));
  EXPECT_EQ(loss_one.recon, loss_three.recon);
  EXPECT_EQ(loss_one.kl, loss_three.kl);
  EXPECT_EQ(kl_one, kl_three);
  const auto names = named_weights(model);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double scale = expected[i].abs().max().item<double>();
    EXPECT_LE((one->gradients()[i] - expected[i]).abs().max().item<double>(), kGradientTolerance * scale + 1e-7)
        << names[i].first;
    EXPECT_TRUE(torch::equal(one->gradients()[i], three->gradients()[i])) << names[i].first;
  }
  ASSERT_TRUE(one->adam_step(1e-3));
  ASSERT_TRUE(three->adam_step(1e-3));
  const auto after_one = named_weights(model);
  const auto after_three = named_weights(copy);
  for (std::size_t i = 0; i < after_one.size(); ++i)
    EXPECT_TRUE(torch::equal(after_one[i].second, after_three[i].second)) << after_one[i].first;
}

TEST(FusedMlp, ConvModelsAreLeftToAutograd) {
  ModelConfig config;
  config.kind = ModelKind::Conv;
  config.hidden = {64};
  Vae model(config);
  EXPECT_FALSE(FusedMlpStep::create(*model, 16));
  EXPECT_EQ(FusedMlpStep::unsupported_reason(*model), "not an MLP");
}

TEST(FusedMlp, AdamStepsEqualLibTorchs) {
  torch::manual_seed(11);
  const ModelConfig config = small_mlp(Likelihood::Bernoulli);
  Vae reference(config);
  Vae model(config);
  copy_parameters(reference, model);
  torch::optim::Adam adam(reference->parameters(), torch::optim::AdamOptions(2e-3));
  auto fused = FusedMlpStep::create(*model, 8);
  ASSERT_TRUE(fused);
  for (int step = 0; step < 3; ++step) {
    const auto x = torch::rand({8, 1, 8, 8});
    const auto eps = torch::randn({8, config.latent});
    adam.zero_grad();
    gaussian_elbo(*reference, x, {}, eps, 1.0).objective.backward();
    // The same gradients on both sides.
    const auto ref_named = named_weights(reference);
    auto& grads = fused->gradients();
    for (std::size_t i = 0; i < ref_named.size(); ++i) grads[i].copy_(ref_named[i].second.grad());
    adam.step();
    ASSERT_TRUE(fused->adam_step(2e-3));
    const auto want = named_weights(reference);
    const auto got = named_weights(model);
    for (std::size_t i = 0; i < want.size(); ++i) {
      // Same operations in the same order and rounding as LibTorch: equal to the last bit,
      // give or take one rounding where ATen's vector and scalar tails differ.
      const auto diff = (got[i].second - want[i].second).abs().max().item<double>();
      const auto moved = want[i].second.abs().max().item<double>();
      EXPECT_LE(diff, 1e-7 * std::max(1.0, moved)) << "step " << step << " " << want[i].first;
    }
  }
  // The moments too, through our own format.
  const AdamState state = fused->export_adam_state();
  ASSERT_EQ(state.step, 3);
  const auto named = named_weights(reference);
  for (std::size_t i = 0; i < named.size(); ++i) {
    const auto key = c10::guts::to_string(named[i].second.unsafeGetTensorImpl());
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*adam.state().at(key));
    const auto m = s.exp_avg().contiguous();
    const auto v = s.exp_avg_sq().contiguous();
    for (std::size_t k = 0; k < state.exp_avg[i].size(); ++k) {
      ASSERT_NEAR(state.exp_avg[i][k], m.data_ptr<float>()[k], 1e-9 + 1e-6 * std::abs(m.data_ptr<float>()[k]));
      ASSERT_NEAR(state.exp_avg_sq[i][k], v.data_ptr<float>()[k], 1e-12 + 1e-6 * v.data_ptr<float>()[k]);
    }
  }
}

TEST(FusedMlp, NonFiniteGradientsAreReported) {
  torch::manual_seed(2);
  Vae model(small_mlp(Likelihood::Bernoulli));
  auto fused = FusedMlpStep::create(*model, 4);
  ASSERT_TRUE(fused);
  for (auto& g : fused->gradients()) g.fill_(0.5f);
  EXPECT_TRUE(fused->adam_step(1e-3));
  fused->gradients()[3].data_ptr<float>()[1] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(fused->adam_step(1e-3));
}

TEST(FusedMlp, NanImagesGiveANonFiniteLoss) {
  torch::manual_seed(2);
  const ModelConfig config = small_mlp(Likelihood::Bernoulli);
  Vae model(config);
  auto fused = FusedMlpStep::create(*model, 4);
  auto x = torch::rand({4, 1, 8, 8});
  x[2][0][3][3] = std::nanf("");
  const auto eps = torch::randn({4, config.latent});
  std::vector<float> kl(config.latent);
  EXPECT_FALSE(fused->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), 4, 1.0, kl.data()).finite);
}

TEST(FusedMlp, ImportRejectsAStateOfAnotherModel) {
  Vae model(small_mlp(Likelihood::Bernoulli));
  auto fused = FusedMlpStep::create(*model, 4);
  AdamState state = fused->export_adam_state();
  EXPECT_TRUE(state.empty());  // no step yet
  state.step = 1;
  state.names = {"encoder.1.weight"};
  state.exp_avg = {{1.f}};
  state.exp_avg_sq = {{1.f}};
  EXPECT_THROW(fused->import_adam_state(state), std::invalid_argument);
}

// Sessions: the moments move between the two paths without change, both ways.
TEST(FusedMlp, SessionsHandTheMomentsAcrossPaths) {
  auto data = std::make_shared<const Dataset>(make_synthetic(400, 50, 6));
  ModelConfig model;
  model.hidden = {64};
  model.latent = 4;
  TrainConfig train;
  train.batch_size = 32;
  train.seed = 9;
  TrainingSession fused(data, model, train);
  ASSERT_TRUE(fused.fused_step_active());
  for (int i = 0; i < 5; ++i) ASSERT_NE(fused.train_step(), TrainingSession::StepResult::NonFinite);
  const AdamState after_fused = fused.export_adam_state();
  ASSERT_EQ(after_fused.step, 5);

  TrainingSession autograd(data, fused.make_checkpoint(), train);
  autograd.use_fused_step(false);
  ASSERT_FALSE(autograd.fused_step_active());
  const AdamState handed = autograd.export_adam_state();
  EXPECT_EQ(handed.step, after_fused.step);
  EXPECT_EQ(handed.names, after_fused.names);
  EXPECT_EQ(handed.exp_avg, after_fused.exp_avg);
  EXPECT_EQ(handed.exp_avg_sq, after_fused.exp_avg_sq);
  for (int i = 0; i < 3; ++i) ASSERT_NE(autograd.train_step(), TrainingSession::StepResult::NonFinite);

  const AdamState after_autograd = autograd.export_adam_state();
  TrainingSession back(data, autograd.make_checkpoint(), train);
  ASSERT_TRUE(back.fused_step_active());
  const AdamState handed_back = back.export_adam_state();
  EXPECT_EQ(handed_back.step, 8);
  EXPECT_EQ(handed_back.exp_avg, after_autograd.exp_avg);
  EXPECT_EQ(handed_back.exp_avg_sq, after_autograd.exp_avg_sq);
  // And both paths take the same step from the same state, to rounding.
  TrainingSession twin(data, autograd.make_checkpoint(), train);
  twin.use_fused_step(false);
  back.train_step();
  twin.train_step();
  const auto a = named_weights(back.model());
  const auto b = named_weights(twin.model());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_LE((a[i].second - b[i].second).abs().max().item<double>(), 1e-5) << a[i].first;
  EXPECT_NEAR(back.history().steps.back().loss, twin.history().steps.back().loss,
              1e-4 * std::abs(twin.history().steps.back().loss));
}

}  // namespace
}  // namespace vae
