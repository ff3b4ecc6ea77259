#include "core/eval/ood.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/eval/evaluate.h"

namespace vae {

OodScoreKind parse_ood_score(const std::string& text) {
  if (text == "elbo") return OodScoreKind::NegElbo;
  if (text == "iw") return OodScoreKind::ImportanceSampled;
  if (text == "complexity") return OodScoreKind::ComplexityCorrected;
  throw ConfigError("--score " + text + ": expected elbo, iw or complexity");
}

std::string to_string(OodScoreKind kind) {
  switch (kind) {
    case OodScoreKind::NegElbo:
      return "elbo";
    case OodScoreKind::ImportanceSampled:
      return "iw";
    case OodScoreKind::ComplexityCorrected:
      return "complexity";
  }
  return "?";
}

std::string describe(OodScoreKind kind) {
  switch (kind) {
    case OodScoreKind::NegElbo:
      return "-ELBO in nats: reconstruction error plus KL(q(z|x) || p(z)), an upper bound on -log p(x). "
             "Cheap, but a likelihood: simple inputs (few strokes, flat backgrounds) score as typical "
             "even when the model never saw anything like them.";
    case OodScoreKind::ImportanceSampled:
      return "-log p(x) in nats, estimated with k importance samples from q(z|x) (Burda et al. 2016): "
             "tighter than -ELBO as k grows, k times the decoder work. Shares the likelihood's bias "
             "towards simple inputs.";
    case OodScoreKind::ComplexityCorrected:
      return "Serra et al. (ICLR 2020): -log2 p(x) per dimension minus the input's own complexity, its "
             "length under a generic lossless compressor (zlib level 9 of the 8-bit pixels) per "
             "dimension. Subtracting what any compressor already knows leaves what the model adds, "
             "which removes the likelihood's preference for simple inputs.";
  }
  return {};
}

namespace {

void check_scores(const std::vector<double>& in_scores, const std::vector<double>& out_scores) {
  if (in_scores.empty() || out_scores.empty())
    throw ConfigError("detection metrics need scores for both sets (in-distribution " +
                      std::to_string(in_scores.size()) + ", out-of-distribution " + std::to_string(out_scores.size()) +
                      ")");
  auto has_nan = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  };
  if (has_nan(in_scores) || has_nan(out_scores)) throw ConfigError("detection metrics: a score is NaN");
}

// Both sets merged and sorted by score, highest first, with 1 for out-of-distribution.
std::vector<std::pair<double, int>> ranked(const std::vector<double>& in_scores,
                                           const std::vector<double>& out_scores) {
  std::vector<std::pair<double, int>> all;
  all.reserve(in_scores.size() + out_scores.size());
  for (double s : in_scores) all.emplace_back(s, 0);
  for (double s : out_scores) all.emplace_back(s, 1);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return all;
}

// Walks the thresholds (distinct scores, highest first) and calls visit(true_positives,
// false_positives) after each group of tied scores: the counts flagged at score >= threshold.
template <typename Visit>
void for_each_threshold(const std::vector<std::pair<double, int>>& all, Visit visit) {
  std::size_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    for (; j < all.size() && all[j].first == all[i].first; ++j) (all[j].second ? tp : fp) += 1;
    if (!visit(tp, fp)) return;
    i = j;
  }
}

}  // namespace

double auroc(const std::vector<double>& in_scores, const std::vector<double>& out_scores) {
  check_scores(in_scores, out_scores);
  // Trapezoids under the ROC curve between consecutive thresholds: a tie group spanning both
  // sets contributes half, which is the Mann-Whitney statistic with mid-ranks.
  const double positives = out_scores.size(), negatives = in_scores.size();
  double area = 0, last_tpr = 0, last_fpr = 0;
  for_each_threshold(ranked(in_scores, out_scores), [&](std::size_t tp, std::size_t fp) {
    const double tpr = tp / positives, fpr = fp / negatives;
    area += (fpr - last_fpr) * (tpr + last_tpr) / 2;
    last_tpr = tpr;
    last_fpr = fpr;
    return true;
  });
  return area;
}

double average_precision(const std::vector<double>& in_scores, const std::vector<double>& out_scores) {
  check_scores(in_scores, out_scores);
  // AP = sum over thresholds of (recall_k - recall_{k-1}) * precision_k (no interpolation).
  const double positives = out_scores.size();
  double ap = 0, last_recall = 0;
  for_each_threshold(ranked(in_scores, out_scores), [&](std::size_t tp, std::size_t fp) {
    const double recall = tp / positives, precision = double(tp) / double(tp + fp);
    ap += (recall - last_recall) * precision;
    last_recall = recall;
    return true;
  });
  return ap;
}

