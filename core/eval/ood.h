#pragma once
// Density-based outlier detection (seed 002): per-example scores from a frozen model, and the
// detection metrics that compare the scores of an in-distribution set with another set's.
// Torch-free: the window and the CLI include this header.
//
// Every score is oriented the same way: higher means "less likely under the model", i.e. more
// of an outlier. The out-of-distribution set is the positive class of the metrics.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vae {

class ModelState;
struct Dataset;
struct Split;

enum class OodScoreKind {
  NegElbo,              // -ELBO in nats: an upper bound on -log p(x), one Monte-Carlo sample
  ImportanceSampled,    // -log p(x) estimated with k importance samples (Burda et al. 2016)
  ComplexityCorrected,  // Serra et al. 2020: -log2 p(x) / D minus the compressed length L(x) / D
};

OodScoreKind parse_ood_score(const std::string& text);  // "elbo" | "iw" | "complexity"; ConfigError
std::string to_string(OodScoreKind kind);               // the parse_ood_score spelling
std::string describe(OodScoreKind kind);                // one paragraph, for tooltips and --help

// Metrics of telling two sets apart by a score (higher = more likely out-of-distribution).
struct DetectionMetrics {
  double auroc = 0;  // P(score_out > score_in) + P(tie) / 2; 0.5 = chance, below 0.5 = inverted
  double aupr = 0;   // average precision with the out-of-distribution set as positives
  double fpr95 = 0;  // share of in-distribution examples flagged at the threshold finding 95 % of the outliers
};

// Each is O(n log n) and exact under ties (all examples sharing a score count as one threshold).
// Throw ConfigError when either set is empty or a score is NaN.
double auroc(const std::vector<double>& in_scores, const std::vector<double>& out_scores);
double average_precision(const std::vector<double>& in_scores, const std::vector<double>& out_scores);
// FPR at the highest threshold whose true-positive rate (share of out_scores >= it) reaches `tpr`.
double fpr_at_tpr(const std::vector<double>& in_scores, const std::vector<double>& out_scores, double tpr = 0.95);
DetectionMetrics detection_metrics(const std::vector<double>& in_scores, const std::vector<double>& out_scores);

// The input complexity L(x) of Serra et al., in bits per dimension: the image is quantised to
// 8 bits per value (round(255 v)), laid out row by row with channels interleaved as in a PNG
// scanline (without PNG's filter bytes), compressed with zlib's compress2 at level 9 (DEFLATE
// in a zlib wrapper, 6 bytes of header and checksum included), and the compressed length in
// bits is divided by the number of dimensions C*H*W.
double compressed_bits_per_dim(const float* pixels, int channels, int height, int width);

// Nats per image -> bits per dimension.
double nats_to_bits_per_dim(double nats, std::size_t dims);

struct OodScoreOptions {
  OodScoreKind kind = OodScoreKind::ComplexityCorrected;
  // k for ImportanceSampled. For ComplexityCorrected, > 0 makes the likelihood term the
  // importance-sampled estimate instead of -ELBO.
  int iw_samples = 0;
  std::size_t limit = 0;  // score the first `limit` examples only; 0 = all
  int batch_size = 500;
  std::uint64_t seed = 1;
  std::function<void(double fraction)> progress;  // between batches
  const std::atomic<bool>* cancel = nullptr;      // checked between batches; Error("... cancelled")
};

struct ExampleScores {
  OodScoreKind kind = OodScoreKind::NegElbo;
  int iw_samples = 0;                           // k actually used (0: the likelihood term is -ELBO)
  std::vector<double> score;                    // the chosen score per example (higher = more unusual)
  std::vector<double> neg_elbo;                 // nats per example, always filled
  std::vector<double> nll_is;                   // nats per example, when iw_samples > 0
  std::vector<double> complexity_bits_per_dim;  // L(x), for ComplexityCorrected
  double mean_score() const;
};

// Scores the first `limit` examples of `split` (the model's image shape must match: ConfigError).
ExampleScores score_examples(const ModelState& model, const Dataset& data, const Split& split,
                             const OodScoreOptions& options);

}  // namespace vae
