#pragma once
// The per-step metric history, bounded: a run of 10^6 (or 10^9) optimiser steps keeps at most
// max_rows() rows, so memory stays flat however long a run lasts (issue 10).
//
// Thinning: every committed row covers the same number of steps, stride(), a power of two. New
// steps are averaged into a pending row until it covers stride() steps, then it is committed.
// When the committed rows reach max_rows(), adjacent pairs are merged (their mean over the steps
// they cover) and the stride doubles: 1, 2, 4, ... steps per row. Compaction costs O(rows) once
// per doubling, so O(1) per step amortised, and a long run ends with between max_rows() / 2 and
// max_rows() rows of uniform width, old and recent steps alike (a plot of the whole run needs no
// more points than that).
//
// Sharing: the committed rows live in a ChunkedLog, so copying a history (every published
// snapshot holds one) copies chunk pointers, the pending row and the latest step, never the rows.
// Compaction builds new chunks and drops this history's references to the old ones: copies made
// before keep reading what they saw (chunked_log.h's rule holds, nobody writes a chunk a copy can
// see).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "core/train/chunked_log.h"

namespace vae {

struct StepMetrics {
  std::int64_t step = 0;     // the last step this row covers
  double epoch = 0;          // fractional, of that last step: 2.5 = half-way through the third epoch
  float loss = 0;            // the model's headline loss: -ELBO for VAEs, recon + VQ terms for a VQ-VAE
  std::vector<float> terms;  // MetricHistory::term_names order
  float beta = 1;
  float samples_per_sec = 0;
  // Optimiser steps averaged into this row (first_step() .. step): 1 until the history thins.
  // loss, terms, beta and samples_per_sec are then means over those steps.
  std::uint32_t steps_covered = 1;

  std::int64_t first_step() const { return step - std::int64_t(steps_covered) + 1; }
};

class StepHistory {
 public:
  // The default bound. 65536 rows are about 6 MB (a row with two terms is ~90 bytes with its heap
  // block), about 30 times a wide window's pixel columns, so the Loss panel loses nothing visible
  // until a run is long enough to need zooming, and a 10^6-step run is thinned only 16-fold.
  static constexpr std::size_t kMaxRows = 65536;
  // Smallest bound accepted (tests use tiny ones to make compaction happen early): compaction
  // merges pairs, so the bound is even and leaves room for a pending row.
  static constexpr std::size_t kMinRows = 4;
  // Largest stride a loaded file may claim (2^40 steps per row is far beyond any real run).
  static constexpr std::uint32_t kMaxStrideLog2 = 31;
  using Rows = ChunkedLog<StepMetrics, 4096>;

  using const_iterator = IndexIterator<StepHistory, StepMetrics>;
  using iterator = const_iterator;
  using value_type = StepMetrics;

  explicit StepHistory(std::size_t max_rows = kMaxRows);

  // The rows: the committed ones, then the pending row while it covers any step (it is the only
  // row that covers fewer than stride() steps, and it changes as steps arrive). Never more than
  // max_rows().
  std::size_t size() const { return committed_.size() + (pending_.steps_covered > 0 ? 1 : 0); }
  bool empty() const { return size() == 0; }
  const StepMetrics& operator[](std::size_t i) const { return i < committed_.size() ? committed_[i] : pending_; }
  const StepMetrics& at(std::size_t i) const;
  const StepMetrics& front() const { return (*this)[0]; }
  const StepMetrics& back() const { return (*this)[size() - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }

  // The last step exactly as recorded (not averaged): what a progress line or status shows. After
  // restore() it is the last row (a mean when the history was thinned), until the next step.
  const StepMetrics& latest() const { return latest_; }
  std::uint32_t stride() const { return stride_; }
  std::size_t max_rows() const { return max_rows_; }
  // Chunks referenced: what copying this history costs.
  std::size_t chunk_count() const { return committed_.chunk_count(); }
  // "120 steps", or "40000 rows covering 1000000 steps" once thinned: for messages.
  std::string describe() const;
  // Times the rows were thinned since the history began (the Loss panel restarts its smoothing).
  std::uint64_t compactions() const { return compactions_; }

  // Records one optimiser step (its steps_covered is taken as 1).
  void push_back(StepMetrics step);
  // Changes the bound (even, kMinRows ..., rounded down to even); thins at once if needed.
  void set_max_rows(std::size_t max_rows);
  void clear();

  // A saved history back: its rows as size() / operator[] gave them, its stride and bound. Throws
  // std::invalid_argument naming the first thing that is wrong (a crafted file must not make a
  // history that breaks the invariants above).
  void restore(const std::vector<StepMetrics>& rows, std::uint32_t stride, std::size_t max_rows);

  // The mean of two adjacent rows, weighted by the steps they cover; step and epoch of the later.
  static StepMetrics merged(const StepMetrics& earlier, const StepMetrics& later);

 private:
  void compact();

  Rows committed_;
  StepMetrics pending_{};  // steps_covered == 0 while empty
  StepMetrics latest_{};
  std::size_t max_rows_ = kMaxRows;
  std::uint32_t stride_ = 1;
  std::uint64_t compactions_ = 0;
};

}  // namespace vae