double fpr_at_tpr(const std::vector<double>& in_scores, const std::vector<double>& out_scores, double tpr) {
  check_scores(in_scores, out_scores);
  if (!(tpr > 0 && tpr <= 1)) throw ConfigError("fpr_at_tpr: the true-positive rate must lie in (0, 1]");
  const double positives = out_scores.size(), negatives = in_scores.size();
  double result = 1;
  for_each_threshold(ranked(in_scores, out_scores), [&](std::size_t tp, std::size_t fp) {
    // A small tolerance so that exactly 95 of 100 counts as 95 % despite rounding.
    if (tp / positives + 1e-12 < tpr) return true;
    result = fp / negatives;
    return false;
  });
  return result;
}

DetectionMetrics detection_metrics(const std::vector<double>& in_scores, const std::vector<double>& out_scores) {
  return {auroc(in_scores, out_scores), average_precision(in_scores, out_scores),
          fpr_at_tpr(in_scores, out_scores, 0.95)};
}

double compressed_bits_per_dim(const float* pixels, int channels, int height, int width) {
  const std::size_t dims = std::size_t(channels) * height * width;
  if (dims == 0) throw ConfigError("compressed_bits_per_dim: empty image");
  std::vector<Bytef> raw(dims);
  // Planar (CHW) in memory, interleaved (HWC) like a PNG scanline in the compressed stream.
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const float v = pixels[(std::size_t(c) * height + y) * width + x];
        const float clamped = std::isnan(v) ? 0.f : std::clamp(v, 0.f, 1.f);
        raw[(std::size_t(y) * width + x) * channels + c] = static_cast<Bytef>(std::lround(clamped * 255.f));
      }
  uLongf length = compressBound(static_cast<uLong>(dims));
  std::vector<Bytef> packed(length);
  if (compress2(packed.data(), &length, raw.data(), static_cast<uLong>(dims), 9) != Z_OK)
    throw Error("zlib could not compress an image");
  return 8.0 * double(length) / double(dims);
}

double nats_to_bits_per_dim(double nats, std::size_t dims) { return nats / (std::log(2.0) * double(dims)); }

double ExampleScores::mean_score() const {
  if (score.empty()) return std::nan("");
  return std::accumulate(score.begin(), score.end(), 0.0) / double(score.size());
}

ExampleScores score_examples(const ModelState& model, const Dataset& data, const Split& split,
                             const OodScoreOptions& options) {
  const bool needs_iw = options.kind == OodScoreKind::ImportanceSampled ||
                        (options.kind == OodScoreKind::ComplexityCorrected && options.iw_samples > 0);
  if (options.kind == OodScoreKind::ImportanceSampled && options.iw_samples < 1)
    throw ConfigError("--iw-samples must be at least 1 for the importance-sampled score");
  EvalOptions eval;
  eval.limit = options.limit;
  eval.iw_samples = needs_iw ? options.iw_samples : 0;
  // Importance sampling decodes k copies of each batch: keep the batch small.
  eval.batch_size = std::max(1, needs_iw ? std::min(options.batch_size, 100) : options.batch_size);
  eval.seed = options.seed;
  eval.per_example = true;
  eval.cancel = options.cancel;
  eval.progress = options.progress;
  const EvalResult r = evaluate(model, data, split, eval);

  if (needs_iw && r.iw_samples == 0)
    throw ConfigError("this model has no importance-sampled likelihood (" + to_string(options.kind) +
                      " with --iw-samples); use --score elbo or complexity without --iw-samples");
  ExampleScores scores;
  scores.kind = options.kind;
  scores.iw_samples = r.iw_samples;
  scores.neg_elbo.assign(r.per_example_neg_elbo.begin(), r.per_example_neg_elbo.end());
  scores.nll_is.assign(r.per_example_nll_is.begin(), r.per_example_nll_is.end());
  const std::vector<double>& likelihood_term = needs_iw ? scores.nll_is : scores.neg_elbo;
  switch (options.kind) {
    case OodScoreKind::NegElbo:
    case OodScoreKind::ImportanceSampled:
      scores.score = likelihood_term;
      break;
    case OodScoreKind::ComplexityCorrected: {
      const std::size_t dims = data.image_size();
      scores.complexity_bits_per_dim.reserve(r.n);
      scores.score.reserve(r.n);
      for (std::size_t i = 0; i < r.n; ++i) {
        const double complexity =
            compressed_bits_per_dim(split.pixels.data() + i * dims, data.channels, data.height, data.width);
        scores.complexity_bits_per_dim.push_back(complexity);
        scores.score.push_back(nats_to_bits_per_dim(likelihood_term[i], dims) - complexity);
      }
      break;
    }
  }
  return scores;
}

}  // namespace vae
