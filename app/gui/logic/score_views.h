#pragma once
// Pure logic behind the Density panel's views of per-example outlier scores: one score vector out
// of the computed parts (-ELBO, importance-sampled -log p(x), input complexity), two sets'
// histograms on shared bins, the most and least likely examples, and mean scores per class.
// No ImGui, no LibTorch: unit tested in tests/gui_core.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/eval/ood.h"

namespace vae::gui {

// The score of `kind` for every example of `scores` (higher = more unusual), from the parts that
// score_examples filled; `dims` is the number of values per image (C*H*W). Empty when `scores`
// lacks a needed part: the importance-sampled score without nll_is, the complexity-corrected one
// without complexity_bits_per_dim. The complexity-corrected score uses the importance-sampled
// likelihood when there is one, as `ood --iw-samples` does.
std::vector<double> score_of_kind(const ExampleScores& scores, OodScoreKind kind, std::size_t dims);

// Histograms of two score sets on the same bins, each normalised to a share per bin (so sets of
// different sizes compare). The bins span the 0.5 % .. 99.5 % quantiles of both sets together, so
// a few extreme scores do not squash the rest into one bin; values outside go to the end bins
// (their count is in clipped_*). `b` may be empty. Non-finite values are left out.
struct OverlaidHistogram {
  double lo = 0, hi = 0;
  std::vector<double> a, b;  // share of each set per bin
  std::size_t clipped_a = 0, clipped_b = 0;
  double peak() const;  // the largest share of either set (0 when empty)
};
OverlaidHistogram overlaid_histogram(const std::vector<double>& a, const std::vector<double>& b, int bins);

// Indices of the `n` lowest scores (most likely) or highest (least likely), in that order; ties
// keep index order; NaN scores are never chosen.
std::vector<std::size_t> extreme_indices(const std::vector<double>& scores, std::size_t n, bool highest);

struct ClassMean {
  int label = 0;
  std::size_t count = 0;
  double mean = 0;
};
// Mean score per label, ordered by label; empty when `labels` does not match `scores` in size.
std::vector<ClassMean> per_class_means(const std::vector<double>& scores, const std::vector<int>& labels);

// A second data set as it is scored: every image it holds in its test split, the held-out ones
// first (an image folder holds some of each class back; a test-only IDX folder has no training
// split). Labels are kept when both splits have them. Returns `data` itself when it has no
// training images.
std::shared_ptr<const Dataset> every_image_as_test(std::shared_ptr<const Dataset> data);

// "12 s", "3 min 05 s": the remaining time of a job from its elapsed time and done fraction;
// empty while the fraction is too small to tell.
std::string eta_text(double elapsed_seconds, double fraction);

}  // namespace vae::gui
