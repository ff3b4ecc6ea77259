// The run's timeline: a bounded store (memory budget, spill file, thinning that keeps the first
// and the last point), bit-exact spilled points, clear errors for damaged spill files, the
// trainer keeping every epoch, and checkpoints that carry the timeline when asked to.
#include "core/train/timeline.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/safe_file.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "core/train/trainer.h"
#include "test_util.h"

namespace vae {
namespace {

using testing::TempDir;

constexpr std::size_t kWeights = 1000;  // 4000 bytes a point
constexpr std::uint64_t kPoint = kWeights * sizeof(float);
constexpr std::uint64_t kRecord = 40 + kPoint + 4;  // record header, floats, CRC
constexpr std::uint64_t kFileHeader = 16;

// Distinct weights per point, every bit pattern of a float's mantissa in play.
std::vector<float> weights_for(int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> w(kWeights);
  for (float& v : w) v = normal(rng) * 1e3f;
  return w;
}

TimelinePoint point_at(int epoch) {
  TimelinePoint p;
  p.epoch = epoch;
  p.step = std::int64_t(epoch) * 10;
  p.test_loss = 100.0 - epoch;
  return p;
}

TEST(TimelineStore, StaysWithinItsBudgetsAndKeepsFirstAndLast) {
  TempDir dir;
  TimelineBudget budget;
  budget.memory_bytes = 3 * kPoint;  // three points in memory
  budget.disk_bytes = 5 * kRecord;   // five on disk
  TimelineStore store(kWeights, budget, dir.file("spill.bin"));
  for (int epoch = 0; epoch < 60; ++epoch) {
    store.add(point_at(epoch), weights_for(epoch));
    EXPECT_LE(store.memory_bytes(), budget.memory_bytes) << "after epoch " << epoch;
    EXPECT_LE(store.disk_bytes(), kFileHeader + budget.disk_bytes) << "after epoch " << epoch;
    EXPECT_LE(store.size(), 8u);
    const auto items = store.list();
    ASSERT_FALSE(items.empty());
    EXPECT_EQ(items.front().point.epoch, 0);
    EXPECT_EQ(items.back().point.epoch, epoch);
    for (std::size_t i = 1; i < items.size(); ++i) EXPECT_LT(items[i - 1].point.step, items[i].point.step);
  }
  EXPECT_GT(store.thinned_away(), 0u);
  EXPECT_GE(store.size(), 4u);  // thinning halves, it does not empty
  // Evenly spaced: every gap but the one to the newest point is the same.
  const auto items = store.list();
  const int gap = items[1].point.epoch - items[0].point.epoch;
  EXPECT_GT(gap, 1);
  for (std::size_t i = 1; i + 1 < items.size(); ++i)
    EXPECT_EQ(items[i].point.epoch - items[i - 1].point.epoch, gap) << "at point " << i;
  EXPECT_LE(items.back().point.epoch - items[items.size() - 2].point.epoch, gap);
}

TEST(TimelineStore, SpilledPointsReadBackBitExact) {
  TempDir dir;
  TimelineBudget budget;
  budget.memory_bytes = kPoint;  // one in memory: the rest spill
  TimelineStore store(kWeights, budget, dir.file("spill.bin"));
  for (int epoch = 0; epoch < 6; ++epoch) store.add(point_at(epoch), weights_for(epoch));
  const auto items = store.list();
  ASSERT_EQ(items.size(), 6u);
  int spilled = 0;
  for (const auto& item : items) {
    spilled += item.in_memory ? 0 : 1;
    const auto w = store.weights(item.id);
    ASSERT_TRUE(w);
    const auto expected = weights_for(item.point.epoch);
    ASSERT_EQ(w->size(), expected.size());
    EXPECT_EQ(std::memcmp(w->data(), expected.data(), kPoint), 0) << "epoch " << item.point.epoch;
    EXPECT_EQ(item.point.test_loss, point_at(item.point.epoch).test_loss);
  }
  EXPECT_EQ(spilled, 5);
  EXPECT_EQ(store.memory_bytes(), kPoint);
  // entries() (what a checkpoint carries) reads them back as well.
  const auto entries = store.entries();
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(*entries[2].weights, weights_for(2));
}

TEST(TimelineStore, WithoutASpillFileThinsInMemory) {
  TimelineBudget budget;
  budget.memory_bytes = 4 * kPoint;
  TimelineStore store(kWeights, budget, "");
  for (int epoch = 0; epoch < 30; ++epoch) {
    store.add(point_at(epoch), weights_for(epoch));
    EXPECT_LE(store.memory_bytes(), budget.memory_bytes);
  }
  EXPECT_EQ(store.disk_bytes(), 0u);
  EXPECT_EQ(store.list().front().point.epoch, 0);
  EXPECT_EQ(store.list().back().point.epoch, 29);
}

TEST(TimelineStore, ASmallerBudgetTakesEffectAtOnce) {
  TempDir dir;
  TimelineStore store(kWeights, TimelineBudget{}, dir.file("spill.bin"));
  for (int epoch = 0; epoch < 10; ++epoch) store.add(point_at(epoch), weights_for(epoch));
  EXPECT_EQ(store.memory_bytes(), 10 * kPoint);
  TimelineBudget tight;
  tight.memory_bytes = 2 * kPoint;
  tight.disk_bytes = 2 * kRecord;
  store.set_budget(tight);
  EXPECT_LE(store.memory_bytes(), tight.memory_bytes);
  EXPECT_LE(store.size(), 4u);
  EXPECT_EQ(store.list().front().point.epoch, 0);
  EXPECT_EQ(store.list().back().point.epoch, 9);
}

TEST(TimelineStore, APointAtTheSameStepReplacesTheNewest) {
  TimelineStore store(kWeights, TimelineBudget{}, "");
  TimelinePoint between = point_at(1);
  between.test_loss = std::numeric_limits<double>::quiet_NaN();
  store.add(between, weights_for(1));
  store.add(point_at(1), weights_for(2));  // the epoch's end at the same step
  ASSERT_EQ(store.size(), 1u);
  EXPECT_EQ(store.list()[0].point.test_loss, point_at(1).test_loss);
  EXPECT_EQ(*store.weights(store.list()[0].id), weights_for(2));
  EXPECT_THROW(store.add(point_at(2), std::vector<float>(3)), std::invalid_argument);
}

// A store that keeps nothing in memory: every point goes to the spill file.
std::unique_ptr<TimelineStore> spilling_store(const std::string& path) {
  TimelineBudget budget;
  budget.memory_bytes = 0;
  return std::make_unique<TimelineStore>(kWeights, budget, path);
}

TEST(TimelineStore, TheSpillFileGoesWithTheStore) {
  TempDir dir;
  const std::string path = dir.file("spill.bin");
  {
    const auto store = spilling_store(path);
    store->add(point_at(0), weights_for(0));
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_EQ(store->disk_bytes(), kFileHeader + kRecord);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

void expect_io_error(const std::function<void()>& action, const std::string& path, const std::string& what) {
  try {
    action();
    ADD_FAILURE() << "expected IoError '" << what << "'";
  } catch (const IoError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

TEST(TimelineStore, ADamagedSpillFileIsAClearErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("spill.bin");
  const auto spilling = spilling_store(path);
  TimelineStore& store = *spilling;
  store.add(point_at(0), weights_for(0));
  store.add(point_at(1), weights_for(1));
  const auto items = store.list();
  // A flipped weight byte of the second record: its CRC no longer matches.
  auto bytes = testing::read_bytes(path);
  ASSERT_EQ(bytes.size(), kFileHeader + 2 * kRecord);
  bytes[kFileHeader + kRecord + 40 + 17] ^= 0x40;
  testing::write_bytes(path, bytes);
  expect_io_error([&] { store.weights(items[1].id); }, path, "checksum mismatch");
  EXPECT_EQ(*store.weights(items[0].id), weights_for(0));  // the other point is intact

  // Truncated under the store's feet.
  std::filesystem::resize_file(path, kFileHeader + kRecord + 100);
  expect_io_error([&] { store.weights(items[1].id); }, path, "truncated");
}

TEST(TimelineStore, CraftedSpillFilesAreRefusedBeforeAllocating) {
  TempDir dir;
  const std::string path = dir.file("crafted.bin");
  // A record claiming 2^40 weights: refused from its header, nothing of that size allocated.
  std::string file("VAEXTLN1", 8);
  auto put = [&](auto value) { file.append(reinterpret_cast<const char*>(&value), sizeof value); };
  put(std::uint64_t(kWeights));
  put(std::uint32_t(0x54504c54));
  put(std::int32_t(1));
  put(std::int64_t(10));
  put(0.0);
  put(0.0);
  put(std::uint64_t(1) << 40);
  file.append(kPoint + 4, '\0');
  testing::write_bytes(path, std::vector<std::uint8_t>(file.begin(), file.end()));
  expect_io_error([&] { TimelineStore::read_record(path, kFileHeader, kWeights); }, path, "weights, expected 1000");
  // The file's own header must say the same model.
  expect_io_error([&] { TimelineStore::read_record(path, kFileHeader, 7); }, path, "another model");
  // An offset past the end.
  expect_io_error([&] { TimelineStore::read_record(path, 1u << 30, kWeights); }, path, "truncated");
  // A foreign file, a folder, a missing file.
  testing::write_bytes(dir.file("foreign.bin"), std::vector<std::uint8_t>(200, 'x'));
  expect_io_error([&] { TimelineStore::read_record(dir.file("foreign.bin"), kFileHeader, kWeights); },
                  dir.file("foreign.bin"), "not a timeline spill file");
  expect_io_error([&] { TimelineStore::read_record(dir.path(), kFileHeader, kWeights); }, dir.path(), "not a");
  expect_io_error([&] { TimelineStore::read_record(dir.file("none"), kFileHeader, kWeights); }, dir.file("none"),
                  "no such file");
}

// --- with the trainer and checkpoints ---

// A model small enough to train a few epochs in a second: 6 steps an epoch.
struct SmallRun {
  std::shared_ptr<const Dataset> data;
  ModelConfig model;
  TrainConfig train;
};

SmallRun small_run(int epochs) {
  static const auto shapes = std::make_shared<const Dataset>(make_synthetic(600, 100, 9));
  SmallRun run{shapes, ModelConfig{}, TrainConfig{}};
  run.model.hidden = {32};
  run.model.latent = 2;
  run.train.batch_size = 100;
  run.train.epochs = epochs;
  run.train.seed = 5;
  return run;
}

TEST(Timeline, TheTrainerKeepsEveryEpochAsTrainingLeftIt) {
  const auto run = small_run(3);
  Trainer trainer(run.data, run.model, run.train);
  trainer.start();
  trainer.wait_until_done();
  const auto timeline = trainer.timeline();
  ASSERT_TRUE(timeline);
  const auto items = timeline->list();
  ASSERT_EQ(items.size(), 4u);  // the initial weights and three epochs
  for (int e = 0; e <= 3; ++e) {
    EXPECT_EQ(items[std::size_t(e)].point.epoch, e);
    EXPECT_EQ(items[std::size_t(e)].point.step, 6 * e);
  }
  EXPECT_TRUE(std::isnan(items[0].point.test_loss));
  EXPECT_FALSE(std::isnan(items[1].point.test_loss));
  // Epoch 1's point holds exactly the weights that a session trained for one epoch has.
  TrainingSession session(run.data, run.model, run.train);
  while (session.train_step() != TrainingSession::StepResult::EpochFinished) {
  }
  session.evaluate_epoch(nullptr);
  EXPECT_EQ(*timeline->weights(items[1].id), flatten_weights(*session.freeze()));
  EXPECT_NE(*timeline->weights(items[1].id), *timeline->weights(items[3].id));
  // ... and the model built from it decodes like that session's model.
  const auto model = model_from_weights(run.model, *timeline->weights(items[1].id));
  EXPECT_EQ(flatten_weights(*model), flatten_weights(*session.freeze()));
}

TEST(Timeline, EveryNStepsAddsPointsBetweenEpochs) {
  const auto run = small_run(2);
  Trainer trainer(run.data, run.model, run.train);
  TimelineBudget budget;
  budget.every_steps = 2;
  trainer.set_timeline_budget(budget);
  trainer.start();
  trainer.wait_until_done();
  std::vector<std::int64_t> steps;
  for (const auto& item : trainer.timeline()->list()) steps.push_back(item.point.step);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{0, 2, 4, 6, 8, 10, 12}));
}

TEST(Timeline, TheScratchFileMovesBesideTheCheckpoint) {
  const auto run = small_run(1);
  Trainer trainer(run.data, run.model, run.train);
  ASSERT_TRUE(trainer.timeline());
  EXPECT_EQ(trainer.timeline()->spill_path().find("/tmp/out/"), std::string::npos);
  // The window's Save, like the CLI's --out: the temporary folder may live in memory.
  trainer.keep_timeline_scratch_beside("/tmp/out/model.ckpt");
  EXPECT_EQ(trainer.timeline()->spill_path(), "/tmp/out/model.ckpt.timeline-scratch");
}

TEST(Timeline, ACheckpointCarriesItOnlyWhenAsked) {
  TempDir dir;
  const auto run = small_run(2);
  Trainer trainer(run.data, run.model, run.train);
  trainer.start();
  trainer.wait_until_done();
  trainer.save_checkpoint(dir.file("plain.ckpt"));
  trainer.wait_until_done();
  trainer.set_save_timeline(true);
  trainer.save_checkpoint(dir.file("timeline.ckpt"));
  trainer.wait_until_done();
  const std::string message = trainer.snapshot()->message;
  EXPECT_NE(message.find("with its timeline (3 points"), std::string::npos) << message;

  EXPECT_TRUE(load_checkpoint(dir.file("plain.ckpt")).timeline.empty());
  const Checkpoint loaded = load_checkpoint(dir.file("timeline.ckpt"));
  const auto original = trainer.timeline()->entries();
  ASSERT_EQ(loaded.timeline.size(), original.size());
  for (std::size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(loaded.timeline[i].point.epoch, original[i].point.epoch);
    EXPECT_EQ(loaded.timeline[i].point.step, original[i].point.step);
    EXPECT_EQ(*loaded.timeline[i].weights, *original[i].weights) << "point " << i;
  }
  const auto plain_size = std::filesystem::file_size(dir.file("plain.ckpt"));
  EXPECT_EQ(std::filesystem::file_size(dir.file("timeline.ckpt")) - plain_size > timeline_bytes(original), true);

  // A run continued from it starts with those points: it can be replayed.
  Trainer resumed(run.data, loaded, loaded.train_config);
  const auto items = resumed.timeline()->list();
  ASSERT_EQ(items.size(), 3u);  // the checkpoint's last point is where it resumes
  EXPECT_EQ(*resumed.timeline()->weights(items[1].id), *original[1].weights);
}

TEST(Timeline, WeightsRoundTripForEveryTrainableFamily) {
  ModelConfig conv;
  conv.kind = ModelKind::Conv;
  conv.hidden = {32};
  conv.latent = 3;
  ModelConfig vq = conv;
  vq.family = ModelFamily::VqVae;
  vq.codebook = 8;
  vq.code_dim = 4;
  for (const auto& config : {small_run(1).model, conv, vq}) {
    torch::manual_seed(11);
    const ModelState original{Vae(config)};
    const auto flat = flatten_weights(original);
    EXPECT_EQ(flat.size(), weight_count_of(original)) << config.describe();
    const auto rebuilt = model_from_weights(config, flat);
    EXPECT_EQ(flatten_weights(*rebuilt), flat) << config.describe();
    auto shorter = flat;
    shorter.pop_back();
    EXPECT_THROW(model_from_weights(config, shorter), CheckpointError) << config.describe();
  }
}

// The checkpoint's parts, to craft hostile timelines with a valid CRC.
void rewrite_header(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  std::string file = read_regular_file(path, 1u << 30, "checkpoint");
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data() + 12, 8);
  auto header = nlohmann::json::parse(file.substr(20, header_size));
  edit(header);
  const std::string text = header.dump();
  std::string out = file.substr(0, 12);
  const std::uint64_t size = text.size();
  out.append(reinterpret_cast<const char*>(&size), 8);
  out += text;
  out += file.substr(20 + header_size, file.size() - 4 - 20 - header_size);
  const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), out.size()));
  out.append(reinterpret_cast<const char*>(&crc), 4);
  testing::write_bytes(path, std::vector<std::uint8_t>(out.begin(), out.end()));
}

