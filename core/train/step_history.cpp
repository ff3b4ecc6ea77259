#include "core/train/step_history.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace vae {

namespace {

StepMetrics empty_row() {
  StepMetrics row;
  row.steps_covered = 0;
  return row;
}

// Weighted mean in double, stored as float: the same inputs always give the same bits, so a
// resumed run thins exactly as a straight one.
float mean_of(float a, double wa, float b, double wb) { return static_cast<float>((a * wa + b * wb) / (wa + wb)); }

}  // namespace

StepHistory::StepHistory(std::size_t max_rows) : pending_(empty_row()), latest_(empty_row()) { set_max_rows(max_rows); }

const StepMetrics& StepHistory::at(std::size_t i) const {
  if (i >= size()) throw std::out_of_range("StepHistory::at");
  return (*this)[i];
}

StepMetrics StepHistory::merged(const StepMetrics& earlier, const StepMetrics& later) {
  if (earlier.steps_covered == 0) return later;
  if (later.steps_covered == 0) return earlier;
  const double wa = earlier.steps_covered, wb = later.steps_covered;
  StepMetrics row;
  row.step = later.step;
  row.epoch = later.epoch;
  row.loss = mean_of(earlier.loss, wa, later.loss, wb);
  // A term one of the two lacks (a crafted or partial file) is NaN, as MetricHistory::value_of
  // reads it.
  const std::size_t terms = std::max(earlier.terms.size(), later.terms.size());
  row.terms.resize(terms);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t t = 0; t < terms; ++t)
    row.terms[t] = mean_of(t < earlier.terms.size() ? earlier.terms[t] : nan, wa,
                           t < later.terms.size() ? later.terms[t] : nan, wb);
  row.beta = mean_of(earlier.beta, wa, later.beta, wb);
  row.samples_per_sec = mean_of(earlier.samples_per_sec, wa, later.samples_per_sec, wb);
  row.steps_covered = earlier.steps_covered + later.steps_covered;
  return row;
}

std::string StepHistory::describe() const {
  if (empty()) return "no steps";
  const std::int64_t steps = back().step - front().first_step() + 1;
  if (stride_ == 1) return std::to_string(steps) + (steps == 1 ? " step" : " steps");
  return std::to_string(size()) + " rows covering " + std::to_string(steps) + " steps";
}

void StepHistory::push_back(StepMetrics step) {
  step.steps_covered = 1;
  latest_ = step;
  pending_ = merged(pending_, step);
  if (pending_.steps_covered < stride_) return;
  committed_.push_back(std::move(pending_));
  pending_ = empty_row();
  if (committed_.size() >= max_rows_) compact();
}

void StepHistory::compact() {
  // Every committed row covers stride_ steps; pairs become rows of 2 * stride_. push_back calls
  // this at exactly max_rows_ (even) rows; only set_max_rows can leave an odd row out.
  while (committed_.size() >= max_rows_) {
    Rows thinned;
    const std::size_t pairs = committed_.size() / 2;
    for (std::size_t i = 0; i < pairs; ++i) thinned.push_back(merged(committed_[2 * i], committed_[2 * i + 1]));
    StepMetrics carry = committed_.size() % 2 ? committed_.back() : empty_row();
    committed_ = std::move(thinned);
    stride_ *= 2;
    ++compactions_;
    // An odd last row covers stride_ / 2 steps: it goes back in front of the pending row, which
    // covers fewer than stride_ / 2 (it was the pending row of the old stride).
    if (carry.steps_covered > 0) pending_ = merged(carry, pending_);
  }
}

void StepHistory::set_max_rows(std::size_t max_rows) {
  if (max_rows < kMinRows) throw std::invalid_argument("a step history keeps at least 4 rows");
  max_rows_ = max_rows - max_rows % 2;
  if (committed_.size() >= max_rows_) compact();
}

void StepHistory::clear() {
  committed_.clear();
  pending_ = empty_row();
  latest_ = empty_row();
  stride_ = 1;
  compactions_ = 0;
}

void StepHistory::restore(const std::vector<StepMetrics>& rows, std::uint32_t stride, std::size_t max_rows) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument("step history: " + what); };
  if (max_rows < kMinRows || max_rows > kMaxRows || max_rows % 2)
    fail("the row bound " + std::to_string(max_rows) + " is not an even number in 4.." + std::to_string(kMaxRows));
  if (stride == 0 || (stride & (stride - 1)) != 0 || stride > (std::uint32_t(1) << kMaxStrideLog2))
    fail("the stride " + std::to_string(stride) + " is not a power of two");
  if (rows.size() > max_rows)
    fail(std::to_string(rows.size()) + " rows exceed the bound of " + std::to_string(max_rows));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const StepMetrics& row = rows[i];
    const bool last = i + 1 == rows.size();
    if (row.steps_covered == 0 || row.steps_covered > stride || (!last && row.steps_covered != stride))
      fail("row " + std::to_string(i) + " covers " + std::to_string(row.steps_covered) + " steps, the stride is " +
           std::to_string(stride));
    if (row.first_step() < 0 || (i > 0 && row.first_step() <= rows[i - 1].step))
      fail("the steps do not increase at row " + std::to_string(i));
    if (!std::isfinite(row.epoch) || row.epoch < 0 || (i > 0 && row.epoch < rows[i - 1].epoch))
      fail("the epochs do not increase at row " + std::to_string(i));
  }
  Rows committed;
  StepMetrics pending = empty_row();
  for (const auto& row : rows) {
    if (row.steps_covered == stride)
      committed.push_back(row);
    else
      pending = row;
  }
  if (committed.size() >= max_rows) fail("the committed rows fill the bound (the history was not thinned)");
  committed_ = std::move(committed);
  pending_ = std::move(pending);
  latest_ = rows.empty() ? empty_row() : rows.back();
  stride_ = stride;
  max_rows_ = max_rows;
  compactions_ = 0;
}

}  // namespace vae
