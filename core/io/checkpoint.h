#pragma once
// One file per model: format version, model and training settings, weights, optimiser state,
// RNG state, metric history and data set identity. Written to a temporary file and renamed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/config.h"
#include "core/train/adam_state.h"
#include "core/train/metrics.h"
#include "core/train/timeline.h"

namespace vae {

class ModelState;

// Version 2: model families (family, conditional, classes, codebook), named metric series, and
// Adam's state in our own format (AdamState) instead of a LibTorch archive; names that are not
// UTF-8 are stored escaped. Version-1 files still load (their optimiser state is not read: see
// Checkpoint::load_note).
constexpr std::uint32_t kCheckpointVersion = 2;
// Checkpoints larger than this are refused before reading.
constexpr std::uint64_t kMaxCheckpointBytes = std::uint64_t(4) << 30;

struct Checkpoint {
  ModelConfig model_config;
  TrainConfig train_config;
  std::string data_spec;      // DataSpec::to_string() of the training data
  std::string data_identity;  // Dataset::identity()
  std::vector<std::string> class_names;
  double data_test_fraction = 0;  // image folders: the held-out share, to rebuild the same split
  std::uint64_t data_seed = 0;    // Dataset::seed: regenerates the synthetic set, re-splits folders
  std::int64_t step = 0;
  int epoch = 0;
  std::int64_t step_in_epoch = 0;
  MetricHistory history;
  std::shared_ptr<const ModelState> model;  // weights
  AdamState optimizer_state;                // empty = fresh optimiser
  std::string rng_state;                    // generator state bytes; empty = reseed
  std::vector<std::int64_t> epoch_order;    // the shuffle of the epoch in progress
  std::string load_note;                    // what loading had to leave out, for people (e.g. a version-1 optimiser)
  // Optional (train --save-timeline, the window's setting): earlier points of the run, oldest
  // first, so that a loaded run can be replayed. Absent in most files; readers without it skip it.
  std::vector<TimelineEntry> timeline;
};

// At most this many timeline points in a checkpoint (each also bounded by the file's size).
constexpr std::size_t kMaxTimelinePoints = 100000;
// Bytes the timeline adds to a checkpoint (what the CLI and the window state before saving).
std::uint64_t timeline_bytes(const std::vector<TimelineEntry>& timeline);

void save_checkpoint(const Checkpoint& checkpoint, const std::string& path);
// Throws CheckpointError naming the file: missing, not a regular file, truncated, foreign, wrong
// version, corrupt, or inconsistent (every setting is bounded and checked against the tensor
// table before the model is built; duplicate or missing tensors, a bad epoch order, step or
// generator state are refused).
Checkpoint load_checkpoint(const std::string& path);
// The same from bytes already in memory (`path` names them in errors). The fuzz targets skip
// the CRC so that mutations reach the validation behind it (a crafted file recomputes it).
Checkpoint parse_checkpoint(const std::string& file, const std::string& path, bool verify_checksum = true);
// How to load data for a checkpoint's model: `override_text` (a --data value) when given, else
// the data it was trained on; image folders are resized to the model's input and split with the
// recorded seed and share, so the test split is the one held out during training.
DataSpec data_spec_for(const Checkpoint& checkpoint, const std::string& override_text = "");

// Cheap test used for drag-and-drop: does the file start with the checkpoint magic?
bool looks_like_checkpoint(const std::string& path);

}  // namespace vae
