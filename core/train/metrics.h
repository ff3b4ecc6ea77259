#pragma once
// Metric history kept by the trainer, saved in checkpoints and exported as CSV. Each model
// reports its loss as named terms ("recon", "kl"; "recon", "codebook", "commitment",
// "perplexity", ...): the history keeps them as named series, so the Loss panel, the CSV and the
// checkpoint show whatever a model reports without code per model. Losses are per example, nats.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/train/chunked_log.h"
#include "core/train/step_history.h"

namespace vae {

struct EpochMetrics {
  int epoch = 0;  // 1-based: the epoch just finished
  std::int64_t step = 0;
  float train_loss = 0;  // average over the epoch's batches
  float test_loss = 0;
  std::vector<float> test_terms;                                // MetricHistory::term_names order
  float test_nll_is = std::numeric_limits<float>::quiet_NaN();  // NaN when not computed
  int iw_samples = 0;
  int active_units = -1;  // is_active_unit() of activity (core/eval/posterior_health.h); -1 when
                          // the model has no posterior variance
  // Posterior health of the test set at the epoch's end, one value per latent dimension (empty
  // in histories saved before they were recorded, and for models without a Gaussian posterior).
  std::vector<float> kl_per_dim;  // KL(q(z_d|x) || N(0, 1)) averaged over the test set
  std::vector<float> activity;    // Cov_x(E_q[z_d]), Burda et al.'s activity statistic
};

// Shared by copies (chunked_log.h): every snapshot holds the whole history, so publishing one
// costs the same at step 10^6 as at step 10. The step rows are bounded (step_history.h: old steps
// are thinned into means); the epochs, one per epoch, are kept whole.
using EpochLog = ChunkedLog<EpochMetrics, 256>;

struct MetricHistory {
  std::string loss_name = "neg_elbo";  // what StepMetrics::loss is: "neg_elbo" or "loss"
  std::vector<std::string> term_names = {"recon", "kl"};
  StepHistory steps;
  EpochLog epochs;

  // Index of a named term, or -1.
  int term_index(const std::string& name) const {
    for (std::size_t i = 0; i < term_names.size(); ++i)
      if (term_names[i] == name) return static_cast<int>(i);
    return -1;
  }
  // A term of a step or an epoch's test terms by name; NaN when the model does not report it.
  static float value_of(const std::vector<float>& terms, int index) {
    return index >= 0 && index < static_cast<int>(terms.size()) ? terms[index]
                                                                : std::numeric_limits<float>::quiet_NaN();
  }
  float step_term(const StepMetrics& s, const std::string& name) const { return value_of(s.terms, term_index(name)); }
  float test_term(const EpochMetrics& e, const std::string& name) const {
    return value_of(e.test_terms, term_index(name));
  }
};

}  // namespace vae
