// vae-explorer ood: scores an in-distribution and an out-of-distribution data set with one model
// and prints how well the score tells them apart (AUROC, AUPR, FPR at 95 % TPR).
#include <atomic>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli_common.h"
#include "app/commands.h"
#include "core/errors.h"
#include "core/eval/ood.h"
#include "core/io/export.h"
#include "core/runtime/runtime.h"

namespace vae::cli {

namespace {

// Importance samples when --score iw is asked for without --iw-samples.
constexpr int kDefaultIwSamples = 100;

struct OodCommand {
  std::string model, id_data, ood_data, score = "complexity", scores_csv;
  int iw_samples = 0;
  std::size_t limit = 0;
  int batch = 500;
  unsigned long long seed = 1;
  bool json = false;
};

// The split to score: the test split, or the only one the data set has.
const Split& scoring_split(const Dataset& data) { return data.test.count > 0 ? data.test : data.train; }

int run_ood(const OodCommand& o, const CLI::App& sub) {
  configure_threads(ThreadProfile::Headless);
  OodScoreOptions options;
  options.kind = parse_ood_score(o.score);
  options.iw_samples = o.iw_samples;
  if (options.kind == OodScoreKind::ImportanceSampled && sub.count("--iw-samples") == 0)
    options.iw_samples = kDefaultIwSamples;
  if (options.iw_samples < 0 || options.iw_samples > 100000)
    throw ConfigError("--iw-samples must be between 0 and 100000");
  if (options.kind == OodScoreKind::NegElbo && options.iw_samples > 0)
    throw ConfigError("--iw-samples has no effect with --score elbo; use --score iw or complexity");
  options.limit = o.limit;
  options.batch_size = o.batch;
  options.seed = o.seed;

  const auto loaded = load_model(o.model, o.id_data, true);
  const auto ood = load_data_with_message(data_spec_for(loaded.checkpoint, o.ood_data));
  const Dataset& id_data = *loaded.data;

  // Ctrl-C (guarded() turns it into this flag) stops between batches, ending in exit 130.
  options.cancel = interrupt_flag();

  auto score_set = [&](const Dataset& data, const std::string& role) {
    const Split& split = scoring_split(data);
    if (split.count == 0) throw DataError(data.spec + ": holds no images to score");
    ProgressLine progress("ood " + role);
    const auto start = std::chrono::steady_clock::now();
    OodScoreOptions set_options = options;
    set_options.progress = [&](double fraction) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.update(fraction, data.name, fraction > 0 ? elapsed * (1 - fraction) / fraction : -1);
    };
    auto scores = score_examples(*loaded.checkpoint.model, data, split, set_options);
    progress.finish(std::to_string(scores.score.size()) + " images of " + data.name);
    return scores;
  };
  const ExampleScores in_scores = score_set(id_data, "in-distribution");
  const ExampleScores out_scores = score_set(*ood, "out-of-distribution");
  const DetectionMetrics metrics = detection_metrics(in_scores.score, out_scores.score);

  if (!o.scores_csv.empty()) {
    std::ostringstream csv;
    csv << "set,index,label,score,neg_elbo,nll_is,complexity_bits_per_dim\n";
    auto rows = [&](const ExampleScores& s, const Dataset& data, const char* set) {
      const Split& split = scoring_split(data);
      for (std::size_t i = 0; i < s.score.size(); ++i) {
        csv << set << ',' << i << ',' << (split.has_labels() ? std::to_string(split.labels[i]) : "") << ','
            << s.score[i] << ',' << s.neg_elbo[i] << ',';
        if (i < s.nll_is.size()) csv << s.nll_is[i];
        csv << ',';
        if (i < s.complexity_bits_per_dim.size()) csv << s.complexity_bits_per_dim[i];
        csv << '\n';
      }
    };
    rows(in_scores, id_data, "id");
    rows(out_scores, *ood, "ood");
    write_file_atomically(o.scores_csv, csv.str());
    std::cerr << "wrote " << o.scores_csv << "\n";
  }

  if (o.json) {
    nlohmann::json j = {{"model", o.model},
                        {"id", id_data.spec},
                        {"ood", ood->spec},
                        {"score", to_string(options.kind)},
                        {"iw_samples", in_scores.iw_samples},
                        {"n_id", in_scores.score.size()},
                        {"n_ood", out_scores.score.size()},
                        {"auroc", metrics.auroc},
                        {"aupr", metrics.aupr},
                        {"fpr95", metrics.fpr95},
                        {"mean_score_id", in_scores.mean_score()},
                        {"mean_score_ood", out_scores.mean_score()}};
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << "score " << to_string(options.kind);
    if (in_scores.iw_samples > 0) std::cout << " (k=" << in_scores.iw_samples << ")";
    std::cout << "  auroc " << metrics.auroc << "  aupr " << metrics.aupr << "  fpr95 " << metrics.fpr95
              << "  mean score: id " << in_scores.mean_score() << " (" << in_scores.score.size() << "), ood "
              << out_scores.mean_score() << " (" << out_scores.score.size() << ")" << std::endl;
  }
  return 0;
}

}  // namespace

Runner add_ood_command(CLI::App& app) {
  auto o = std::make_shared<OodCommand>();
  auto* sub = app.add_subcommand(
      "ood", "Out-of-distribution detection: score two data sets with one model, print AUROC, AUPR, FPR at 95% TPR");
  sub->add_option("--model", o->model, "checkpoint file")->required();
  sub->add_option("--id", o->id_data,
                  "in-distribution data: fashion-mnist | idx:DIR | idx:FILE | images:DIR | synthetic "
                  "(default: the model's training data; its test split is scored)");
  sub->add_option("--ood", o->ood_data,
                  "out-of-distribution data, same forms (an IDX folder of t10k-* files is enough)")
      ->required();
  sub->add_option("--score", o->score,
                  "elbo: -ELBO | iw: importance-sampled -log p(x) | complexity: bits/dim of -log p(x) minus zlib "
                  "bits/dim of the input (Serra et al. 2020)")
      ->capture_default_str();
  sub->add_option("--iw-samples", o->iw_samples,
                  "importance samples k: for --score iw (default 100); with complexity, use the IS estimate "
                  "instead of -ELBO");
  sub->add_option("--limit", o->limit, "score the first N images of each set only (0 = all)")->capture_default_str();
  sub->add_option("--batch", o->batch, "examples per batch")->capture_default_str();
  sub->add_option("--seed", o->seed, "seed of the Monte-Carlo estimates")->capture_default_str();
  sub->add_option("--scores", o->scores_csv, "CSV of every example's scores (set,index,label,score,...)");
  sub->add_flag("--json", o->json, "print one JSON object on stdout");
  return [o, sub] { return guarded("ood", [&] { return run_ood(*o, *sub); }); };
}

}  // namespace vae::cli
