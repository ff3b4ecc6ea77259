// Checkpoints: bit-exact round trip, clear errors for damaged or foreign files, atomic writes,
// and resuming that continues the very same run.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "test_util.h"

namespace vae {
namespace {

using testing::TempDir;

std::shared_ptr<const Dataset> small_data() {
  static auto data = [] {
    Dataset d = make_synthetic(600, 100, 9);
    d.spec = "synthetic";  // as load_dataset names it
    return std::make_shared<const Dataset>(std::move(d));
  }();
  return data;
}

ModelConfig small_model() {
  ModelConfig model;
  model.hidden = {64};
  model.latent = 3;
  return model;
}

TrainConfig small_train() {
  TrainConfig train;
  train.batch_size = 50;  // 12 steps an epoch
  train.epochs = 4;
  train.seed = 21;
  return train;
}

void expect_same_weights(const ModelState& a, const ModelState& b) {
  const auto wa = named_weights(a.module()), wb = named_weights(b.module());
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) {
    EXPECT_EQ(wa[i].first, wb[i].first);
    ASSERT_EQ(wa[i].second.sizes(), wb[i].second.sizes());
    EXPECT_EQ(std::memcmp(wa[i].second.data_ptr(), wb[i].second.data_ptr(), wa[i].second.nbytes()), 0) << wa[i].first;
  }
}

void expect_checkpoint_error(const std::string& path, const std::string& what) {
  try {
    load_checkpoint(path);
    FAIL() << "expected CheckpointError '" << what << "'";
  } catch (const CheckpointError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

// Rows equal bit for bit; samples_per_sec is left out, it is wall-clock time.
void expect_same_rows(const StepHistory& a, const StepHistory& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.stride(), b.stride());
  EXPECT_EQ(a.max_rows(), b.max_rows());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].step, b[i].step) << "row " << i;
    EXPECT_EQ(a[i].steps_covered, b[i].steps_covered) << "row " << i;
    EXPECT_EQ(a[i].epoch, b[i].epoch) << "row " << i;
    EXPECT_EQ(a[i].loss, b[i].loss) << "row " << i;  // bit for bit
    EXPECT_EQ(a[i].terms, b[i].terms) << "row " << i;
    EXPECT_EQ(a[i].beta, b[i].beta) << "row " << i;
  }
}

TEST(Checkpoint, RoundTripIsBitExact) {
  TempDir dir;
  TrainingSession session(small_data(), small_model(), small_train());
  for (int i = 0; i < 15; ++i)
    if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
  const Checkpoint saved = session.make_checkpoint();
  save_checkpoint(saved, dir.file("a.ckpt"));
  const Checkpoint loaded = load_checkpoint(dir.file("a.ckpt"));
  expect_same_weights(*saved.model, *loaded.model);
  EXPECT_EQ(loaded.model_config.describe(), saved.model_config.describe());
  EXPECT_EQ(loaded.train_config.seed, 21u);
  EXPECT_EQ(loaded.step, 15);
  EXPECT_EQ(loaded.epoch, 1);
  EXPECT_EQ(loaded.step_in_epoch, 3);
  EXPECT_EQ(loaded.epoch_order, saved.epoch_order);
  EXPECT_EQ(loaded.optimizer_state.step, 15);
  EXPECT_EQ(loaded.optimizer_state.step, saved.optimizer_state.step);
  EXPECT_EQ(loaded.optimizer_state.names, saved.optimizer_state.names);
  EXPECT_EQ(loaded.optimizer_state.exp_avg, saved.optimizer_state.exp_avg);
  EXPECT_EQ(loaded.optimizer_state.exp_avg_sq, saved.optimizer_state.exp_avg_sq);
  EXPECT_EQ(loaded.rng_state, saved.rng_state);
  EXPECT_EQ(loaded.data_identity, small_data()->identity());
  // The data's own seed (9), not the training seed (21), rebuilds the same synthetic set.
  const DataSpec rebuilt = data_spec_for(loaded);
  EXPECT_EQ(rebuilt.seed, 9u);
  EXPECT_EQ(make_synthetic(600, 100, rebuilt.seed).identity(), small_data()->identity());
  ASSERT_EQ(loaded.history.steps.size(), 15u);
  EXPECT_EQ(loaded.history.steps[7].loss, saved.history.steps[7].loss);
  ASSERT_EQ(loaded.history.epochs.size(), 1u);
  EXPECT_EQ(loaded.history.epochs[0].test_loss, saved.history.epochs[0].test_loss);
  EXPECT_TRUE(std::isnan(loaded.history.epochs[0].test_nll_is));
  // Saving what was loaded reproduces the same bytes.
  save_checkpoint(loaded, dir.file("b.ckpt"));
  EXPECT_EQ(testing::read_bytes(dir.file("a.ckpt")), testing::read_bytes(dir.file("b.ckpt")));
}

