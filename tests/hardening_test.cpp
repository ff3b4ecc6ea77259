// Hostile checkpoints and faults while writing (issue 10): every file the probe found a crash, a
// hang or a huge allocation with now ends in a typed error naming the file, quickly and with
// bounded memory. Hostile data files: hostile_inputs_test.cpp.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/image_decode.h"
#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/io/safe_file.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "core/train/trainer.h"
#include "test_util.h"

namespace vae {
namespace {

using nlohmann::json;
using testing::expect_error;
using testing::TempDir;
using testing::write_bytes;
using testing::write_text;

// --- checkpoints ---

std::shared_ptr<const Dataset> small_data() {
  static auto data = [] {
    Dataset d = make_synthetic(300, 50, 5);
    d.spec = "synthetic";
    return std::make_shared<const Dataset>(std::move(d));
  }();
  return data;
}

ModelConfig small_model() {
  ModelConfig model;
  model.hidden = {32};
  model.latent = 2;
  return model;
}

TrainConfig small_train() {
  TrainConfig train;
  train.batch_size = 50;  // 6 steps an epoch
  train.epochs = 3;
  train.seed = 4;
  return train;
}

// A checkpoint taken mid-epoch (so it has an epoch order and moments), saved to `path`.
Checkpoint save_mid_epoch(const std::string& path) {
  TrainingSession session(small_data(), small_model(), small_train());
  for (int i = 0; i < 8; ++i)
    if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
  auto checkpoint = session.make_checkpoint();
  save_checkpoint(checkpoint, path);
  return checkpoint;
}

// The parts of a checkpoint file, to craft hostile ones with a valid CRC.
struct Parts {
  std::uint32_t version = 0;
  json header;
  std::string blobs;
};

Parts split_file(const std::string& path) {
  const std::string file = read_regular_file(path, 1u << 30, "checkpoint");
  Parts parts;
  std::memcpy(&parts.version, file.data() + 8, 4);
  std::uint64_t header_size = 0, blob_size = 0;
  std::memcpy(&header_size, file.data() + 12, 8);
  parts.header = json::parse(file.substr(20, header_size));
  std::memcpy(&blob_size, file.data() + 20 + header_size, 8);
  parts.blobs = file.substr(28 + header_size, blob_size);
  return parts;
}

void join_file(const Parts& parts, const std::string& path) {
  const std::string header = parts.header.dump();
  std::string file = "VAEXCKPT";
  auto put = [&](const void* p, std::size_t n) { file.append(static_cast<const char*>(p), n); };
  put(&parts.version, 4);
  const std::uint64_t header_size = header.size(), blob_size = parts.blobs.size();
  put(&header_size, 8);
  file += header;
  put(&blob_size, 8);
  file += parts.blobs;
  const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(file.data()), file.size()));
  put(&crc, 4);
  write_text(path, file);
}

class HostileCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("m.ckpt");
    save_mid_epoch(path_);
    parts_ = split_file(path_);
  }
  void expect_refused(std::initializer_list<std::string> parts) {
    join_file(parts_, path_);
    std::vector<std::string> all(parts);
    all.push_back(path_);
    const auto start = std::chrono::steady_clock::now();
    try {
      load_checkpoint(path_);
      ADD_FAILURE() << "loaded";
    } catch (const CheckpointError& error) {
      for (const auto& part : all) EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  }
  TempDir dir_;
  std::string path_;
  Parts parts_;
};

TEST_F(HostileCheckpoint, HugeLayersAreRefusedBeforeTheModelIsBuilt) {
  parts_.header["model"]["hidden"] = std::vector<int>(8, 8192);  // 3.4 GB of weights in a small file
  expect_refused({"needs at least"});
}

TEST_F(HostileCheckpoint, OutOfRangeNumbers) {
  const Parts original = parts_;
  parts_.header["model"]["latent"] = 1e300;
  expect_refused({"whole number"});
  parts_ = original;
  parts_.header["model"]["channels"] = 1ll << 40;
  expect_refused({"out of range"});
  parts_ = original;
  parts_.header["train"]["learning_rate"] = -1;
  expect_refused({"learning rate"});
}

TEST_F(HostileCheckpoint, DuplicateTensorIsRefused) {
  auto& tensors = parts_.header["tensors"];
  tensors[1]["name"] = tensors[0]["name"];
  expect_refused({"appears twice"});
}

TEST_F(HostileCheckpoint, MissingTensorIsRefused) {
  parts_.header["tensors"].erase(parts_.header["tensors"].size() - 1);
  expect_refused({"weight tensors"});
}

TEST_F(HostileCheckpoint, TensorOutsideTheFileIsRefused) {
  parts_.header["tensors"][0]["offset"] = parts_.blobs.size();
  expect_refused({"outside the file"});
}

