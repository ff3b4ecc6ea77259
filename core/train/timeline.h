#pragma once
// The timeline of a run: the weights at the end of every epoch (and optionally every N steps),
// kept in a bounded store so that the window can explore any earlier point while training goes
// on. Points live in memory up to a budget, then spill to a scratch file (our own record format,
// CRC per record, bounded reads); beyond the disk budget the store thins itself out, keeping the
// first and the last point and evenly spaced ones between. Never unbounded. Torch-free; safe to
// use from several threads (the trainer adds, the window lists and reads).
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vae {

class ModelState;
struct ModelConfig;

// What a point of the timeline is, apart from its weights.
struct TimelinePoint {
  int epoch = 0;                                                 // epochs completed when the weights were taken
  std::int64_t step = 0;                                         // optimiser steps taken
  double test_loss = std::numeric_limits<double>::quiet_NaN();   // the epoch's test loss; NaN between epochs
  double train_loss = std::numeric_limits<double>::quiet_NaN();  // the epoch's mean training loss
};

// A point with its weights (flattened in named_weights() order), as checkpoints carry them.
struct TimelineEntry {
  TimelinePoint point;
  std::shared_ptr<const std::vector<float>> weights;
};

struct TimelineBudget {
  static constexpr std::uint64_t kMegabyte = std::uint64_t(1) << 20;
  std::uint64_t memory_bytes = 256 * kMegabyte;  // weights kept in memory before spilling
  std::uint64_t disk_bytes = 1024 * kMegabyte;   // the spill file's limit; beyond it the store thins out
  std::int64_t every_steps = 0;                  // also keep a point every N steps (0: epochs only)
};

// A point as listed: its id stays valid until thinning drops the point.
struct TimelineItem {
  std::uint64_t id = 0;
  TimelinePoint point;
  bool in_memory = true;  // false: spilled to the scratch file
};

class TimelineStore {
 public:
  // `weight_count`: floats per point (every point holds the same model). `spill_path`: the
  // scratch file points beyond the memory budget go to ("" = no file: the store thins out in
  // memory instead). The file is created on the first spill and removed by the destructor.
  TimelineStore(std::size_t weight_count, TimelineBudget budget, std::string spill_path);
  ~TimelineStore();
  TimelineStore(const TimelineStore&) = delete;
  TimelineStore& operator=(const TimelineStore&) = delete;

  // Adds a point (a point at the step of the newest one replaces it). Throws std::invalid_argument
  // when the weights have the wrong size, IoError when the spill file cannot be written (the
  // point is then thinned out rather than lost silently: the store stays within budget).
  void add(const TimelinePoint& point, std::vector<float> weights);
  void set_budget(const TimelineBudget& budget);  // takes effect at once (may spill or thin)
  TimelineBudget budget() const;

  std::vector<TimelineItem> list() const;  // oldest first
  std::size_t size() const;
  // The weights of point `id`; null when thinning has dropped it. Throws IoError naming the
  // spill file when the file no longer holds what was written (truncated, corrupt, crafted).
  std::shared_ptr<const std::vector<float>> weights(std::uint64_t id) const;
  // Every point with its weights (spilled ones read back), for a checkpoint.
  std::vector<TimelineEntry> entries() const;

  std::size_t weight_count() const { return weight_count_; }
  std::uint64_t point_bytes() const { return weight_count_ * sizeof(float); }
  std::uint64_t memory_bytes() const;  // weights held in memory now
  std::uint64_t disk_bytes() const;    // the spill file's size now
  std::string spill_path() const;
  // Moves the scratch file elsewhere (e.g. beside the checkpoint, rather than a temporary folder
  // that may live in memory); only before the first spill, ignored after it.
  void set_spill_path(const std::string& path);
  std::uint64_t version() const;  // +1 on every change of the list
  // Points the budget made the store drop so far (0 = every point offered is still here).
  std::size_t thinned_away() const;

  // Reads one record of a spill file at `offset` (for tests and the fuzz-minded): checks the
  // record's header against `weight_count` before reading its floats, and its CRC.
  static std::vector<float> read_record(const std::string& path, std::uint64_t offset, std::size_t weight_count,
                                        TimelinePoint* point = nullptr);

 private:
  struct Slot {
    std::uint64_t id = 0;
    std::uint64_t sequence = 0;  // the how-manieth point offered: thinning keeps multiples of the stride
    TimelinePoint point;
    std::shared_ptr<const std::vector<float>> weights;  // null when spilled
    std::uint64_t offset = 0;                           // of its record in the spill file
  };
  void enforce_locked();
  void spill_locked(Slot& slot);
  void thin_locked();
  void drop_locked(std::size_t index);
  std::uint64_t record_bytes() const;
  std::size_t capacity_locked() const;

  const std::size_t weight_count_;
  std::string spill_path_;
  mutable std::mutex mutex_;
  TimelineBudget budget_;
  std::vector<Slot> slots_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t stride_ = 1;  // kept points are this many offered points apart (doubles when thinning)
  std::uint64_t version_ = 0;
  std::uint64_t file_bytes_ = 0;
  std::vector<std::uint64_t> free_offsets_;  // records of thinned points, reused by the next spill
  std::size_t thinned_ = 0;
  int fd_ = -1;
};

// Flattened weights of a model in named_weights() order, and back: a model of `config` holding
// them (throws CheckpointError when the count does not fit the configuration).
std::vector<float> flatten_weights(const ModelState& model);
std::shared_ptr<const ModelState> model_from_weights(const ModelConfig& config, const std::vector<float>& weights);
// Floats a model of this configuration holds (builds one; for sizing the store).
std::size_t weight_count_of(const ModelState& model);

}  // namespace vae