TEST(Checkpoint, ResumeContinuesTheSameRun) {
  TempDir dir;
  // Straight through: 30 steps (two epochs and a half).
  TrainingSession straight(small_data(), small_model(), small_train());
  auto advance = [](TrainingSession& s, int steps) {
    for (int i = 0; i < steps; ++i)
      if (s.train_step() == TrainingSession::StepResult::EpochFinished) s.evaluate_epoch(nullptr);
  };
  advance(straight, 30);
  // Interrupted mid-epoch at step 17, saved, loaded in a new session, continued for 13.
  {
    TrainingSession first(small_data(), small_model(), small_train());
    advance(first, 17);
    save_checkpoint(first.make_checkpoint(), dir.file("mid.ckpt"));
  }
  TrainingSession resumed(small_data(), load_checkpoint(dir.file("mid.ckpt")), small_train());
  EXPECT_EQ(resumed.step(), 17);
  advance(resumed, 13);
  EXPECT_EQ(resumed.step(), 30);
  EXPECT_EQ(resumed.epoch(), straight.epoch());
  expect_same_weights(*straight.freeze(), *resumed.freeze());
  expect_same_rows(resumed.history().steps, straight.history().steps);
  EXPECT_EQ(resumed.history().epochs.back().test_loss, straight.history().epochs.back().test_loss);
}

// A history bounded to 4 rows thins at steps 4, 8, 16 and 32: the file stores the thinned rows,
// the filling last row, the stride and the bound, and loads them as they were.
TEST(Checkpoint, ThinnedHistoryRoundTrips) {
  TempDir dir;
  TrainingSession session(small_data(), small_model(), small_train());
  session.set_step_history_rows(4);
  for (int i = 0; i < 21; ++i)
    if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
  const Checkpoint saved = session.make_checkpoint();
  ASSERT_EQ(saved.history.steps.stride(), 8u);
  ASSERT_EQ(saved.history.steps.back().steps_covered, 5u);  // steps 17..21, still filling
  save_checkpoint(saved, dir.file("a.ckpt"));
  const Checkpoint loaded = load_checkpoint(dir.file("a.ckpt"));
  expect_same_rows(loaded.history.steps, saved.history.steps);
  EXPECT_EQ(loaded.history.steps.back().first_step(), 17);
  save_checkpoint(loaded, dir.file("b.ckpt"));
  EXPECT_EQ(testing::read_bytes(dir.file("a.ckpt")), testing::read_bytes(dir.file("b.ckpt")));
}

