// The data-parallel hooks of TrainingSession (contract 3): where the gradient reducer sits in a
// step, and that shards whose gradients are summed take the steps of one process on the whole
// batch. The processes are played by threads here; tests/cli/distributed_test.sh runs real ones.
#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "core/errors.h"
#include "core/model/vae.h"
#include "core/train/session.h"

namespace vae {
namespace {

std::shared_ptr<const Dataset> data() {
  static auto d = std::make_shared<const Dataset>(make_synthetic(600, 100, 9));
  return d;
}

ModelConfig model() {
  ModelConfig m;
  m.hidden = {64};
  m.latent = 3;
  return m;
}

// A VQ-VAE's loss draws no random numbers, so shards can match one process exactly. (A Gaussian
// VAE's shards draw their own noise: the same statistics, not the same numbers.)
ModelConfig noise_free_model() {
  ModelConfig m;
  m.family = ModelFamily::VqVae;
  m.kind = ModelKind::Conv;
  m.hidden = {32};
  m.codebook = 16;
  m.code_dim = 4;
  return m;
}

TrainConfig train(int batch) {
  TrainConfig t;
  t.batch_size = batch;
  t.epochs = 1;
  t.seed = 5;
  return t;
}

std::vector<torch::Tensor> weights(const TrainingSession& s) {
  std::vector<torch::Tensor> out;
  for (const auto& [name, w] : named_weights(s.model())) out.push_back(w.detach().clone());
  return out;
}

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  return worst;
}

// Sums tensors across the threads that call it, like an all-reduce across processes.
class ThreadAllReduce {
 public:
  explicit ThreadAllReduce(int parties) : parties_(parties) {}

  void operator()(std::vector<torch::Tensor>& tensors) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    if (arrived_ == 0) {
      sum_.clear();
      for (const auto& t : tensors) sum_.push_back(t.clone());
    } else {
      for (std::size_t i = 0; i < tensors.size(); ++i) sum_[i] += tensors[i];
    }
    if (++arrived_ == parties_) {
      // The result survives until everyone has taken it: the next one needs every party again.
      result_ = std::move(sum_);
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(result_[i]);
  }

 private:
  int parties_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0;
  int generation_ = 0;
  std::vector<torch::Tensor> sum_, result_;
};

TEST(GradientHook, GetsEveryStepsGradientsInNamedWeightsOrder) {
  TrainingSession session(data(), model(), train(50));
  int calls = 0;
  session.set_gradient_reducer([&](std::vector<torch::Tensor>& grads) {
    ++calls;
    const auto named = named_weights(session.model());
    ASSERT_EQ(grads.size(), named.size());
    for (std::size_t i = 0; i < grads.size(); ++i) {
      EXPECT_EQ(grads[i].sizes(), named[i].second.sizes()) << named[i].first;
      EXPECT_TRUE(grads[i].defined() && grads[i].abs().sum().item<double>() > 0) << named[i].first;
    }
  });
  for (int i = 0; i < 3; ++i) session.train_step();
  EXPECT_EQ(calls, 3);
}

TEST(GradientHook, RunsBeforeTheOptimiserStep) {
  TrainingSession session(data(), model(), train(50));
  const auto before = weights(session);
  // Zero gradients on Adam's first step move nothing: the optimiser saw what the hook left.
  session.set_gradient_reducer([](std::vector<torch::Tensor>& grads) {
    for (auto& g : grads) g.zero_();
  });
  ASSERT_EQ(session.train_step(), TrainingSession::StepResult::Ok);
  EXPECT_EQ(max_difference(before, weights(session)), 0.0);
}

TEST(GradientHook, RunsBeforeTheFinitenessCheck) {
  TrainingSession session(data(), model(), train(50));
  const auto before = weights(session);
  // A NaN from another process must stop this one too, at the same step.
  session.set_gradient_reducer(
      [](std::vector<torch::Tensor>& grads) { grads.back().fill_(std::numeric_limits<float>::quiet_NaN()); });
  EXPECT_EQ(session.train_step(), TrainingSession::StepResult::NonFinite);
  EXPECT_EQ(max_difference(before, weights(session)), 0.0);
  EXPECT_EQ(session.step(), 0);
}

TEST(GradientHook, TwoShardsWithSummedGradientsTakeTheStepsOfOneProcess) {
  // 600 images in steps of 140: four full steps and a last one of 40, 20 on each shard.
  TrainingSession whole(data(), noise_free_model(), train(140));
  TrainingSession first(data(), noise_free_model(), train(70));
  TrainingSession second(data(), noise_free_model(), train(70));
  first.set_shard(0, 2);
  second.set_shard(1, 2);
  EXPECT_EQ(first.steps_per_epoch(), whole.steps_per_epoch());
  ThreadAllReduce gradients(2), metrics(2);
  for (auto* s : {&first, &second}) {
    s->set_gradient_reducer(std::ref(gradients));
    s->set_metric_reducer([&metrics](std::vector<double>& sums) {
      std::vector<torch::Tensor> t{torch::tensor(sums, torch::kDouble)};
      metrics(t);
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = t[0][static_cast<std::int64_t>(i)].item<double>();
    });
  }
  auto run_epoch = [](TrainingSession& s) {
    while (s.train_step() != TrainingSession::StepResult::EpochFinished) {
    }
  };
  std::thread other([&] { run_epoch(second); });
  run_epoch(first);
  other.join();
  run_epoch(whole);

  ASSERT_EQ(first.step(), whole.step());
  EXPECT_LT(max_difference(weights(first), weights(whole)), 1e-4);
  EXPECT_EQ(max_difference(weights(first), weights(second)), 0.0);  // the ranks stay identical
  ASSERT_EQ(first.history().steps.size(), whole.history().steps.size());
  for (std::size_t i = 0; i < whole.history().steps.size(); ++i)
    EXPECT_NEAR(first.history().steps[i].loss, whole.history().steps[i].loss, 1e-4 * whole.history().steps[i].loss)
        << "step " << i;
  EXPECT_EQ(first.train_examples(), whole.train_examples());
}

TEST(GradientHook, AShardLayoutTheDataCannotFillIsRefused) {
  TrainingSession session(data(), model(), train(400));
  EXPECT_THROW(session.set_shard(0, 2), ConfigError);  // 2 x 400 > 600 training images
  EXPECT_THROW(session.set_shard(2, 2), ConfigError);
}

}  // namespace
}  // namespace vae
