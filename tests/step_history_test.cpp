// The bounded per-step history (core/train/step_history.h): never more rows than its bound,
// rows that are exact means of the steps they cover, copies that a later thinning leaves alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/train/metrics.h"

namespace vae {
namespace {

// Step n's metrics: values that differ from step to step, so a wrong mean shows.
StepMetrics step_at(std::int64_t n) {
  StepMetrics s;
  s.step = n;
  s.epoch = double(n) / 12;
  s.loss = float(100 + 10 * std::sin(0.37 * double(n)));
  s.terms = {float(n % 7), float(std::cos(0.11 * double(n)))};
  s.beta = float(std::min<std::int64_t>(n, 50)) / 50.f;
  s.samples_per_sec = float(1000 + n % 13);
  return s;
}

// The rows cover steps 1..last without gap or overlap, all of them `stride` wide but the last.
void expect_well_formed(const StepHistory& h, std::int64_t last) {
  ASSERT_LE(h.size(), h.max_rows());
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.front().first_step(), 1);
  EXPECT_EQ(h.back().step, last);
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i + 1 < h.size()) {
      EXPECT_EQ(h[i].steps_covered, h.stride()) << "row " << i;
    }
    EXPECT_LE(h[i].steps_covered, h.stride()) << "row " << i;
    if (i > 0) {
      EXPECT_EQ(h[i].first_step(), h[i - 1].step + 1) << "row " << i;
    }
  }
}

TEST(StepHistory, RowsNeverExceedTheBoundAndCoverEveryStep) {
  StepHistory h(8);
  std::uint32_t last_stride = 1;
  for (std::int64_t n = 1; n <= 1000; ++n) {
    h.push_back(step_at(n));
    ASSERT_LE(h.size(), 8u) << "after step " << n;
    ASSERT_EQ(h.stride() & (h.stride() - 1), 0u) << "stride " << h.stride();
    ASSERT_GE(h.stride(), last_stride);
    last_stride = h.stride();
    if (n % 37 == 0 || n == 1000) expect_well_formed(h, n);
  }
  // 1000 steps in at most 8 rows: 128 steps a row, the rows of a uniform grid.
  EXPECT_EQ(h.stride(), 128u);
  EXPECT_GE(h.compactions(), 7u);
  EXPECT_EQ(h.describe(), std::to_string(h.size()) + " rows covering 1000 steps");
}

TEST(StepHistory, RowsAreExactMeansOfTheirSteps) {
  StepHistory h(16);
  const std::int64_t steps = 777;
  for (std::int64_t n = 1; n <= steps; ++n) h.push_back(step_at(n));
  ASSERT_GT(h.stride(), 1u);
  for (const StepMetrics& row : h) {
    double loss = 0, t0 = 0, t1 = 0, beta = 0, rate = 0;
    for (std::int64_t n = row.first_step(); n <= row.step; ++n) {
      const StepMetrics s = step_at(n);
      loss += s.loss, t0 += s.terms[0], t1 += s.terms[1], beta += s.beta, rate += s.samples_per_sec;
    }
    const double k = row.steps_covered;
    EXPECT_NEAR(row.loss, loss / k, 1e-4) << "row ending at " << row.step;
    ASSERT_EQ(row.terms.size(), 2u);
    EXPECT_NEAR(row.terms[0], t0 / k, 1e-5);
    EXPECT_NEAR(row.terms[1], t1 / k, 1e-5);
    EXPECT_NEAR(row.beta, beta / k, 1e-6);  // beta: the mean too (a warm-up ramp shows as its average)
    EXPECT_NEAR(row.samples_per_sec, rate / k, 1e-3);
    EXPECT_EQ(row.epoch, step_at(row.step).epoch);  // epoch and step: the row's last step's
  }
}

TEST(StepHistory, LatestIsTheLastStepNotARowMean) {
  StepHistory h(4);
  for (std::int64_t n = 1; n <= 50; ++n) h.push_back(step_at(n));
  ASSERT_GT(h.back().steps_covered, 1u);
  EXPECT_EQ(h.latest().step, 50);
  EXPECT_EQ(h.latest().loss, step_at(50).loss);
  EXPECT_EQ(h.latest().terms, step_at(50).terms);
  EXPECT_EQ(h.latest().steps_covered, 1u);
  EXPECT_NE(h.back().loss, h.latest().loss);
}

TEST(StepHistory, ACopyKeepsWhatItSawWhenTheOriginalThins) {
  StepHistory h(8);
  for (std::int64_t n = 1; n <= 29; ++n) h.push_back(step_at(n));
  const StepHistory copy = h;
  const std::vector<StepMetrics> seen(copy.begin(), copy.end());
  const std::uint32_t stride = copy.stride();
  for (std::int64_t n = 30; n <= 400; ++n) h.push_back(step_at(n));  // several thinnings
  ASSERT_GT(h.stride(), stride);
  ASSERT_EQ(copy.size(), seen.size());
  EXPECT_EQ(copy.stride(), stride);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(copy[i].step, seen[i].step);
    EXPECT_EQ(copy[i].loss, seen[i].loss);
    EXPECT_EQ(copy[i].terms, seen[i].terms);
    EXPECT_EQ(copy[i].steps_covered, seen[i].steps_covered);
  }
  expect_well_formed(copy, 29);
  expect_well_formed(h, 400);
}