// Resuming continues the thinning exactly: saved at step 17 (stride 8, a row of one step
// filling), thinned again at step 32 after the resume; the history ends as the straight run's.
TEST(Checkpoint, ResumeAcrossThinningEndsWithTheSameHistory) {
  TempDir dir;
  auto advance = [](TrainingSession& s, int steps) {
    for (int i = 0; i < steps; ++i)
      if (s.train_step() == TrainingSession::StepResult::EpochFinished) s.evaluate_epoch(nullptr);
  };
  TrainingSession straight(small_data(), small_model(), small_train());
  straight.set_step_history_rows(4);
  advance(straight, 45);
  ASSERT_EQ(straight.history().steps.stride(), 16u);
  {
    TrainingSession first(small_data(), small_model(), small_train());
    first.set_step_history_rows(4);
    advance(first, 17);
    ASSERT_EQ(first.history().steps.stride(), 8u);
    save_checkpoint(first.make_checkpoint(), dir.file("mid.ckpt"));
  }
  TrainingSession resumed(small_data(), load_checkpoint(dir.file("mid.ckpt")), small_train());
  EXPECT_EQ(resumed.history().steps.max_rows(), 4u);  // the bound travels with the checkpoint
  advance(resumed, 28);
  EXPECT_EQ(resumed.step(), 45);
  expect_same_weights(*straight.freeze(), *resumed.freeze());
  expect_same_rows(resumed.history().steps, straight.history().steps);
  EXPECT_EQ(resumed.history().steps.latest().loss, straight.history().steps.latest().loss);
  ASSERT_EQ(resumed.history().epochs.size(), straight.history().epochs.size());
  EXPECT_EQ(resumed.history().epochs.back().test_loss, straight.history().epochs.back().test_loss);
}

class DamagedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    TrainingSession session(small_data(), small_model(), small_train());
    session.train_step();
    save_checkpoint(session.make_checkpoint(), dir_.file("good.ckpt"));
    bytes_ = testing::read_bytes(dir_.file("good.ckpt"));
  }
  std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    testing::write_bytes(dir_.file(name), bytes);
    return dir_.file(name);
  }
  TempDir dir_;
  std::vector<std::uint8_t> bytes_;
};

TEST_F(DamagedCheckpoint, Truncated) {
  for (std::size_t keep : {bytes_.size() - 1, bytes_.size() / 2, std::size_t(20), std::size_t(10)}) {
    auto cut = bytes_;
    cut.resize(keep);
    expect_checkpoint_error(write("cut.ckpt", cut), "truncated");
  }
}

TEST_F(DamagedCheckpoint, Foreign) {
  expect_checkpoint_error(write("png.ckpt", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0}),
                          "not a VAE Explorer checkpoint");
  expect_checkpoint_error(write("empty.ckpt", {}), "not a VAE Explorer checkpoint");
  EXPECT_FALSE(looks_like_checkpoint(dir_.file("png.ckpt")));
  EXPECT_TRUE(looks_like_checkpoint(dir_.file("good.ckpt")));
}

TEST_F(DamagedCheckpoint, WrongVersion) {
  auto other = bytes_;
  other[8] = 7;  // the version follows the 8-byte magic
  expect_checkpoint_error(write("v7.ckpt", other), "format version 7");
}

TEST_F(DamagedCheckpoint, FlippedByte) {
  auto flipped = bytes_;
  flipped[flipped.size() / 2] ^= 0x40;
  expect_checkpoint_error(write("flip.ckpt", flipped), "checksum");
}

TEST_F(DamagedCheckpoint, Missing) { expect_checkpoint_error(dir_.file("nope.ckpt"), "cannot open"); }

TEST_F(DamagedCheckpoint, FailedWriteKeepsThePreviousFile) {
  // A folder that does not exist: the write fails cleanly and names the file.
  TrainingSession session(small_data(), small_model(), small_train());
  EXPECT_THROW(save_checkpoint(session.make_checkpoint(), dir_.file("missing/x.ckpt")), IoError);
  // A target that cannot be replaced (it is a non-empty folder): the old content survives and
  // no temporary file is left behind.
  std::filesystem::create_directory(dir_.file("taken.ckpt"));
  testing::write_bytes(dir_.file("taken.ckpt/keep"), {1, 2, 3});
  EXPECT_THROW(save_checkpoint(session.make_checkpoint(), dir_.file("taken.ckpt")), IoError);
  EXPECT_EQ(testing::read_bytes(dir_.file("taken.ckpt/keep")), (std::vector<std::uint8_t>{1, 2, 3}));
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  // The good file next to them is untouched and still loads.
  EXPECT_NO_THROW(load_checkpoint(dir_.file("good.ckpt")));
}

}  // namespace
}  // namespace vae