TEST(Timeline, ACraftedTimelineIsRefusedNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("t.ckpt");
  const auto run = small_run(1);
  Trainer trainer(run.data, run.model, run.train);
  trainer.set_save_timeline(true);
  trainer.start();
  trainer.wait_until_done();
  trainer.save_checkpoint(path);
  trainer.wait_until_done();
  const std::string good = read_regular_file(path, 1u << 30, "checkpoint");
  auto expect_refused = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& what) {
    testing::write_bytes(path, std::vector<std::uint8_t>(good.begin(), good.end()));
    rewrite_header(path, edit);
    try {
      load_checkpoint(path);
      ADD_FAILURE() << "loaded, expected '" << what << "'";
    } catch (const CheckpointError& error) {
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find(what), std::string::npos) << error.what();
    }
  };
  expect_refused([](auto& h) { h["timeline"]["points"][0]["weights"]["bytes"] = 40; }, "timeline point 0 holds 40");
  expect_refused([](auto& h) { h["timeline"]["points"][1]["weights"]["offset"] = 1ull << 50; }, "outside the file");
  expect_refused([](auto& h) { h["timeline"]["points"][1]["step"] = -3; }, "negative");
  expect_refused([](auto& h) { h["timeline"]["points"][0]["step"] = 99; }, "not in step order");
  expect_refused([](auto& h) { h["timeline"]["format"] = "pickle"; }, "unknown timeline format");
  expect_refused([](auto& h) { h["timeline"]["points"] = nlohmann::json::array({}).dump(); }, "not a list");
  // Without the section the same file loads (version-2 readers ignore what they lack).
  testing::write_bytes(path, std::vector<std::uint8_t>(good.begin(), good.end()));
  rewrite_header(path, [](auto& h) { h.erase("timeline"); });
  EXPECT_TRUE(load_checkpoint(path).timeline.empty());
}

}  // namespace
}  // namespace vae