TEST_F(HostileCheckpoint, BadEpochOrderIsRefused) {
  auto order = parts_.header["progress"]["epoch_order"].get<std::vector<std::int64_t>>();
  order[3] = order[4];
  parts_.header["progress"]["epoch_order"] = order;
  expect_refused({"not a permutation"});
}

TEST_F(HostileCheckpoint, NegativeStepInEpochIsRefused) {
  parts_.header["progress"]["step_in_epoch"] = -3;
  expect_refused({"step within the epoch"});
}

TEST_F(HostileCheckpoint, StepInEpochPastTheEpochIsRefused) {
  parts_.header["progress"]["step_in_epoch"] = 1000;
  expect_refused({"stopped at step 1000"});
}

TEST_F(HostileCheckpoint, ShortGeneratorStateIsRefused) {
  parts_.header["rng"]["bytes"] = 100;
  expect_refused({"generator state"});
}

TEST_F(HostileCheckpoint, CorruptOptimiserMomentsAreRefused) {
  // The probe's crash: one byte of the optimiser blob changed, CRC recomputed. In our own
  // format it is a float that is checked, never a LibTorch archive.
  const auto offset = parts_.header["optimizer"]["parameters"][0]["exp_avg_sq"]["offset"].get<std::size_t>();
  const float nan = -1.0f;
  std::memcpy(parts_.blobs.data() + offset, &nan, sizeof nan);
  expect_refused({"optimiser state", "invalid values"});
}

TEST_F(HostileCheckpoint, NanWeightIsRefused) {
  // fuzz_resume's finding: a NaN weight reached the fused step's exp (undefined behaviour in its
  // float-to-int conversion under UBSan). Training never saves one.
  const auto offset = parts_.header["tensors"][2]["offset"].get<std::size_t>();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(parts_.blobs.data() + offset, &nan, sizeof nan);
  expect_refused({"NaN or infinite"});
}

TEST_F(HostileCheckpoint, OptimiserStateOfAnotherSizeIsRefused) {
  parts_.header["optimizer"]["parameters"][0]["exp_avg"]["bytes"] = 4;
  expect_refused({"first moment"});
}

TEST_F(HostileCheckpoint, VersionOneOptimiserBlobIsNeverParsed) {
  // A version-1 file whose optimiser blob is garbage: it loads (weights and all), says that
  // Adam restarts, and resumes.
  parts_.version = 1;
  const std::string garbage = "PK\x03\x04 not really a LibTorch archive";
  parts_.header["optimizer"] = {{"offset", parts_.blobs.size()}, {"bytes", garbage.size()}};
  parts_.blobs += garbage;
  join_file(parts_, path_);
  const Checkpoint loaded = load_checkpoint(path_);
  EXPECT_TRUE(loaded.optimizer_state.empty());
  EXPECT_NE(loaded.load_note.find("not read"), std::string::npos);
  TrainingSession session(small_data(), loaded, small_train());
  EXPECT_NE(session.data_warning().find("fresh moments"), std::string::npos);
  EXPECT_NE(session.train_step(), TrainingSession::StepResult::NonFinite);
}

