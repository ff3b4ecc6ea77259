// Posterior health over training: KL per dimension and activity recorded each epoch (and kept
// in checkpoints and the metrics CSV), and the importance-sampled NLL on resumed runs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/eval/posterior_health.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/train/session.h"
#include "core/train/trainer.h"
#include "test_util.h"

namespace vae {
namespace {

std::shared_ptr<const Dataset> shapes() {
  static auto data = std::make_shared<const Dataset>(make_synthetic(1000, 300, 31));
  return data;
}

ModelConfig small_model() {
  ModelConfig model;
  model.hidden = {64};
  model.latent = 5;
  return model;
}

TEST(PosteriorHealth, EachEpochRecordsKlAndActivityPerDimension) {
  TrainConfig train;
  train.batch_size = 100;
  TrainingSession session(shapes(), small_model(), train);
  while (!session.epoch_complete()) session.train_step();
  const EpochMetrics e = session.evaluate_epoch(nullptr);
  ASSERT_EQ(e.kl_per_dim.size(), 5u);
  ASSERT_EQ(e.activity.size(), 5u);
  std::vector<double> activity(e.activity.begin(), e.activity.end());
  EXPECT_EQ(e.active_units, count_active_units(activity));
  double kl_sum = 0;
  for (float kl : e.kl_per_dim) kl_sum += kl;
  const float test_kl = session.history().test_term(e, "kl");
  EXPECT_NEAR(kl_sum, test_kl, 1e-3 * std::max(1.0, double(test_kl)));

  // The checkpoint keeps them; the metrics CSV has a column per dimension.
  testing::TempDir dir;
  save_checkpoint(session.make_checkpoint(), dir.file("h.ckpt"));
  const auto loaded = load_checkpoint(dir.file("h.ckpt"));
  ASSERT_EQ(loaded.history.epochs.size(), 1u);
  EXPECT_EQ(loaded.history.epochs[0].kl_per_dim.size(), 5u);
  EXPECT_NEAR(loaded.history.epochs[0].activity[2], e.activity[2], 1e-6);
  write_metrics_csv(loaded.history, dir.file("m.csv"));
  std::ifstream csv(dir.file("m.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find("active_units,kl_0,kl_1,kl_2,kl_3,kl_4,activity_0"), std::string::npos) << header;
}

TEST(PosteriorHealth, ImportanceSamplingTakesEffectOnAResumedRun) {
  // A run saved without IS, loaded as the window does (its own settings), then asked for k = 8.
  TrainConfig train;
  train.batch_size = 100;
  train.epochs = 1;
  TrainingSession session(shapes(), small_model(), train);
  while (!session.epoch_complete()) session.train_step();
  session.evaluate_epoch(nullptr);
  const Checkpoint checkpoint = session.make_checkpoint();
  ASSERT_EQ(checkpoint.train_config.iw_samples, 0);

  Trainer trainer(shapes(), checkpoint, checkpoint.train_config);
  trainer.set_iw_samples(8);
  trainer.set_epochs(2);
  trainer.start();
  trainer.wait_until_done();
  const auto snap = trainer.snapshot();
  ASSERT_EQ(snap->history.epochs.size(), 2u);
  const EpochMetrics& resumed = snap->history.epochs.back();
  EXPECT_EQ(resumed.iw_samples, 8);
  ASSERT_TRUE(std::isfinite(resumed.test_nll_is));
  // The IS estimate is an NLL, so it sits below the -ELBO bound (up to Monte-Carlo noise).
  EXPECT_LT(resumed.test_nll_is, resumed.test_loss + 1.0f);
  EXPECT_TRUE(std::isnan(snap->history.epochs.front().test_nll_is));
}

}  // namespace
}  // namespace vae
