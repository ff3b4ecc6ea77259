// The background trainer: it learns, obeys its commands, survives NaN, and never blocks readers.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "core/errors.h"
#include "core/eval/inference.h"
#include "core/io/checkpoint.h"
#include "core/model/vae.h"
#include "core/train/trainer.h"
#include "test_util.h"

namespace vae {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Dataset> shapes() {
  static auto data = std::make_shared<const Dataset>(make_synthetic(3000, 500, 3));
  return data;
}

ModelConfig small_model() {
  ModelConfig model;
  model.hidden = {128};
  model.latent = 4;
  return model;
}

TrainConfig train_config(int epochs) {
  TrainConfig train;
  train.epochs = epochs;
  train.batch_size = 100;
  train.seed = 4;
  return train;
}

// Polls snapshots until `done` holds or the time runs out.
template <typename Predicate>
std::shared_ptr<const Snapshot> wait_for(const Trainer& trainer, Predicate done, std::chrono::seconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto snap = trainer.snapshot();
  while (!done(*snap) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    snap = trainer.snapshot();
  }
  return snap;
}

TEST(Trainer, LearnsTheSyntheticSet) {
  Trainer trainer(shapes(), small_model(), train_config(4));
  const auto initial = trainer.snapshot();
  ASSERT_TRUE(initial);
  ASSERT_TRUE(initial->model);  // decodable before the first step
  EXPECT_EQ(initial->state, TrainerState::Idle);
  trainer.start();
  trainer.wait_until_done();
  const auto last = trainer.snapshot();
  EXPECT_EQ(last->state, TrainerState::Finished);
  EXPECT_EQ(last->epoch, 4);
  EXPECT_EQ(last->step, 4 * 30);
  ASSERT_EQ(last->history.epochs.size(), 4u);
  const auto& steps = last->history.steps;
  ASSERT_EQ(steps.size(), 120u);
  // The loss falls: the last ten steps average well below the first ten.
  double first = 0, final = 0;
  for (int i = 0; i < 10; ++i) {
    first += steps[i].loss / 10;
    final += steps[steps.size() - 1 - i].loss / 10;
  }
  EXPECT_LT(final, 0.6 * first);
  EXPECT_LT(last->history.epochs.back().test_loss, last->history.epochs.front().test_loss);
  EXPECT_GT(last->samples_per_sec, 0);
  EXPECT_EQ(last->kl_per_dim.size(), 4u);
  EXPECT_NEAR(last->progress(), 1.0, 1e-9);
  // The published weights decode to valid images.
  Inference inference(last->model);
  const auto images = inference.sample(3, 1);
  ASSERT_EQ(images.size(), 3u);
  for (float v : images[0].pixels) ASSERT_TRUE(v >= 0 && v <= 1);
}

TEST(Trainer, PauseStepResumeStop) {
  Trainer trainer(shapes(), small_model(), train_config(1000));
  trainer.step(5);
  trainer.wait_until_done();
  auto snap = trainer.snapshot();
  EXPECT_EQ(snap->step, 5);
  EXPECT_EQ(snap->state, TrainerState::Paused);

  trainer.start();
  snap = wait_for(trainer, [](const Snapshot& s) { return s.step > 20; });
  ASSERT_GT(snap->step, 20);
  trainer.pause();
  trainer.wait_until_done();
  const auto paused = trainer.snapshot();
  EXPECT_EQ(paused->state, TrainerState::Paused);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(trainer.snapshot()->step, paused->step);  // the counter stays put while paused

  trainer.set_beta(0.25);
  trainer.set_learning_rate(5e-4);
  trainer.resume();
  snap = wait_for(trainer, [&](const Snapshot& s) { return s.step > paused->step + 10; });
  EXPECT_GT(snap->step, paused->step + 10);
  EXPECT_DOUBLE_EQ(snap->train_config.beta, 0.25);
  EXPECT_DOUBLE_EQ(snap->train_config.learning_rate, 5e-4);
  EXPECT_FLOAT_EQ(snap->history.steps.back().beta, 0.25f);
  trainer.stop();
  trainer.wait_until_done();
  EXPECT_EQ(trainer.snapshot()->state, TrainerState::Finished);
}

TEST(Trainer, ReadersNeverWaitOnAStep) {
  Trainer trainer(shapes(), small_model(), train_config(1000));
  trainer.start();
  // While training runs, taking a snapshot must cost microseconds, not a training step. Counted,
  // not the worst read: on a loaded machine (or under TSan) a thread can be preempted for
  // milliseconds in any read, while readers that waited on steps would be slow in most of them.
  int slow = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto snap = trainer.snapshot();
    slow += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > 0.002;
    ASSERT_TRUE(snap);
  }
  EXPECT_LE(slow, 20) << slow << " of 2000 reads took over 2 ms";
}