// The bounded history's optional fields (core/train/step_history.h) are checked like the rest:
// a crafted file cannot claim an unbounded history or rows that break its invariants.
TEST_F(HostileCheckpoint, ThinnedHistoryFieldsAreValidated) {
  const Parts original = parts_;
  auto& steps = parts_.header["history"]["steps"];
  ASSERT_TRUE(steps.contains("steps_covered"));
  steps["max_rows"] = 1ll << 40;
  expect_refused({"history", "row bound"});
  parts_ = original;
  parts_.header["history"]["steps"]["stride"] = 3;
  expect_refused({"history", "power of two"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"][0] = 0;
  expect_refused({"history", "covers 0 steps"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"].erase(0);
  expect_refused({"steps_covered", "wrong length"});
  parts_ = original;
  parts_.header["history"]["steps"]["step"][1] = 0;
  expect_refused({"history", "do not increase"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"][2] = -1;
  expect_refused({"out of range"});
}

// A file written before the history was bounded (no steps_covered, stride, max_rows) loads as a
// row per step; more rows than the bound are thinned as a live run would have been.
TEST_F(HostileCheckpoint, HistoryWithoutTheNewFieldsLoadsAsOneRowPerStep) {
  auto& steps = parts_.header["history"]["steps"];
  for (const char* key : {"steps_covered", "stride", "max_rows"}) steps.erase(key);
  join_file(parts_, path_);
  const Checkpoint loaded = load_checkpoint(path_);
  ASSERT_EQ(loaded.history.steps.size(), 8u);
  EXPECT_EQ(loaded.history.steps.stride(), 1u);
  EXPECT_EQ(loaded.history.steps.max_rows(), StepHistory::kMaxRows);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(loaded.history.steps[i].step, std::int64_t(i + 1));
  EXPECT_EQ(loaded.history.steps.latest().step, 8);
}

TEST(Checkpoint2, AdamStateRoundTripResumesBitExactly) {
  TempDir dir;
  // Straight: 14 steps. Split: 8 steps, save, load, 6 more steps.
  TrainingSession straight(small_data(), small_model(), small_train());
  for (int i = 0; i < 14; ++i)
    if (straight.train_step() == TrainingSession::StepResult::EpochFinished) straight.evaluate_epoch(nullptr);
  save_mid_epoch(dir.file("a.ckpt"));
  const Checkpoint loaded = load_checkpoint(dir.file("a.ckpt"));
  ASSERT_FALSE(loaded.optimizer_state.empty());
  EXPECT_EQ(loaded.optimizer_state.step, 8);
  TrainingSession resumed(small_data(), loaded, small_train());
  EXPECT_EQ(resumed.export_adam_state().exp_avg, loaded.optimizer_state.exp_avg);
  for (int i = 0; i < 6; ++i)
    if (resumed.train_step() == TrainingSession::StepResult::EpochFinished) resumed.evaluate_epoch(nullptr);
  const auto a = named_weights(straight.model()), b = named_weights(resumed.model());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  EXPECT_EQ(straight.export_adam_state().exp_avg_sq, resumed.export_adam_state().exp_avg_sq);
}

TEST(Checkpoint2, NamesThatAreNotUtf8SurviveSaveAndLoad) {
  TempDir dir;
  auto checkpoint = save_mid_epoch(dir.file("a.ckpt"));
  checkpoint.data_spec = "images:/data/caf\xe9";  // Latin-1, not UTF-8
  checkpoint.class_names = {"ok", "\xff\xfe", "na\xefve"};
  checkpoint.data_identity = "x\x80y";
  save_checkpoint(checkpoint, dir.file("b.ckpt"));
  const auto loaded = load_checkpoint(dir.file("b.ckpt"));
  EXPECT_EQ(loaded.data_spec, checkpoint.data_spec);
  EXPECT_EQ(loaded.class_names, checkpoint.class_names);
  EXPECT_EQ(loaded.data_identity, checkpoint.data_identity);
}

// --- writes ---

TEST(AtomicWrite, StaleTemporariesOfDeadProcessesAreRemoved) {
  TempDir dir;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now a pid of no process
  const auto target = dir.file("m.ckpt");
  const auto dead = target + ".tmp-" + std::to_string(child);
  const auto alive = target + ".tmp-1";  // init never dies
  const auto other = dir.file("other.ckpt.tmp-" + std::to_string(child));
  for (const auto& p : {dead, alive, other}) write_text(p, "partial");
  write_file_atomically(target, "new contents");
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(alive));
  EXPECT_TRUE(std::filesystem::exists(other));  // another file's temporaries are not ours to judge
  EXPECT_EQ(read_regular_file(target, 100, "file"), "new contents");
}

TEST(AtomicWrite, DiskFullKeepsThePreviousFile) {
  TempDir dir;
  const auto target = dir.file("m.ckpt");
  write_file_atomically(target, "old contents");
  // A file size limit (as ulimit -f) in a child process: the write fails, the old file stays.
  const pid_t child = ::fork();
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomically(target, std::string(100000, 'x'));
      ::_exit(3);
    } catch (const IoError& error) {
      ::_exit(std::string(error.what()).find("previous file is unchanged") != std::string::npos ? 0 : 4);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_regular_file(target, 100, "file"), "old contents");
  EXPECT_FALSE(std::filesystem::exists(target + ".tmp-" + std::to_string(child)));
}

TEST(AtomicWrite, CheckWritableNamesTheProblem) {
  TempDir dir;
  expect_error<IoError>([&] { check_writable(dir.file("no/such/m.ckpt")); }, {"does not exist"});
  expect_error<IoError>([&] { check_writable(dir.path()); }, {"is a folder"});
  check_writable(dir.file("fine.ckpt"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the probe file is gone
}

TEST(AtomicWrite, FailedAutosavePausesTrainingAtOnce) {
  TempDir dir;
  auto train = small_train();
  train.epochs = 3;
  Trainer trainer(small_data(), small_model(), train);
  trainer.set_autosave_path(dir.file("gone/m.ckpt"));  // the folder does not exist
  trainer.start();
  trainer.wait_until_done();
  const auto snap = trainer.snapshot();
  EXPECT_EQ(snap->state, TrainerState::Paused);
  EXPECT_TRUE(snap->message_is_error);
  EXPECT_NE(snap->message.find("autosave failed"), std::string::npos) << snap->message;
  EXPECT_EQ(snap->epoch, 1);  // stopped after the first epoch's failed save, not at the end
}

}  // namespace
}  // namespace vae