TEST(StepHistory, RestoreGivesBackTheSameHistoryAndItContinuesAlike) {
  StepHistory straight(8);
  for (std::int64_t n = 1; n <= 45; ++n) straight.push_back(step_at(n));
  ASSERT_LT(straight.back().steps_covered, straight.stride());  // a pending row to carry over
  StepHistory restored(StepHistory::kMaxRows);
  restored.restore(std::vector<StepMetrics>(straight.begin(), straight.end()), straight.stride(), straight.max_rows());
  for (std::int64_t n = 46; n <= 300; ++n) {
    straight.push_back(step_at(n));
    restored.push_back(step_at(n));
  }
  ASSERT_EQ(restored.size(), straight.size());
  EXPECT_EQ(restored.stride(), straight.stride());
  for (std::size_t i = 0; i < straight.size(); ++i) {
    EXPECT_EQ(restored[i].step, straight[i].step);
    EXPECT_EQ(restored[i].loss, straight[i].loss);  // bit for bit
    EXPECT_EQ(restored[i].terms, straight[i].terms);
    EXPECT_EQ(restored[i].beta, straight[i].beta);
  }
}

TEST(StepHistory, RestoreRefusesRowsThatBreakTheInvariants) {
  StepHistory source(8);
  for (std::int64_t n = 1; n <= 21; ++n) source.push_back(step_at(n));
  const std::vector<StepMetrics> rows(source.begin(), source.end());
  const std::uint32_t stride = source.stride();
  auto refused = [&](std::vector<StepMetrics> bad, std::uint32_t s, std::size_t bound, const std::string& what) {
    StepHistory h;
    try {
      h.restore(bad, s, bound);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(what), std::string::npos) << error.what();
    }
  };
  refused(rows, stride, 3, "row bound");
  refused(rows, stride, std::size_t(1) << 40, "row bound");
  refused(rows, 3, 8, "power of two");
  refused(rows, 0, 8, "power of two");
  refused(rows, stride, rows.size() - 1 - (rows.size() - 1) % 2, "exceed");
  auto uneven = rows;
  uneven[0].steps_covered = stride / 2;
  refused(uneven, stride, 8, "covers");
  auto none = rows;
  none.back().steps_covered = 0;
  refused(none, stride, 8, "covers");
  auto backwards = rows;
  backwards[1].step = backwards[0].step;
  refused(backwards, stride, 8, "steps do not increase");
  auto epochs = rows;
  epochs[1].epoch = std::nan("");
  refused(epochs, stride, 8, "epochs");
  // A full set of committed rows would have been thinned: a crafted file cannot skip that.
  std::vector<StepMetrics> full;
  for (std::int64_t n = 1; n <= 4; ++n) full.push_back(step_at(n));
  refused(full, 1, 4, "not thinned");
}

TEST(StepHistory, LoweringTheBoundThinsAtOnce) {
  StepHistory h;
  for (std::int64_t n = 1; n <= 101; ++n) h.push_back(step_at(n));
  ASSERT_EQ(h.size(), 101u);
  h.set_max_rows(10);
  EXPECT_LE(h.size(), 10u);
  expect_well_formed(h, 101);
  for (std::int64_t n = 102; n <= 150; ++n) h.push_back(step_at(n));
  expect_well_formed(h, 150);
  EXPECT_THROW(h.set_max_rows(2), std::invalid_argument);
}

// The trainer's pattern: the owner thins while readers on other threads read copies published
// through an atomic pointer (run under TSan in CI).
TEST(StepHistory, CopiesAreReadWhileTheOwnerThins) {
  StepHistory owner(16);
  std::shared_ptr<const StepHistory> published = std::make_shared<const StepHistory>(owner);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::int64_t n = 1; n <= 20000; ++n) {
      StepMetrics s;
      s.step = n;
      s.loss = float(n);  // means of consecutive integers are exact in float: (first + last) / 2
      s.terms = {float(2 * n)};
      owner.push_back(std::move(s));
      if (n % 3 == 0) std::atomic_store(&published, std::make_shared<const StepHistory>(owner));
    }
    done = true;
  });
  std::int64_t checked = 0;
  while (!done || checked == 0) {
    const auto copy = std::atomic_load(&published);
    ASSERT_LE(copy->size(), 16u);
    for (std::size_t i = 0; i < copy->size(); ++i) {
      const StepMetrics& row = (*copy)[i];
      const float mean = float(row.first_step() + row.step) / 2;
      ASSERT_EQ(row.loss, mean) << "row " << i << " of steps " << row.first_step() << ".." << row.step;
      ASSERT_EQ(row.terms[0], 2 * mean);
      if (i > 0) {
        ASSERT_EQ(row.first_step(), (*copy)[i - 1].step + 1);
      }
      ++checked;
    }
  }
  writer.join();
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace vae