TEST(Trainer, DestructorStopsARunningWorker) {
  const auto t0 = std::chrono::steady_clock::now();
  {
    Trainer trainer(shapes(), small_model(), train_config(1000));
    trainer.start();
    wait_for(trainer, [](const Snapshot& s) { return s.step > 3; });
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(Trainer, NanLossPausesAndRestoresTheLastGoodWeights) {
  // One poisoned training image: the batch holding it yields a NaN loss.
  Dataset poisoned = make_synthetic(1000, 100, 8);
  poisoned.train.pixels[500 * 784 + 300] = std::nanf("");
  auto data = std::make_shared<const Dataset>(std::move(poisoned));
  Trainer trainer(data, small_model(), train_config(3));
  trainer.start();
  trainer.wait_until_done();
  const auto snap = trainer.snapshot();
  EXPECT_EQ(snap->state, TrainerState::Paused);
  EXPECT_TRUE(snap->message_is_error);
  EXPECT_NE(snap->message.find("NaN"), std::string::npos) << snap->message;
  // The published weights are finite and decode to finite images.
  for (const auto& [name, weight] : named_weights(snap->model->module()))
    EXPECT_TRUE(torch::isfinite(weight).all().item<bool>()) << name;
  Inference inference(snap->model);
  // Keep the samples in a variable: a range-for over a member of a temporary reads freed memory.
  const auto samples = inference.sample(2, 1);
  for (float v : samples[0].pixels) ASSERT_TRUE(std::isfinite(v));
  // Every recorded loss is finite: the bad step was not recorded or applied.
  for (const auto& s : snap->history.steps) ASSERT_TRUE(std::isfinite(s.loss));
  // Resuming moves on past the bad batch (until the poisoned image comes round again).
  const auto before = snap->step;
  trainer.resume();
  const auto later =
      wait_for(trainer, [&](const Snapshot& s) { return s.step > before || s.state != TrainerState::Running; });
  EXPECT_GE(later->step, before);
}

TEST(Trainer, ImpossibleSettingsAreConfigErrors) {
  auto train = train_config(1);
  train.batch_size = 100000;
  EXPECT_THROW(Trainer(shapes(), small_model(), train), ConfigError);
  auto model = small_model();
  model.height = model.width = 32;
  EXPECT_THROW(Trainer(shapes(), model, train_config(1)), ConfigError);
  train = train_config(1);
  train.learning_rate = -1;
  EXPECT_THROW(Trainer(shapes(), small_model(), train), ConfigError);
}

TEST(Trainer, SavesCheckpointsOnRequest) {
  testing::TempDir dir;
  Trainer trainer(shapes(), small_model(), train_config(1000));
  trainer.step(3);
  trainer.save_checkpoint(dir.file("t.ckpt"));
  trainer.save_checkpoint(dir.file("no/such/folder/t.ckpt"));
  trainer.wait_until_done();
  const auto snap = trainer.snapshot();
  EXPECT_TRUE(snap->message_is_error);  // the second save failed and said so
  EXPECT_NE(snap->message.find("no/such/folder"), std::string::npos) << snap->message;
  EXPECT_EQ(load_checkpoint(dir.file("t.ckpt")).step, 3);
}

}  // namespace
}  // namespace vae
