// vae-explorer eval | sample | export: everything that reads a saved model.
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli_common.h"
#include "app/commands.h"
#include "core/errors.h"
#include "core/eval/evaluate.h"
#include "core/eval/inference.h"
#include "core/io/export.h"
#include "core/runtime/runtime.h"

namespace vae::cli {

namespace {

const Split& pick_split(const Dataset& data, const std::string& name) {
  if (name == "test") return data.test;
  if (name == "train") return data.train;
  throw ConfigError("unknown split '" + name + "': expected test or train");
}

// --- eval ---

struct EvalCommand {
  std::string model, data, split = "test", scores;
  int iw_samples = 0;
  std::size_t limit = 0;
  int batch = 500;
  unsigned long long seed = 1;
  bool json = false;
};

int run_eval(const EvalCommand& o) {
  // k importance samples cost k decoder passes per image (and k log-weights in memory).
  check_option("--iw-samples", o.iw_samples, 0, 100000);
  check_option("--batch", o.batch, 1, 65536);
  if (o.split != "test" && o.split != "train") throw ConfigError("--split '" + o.split + "': expected test or train");
  if (!o.scores.empty()) check_writable(o.scores);
  configure_threads(ThreadProfile::Headless);
  const auto loaded = load_model(o.model, o.data, true);
  const Split& split = pick_split(*loaded.data, o.split);
  EvalOptions options;
  options.limit = o.limit;
  options.iw_samples = o.iw_samples;
  options.batch_size = std::max(1, o.iw_samples > 0 ? std::min(o.batch, 100) : o.batch);
  options.seed = o.seed;
  options.per_example = !o.scores.empty();
  ProgressLine progress("eval");
  options.cancel = interrupt_flag();  // Ctrl+C stops between batches; exit 130, nothing written
  const auto started = std::chrono::steady_clock::now();
  options.progress = [&](double fraction) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.update(fraction, o.split + " split", fraction > 0 ? elapsed * (1 - fraction) / fraction : -1);
  };
  progress.update(0, o.split + " split", -1);
  const auto r = evaluate(*loaded.checkpoint.model, *loaded.data, split, options);
  progress.finish(std::to_string(r.n) + " images");

  if (!o.scores.empty()) {
    std::ostringstream csv;
    csv << "index,label,neg_elbo\n";
    for (std::size_t i = 0; i < r.per_example_neg_elbo.size(); ++i)
      csv << i << ',' << (split.has_labels() ? std::to_string(split.labels[i]) : "") << ',' << r.per_example_neg_elbo[i]
          << '\n';
    write_file_atomically(o.scores, csv.str());
  }
  if (o.json) {
    nlohmann::json j = {{"model", o.model},
                        {"data", loaded.data->spec},
                        {"split", o.split},
                        {"n", r.n},
                        {"neg_elbo", r.neg_elbo},
                        {"recon", r.recon},
                        {"kl", r.kl},
                        {"iw_samples", r.iw_samples},
                        {"active_units", r.active_units},
                        {"kl_per_dim", r.kl_per_dim}};
    if (r.iw_samples > 0) j["nll_is"] = r.nll_is;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::cout << "n " << r.n << "  -ELBO " << r.neg_elbo << " (recon " << r.recon << ", KL " << r.kl
              << ")  active units " << r.active_units << "/" << r.kl_per_dim.size();
    if (r.iw_samples > 0) std::cout << "  NLL(IS, k=" << r.iw_samples << ") " << r.nll_is;
    std::cout << std::endl;
  }
  return 0;
}

// --- sample ---

struct SampleCommand {
  std::string model, out;
  int n = 64;
  int columns = 0;
  unsigned long long seed = 1;
};

int default_columns(int n) { return std::max(1, static_cast<int>(std::ceil(std::sqrt(double(n))))); }

int run_sample(const SampleCommand& o) {
  configure_threads(ThreadProfile::Headless);
  check_option("--n", o.n, 1, 10000);
  check_option("--columns", o.columns, 0, 10000);
  check_writable(o.out);
  const auto checkpoint = load_checkpoint(o.model);
  Inference inference(checkpoint.model);
  write_png(make_grid(inference.sample(o.n, o.seed), o.columns > 0 ? o.columns : default_columns(o.n)), o.out);
  std::cerr << "wrote " << o.out << " (" << o.n << " samples)\n";
  return 0;
}

// --- export ---

struct ExportCommand {
  std::string model, data, split = "test", latents, recon, metrics, traversal, samples;
  std::size_t limit = 0;
  int recon_count = 16;
  int traversal_steps = 9;
  unsigned long long seed = 1;
};

int run_export(const ExportCommand& o) {
  configure_threads(ThreadProfile::Headless);
  if (o.latents.empty() && o.recon.empty() && o.metrics.empty() && o.traversal.empty() && o.samples.empty())
    throw ConfigError("nothing to export: give --latents, --recon, --metrics, --traversal or --samples");
  check_option("--recon-count", o.recon_count, 1, 1000);
  check_option("--traversal-steps", o.traversal_steps, 2, 100);
  if (o.split != "test" && o.split != "train") throw ConfigError("--split '" + o.split + "': expected test or train");
  for (const auto* out : {&o.latents, &o.recon, &o.metrics, &o.traversal, &o.samples})
    if (!out->empty()) check_writable(*out);
  const bool need_data = !o.latents.empty() || !o.recon.empty();
  const auto loaded = load_model(o.model, o.data, need_data);
  Inference inference(loaded.checkpoint.model);
  if (!o.metrics.empty()) {
    write_metrics_csv(loaded.checkpoint.history, o.metrics);
    std::cerr << "wrote " << o.metrics << " (" << loaded.checkpoint.history.steps.size() << " steps)\n";
  }
  if (need_data) {
    const Split& split = pick_split(*loaded.data, o.split);
    const std::size_t n = o.limit > 0 ? std::min(o.limit, split.count) : split.count;
    if (!o.latents.empty()) {
      const auto codes = inference.encode(split.pixels.data(), n);
      std::vector<int> labels(split.labels.begin(), split.labels.begin() + (split.has_labels() ? n : 0));
      write_latents_csv(codes, labels, loaded.data->class_names, o.latents);
      std::cerr << "wrote " << o.latents << " (" << n << " codes of " << codes.dims << " dimensions)\n";
    }
    if (!o.recon.empty()) {
      const std::size_t count = std::min<std::size_t>(std::max(1, o.recon_count), split.count);
      // Originals on the top row, reconstructions under them.
      std::vector<Image> tiles;
      for (std::size_t i = 0; i < count; ++i)
        tiles.push_back(o.split == "test" ? loaded.data->test_picture(i) : loaded.data->train_picture(i));
      const auto recon = inference.reconstruct(split.pixels.data(), count);
      tiles.insert(tiles.end(), recon.begin(), recon.end());
      write_png(make_grid(tiles, static_cast<int>(count)), o.recon);
      std::cerr << "wrote " << o.recon << "\n";
    }
  }
  if (!o.traversal.empty()) {
    // One row per latent dimension: z_d from -3 to 3, the other dimensions at 0 (the prior mean).
    const int dims = inference.latent_dim(), steps = std::max(2, o.traversal_steps);
    std::vector<float> z(std::size_t(dims) * dims * steps, 0.f);
    for (int d = 0; d < dims; ++d)
      for (int s = 0; s < steps; ++s) z[(std::size_t(d) * steps + s) * dims + d] = -3.f + 6.f * s / (steps - 1);
    write_png(make_grid(inference.decode(z, std::size_t(dims) * steps), steps), o.traversal);
    std::cerr << "wrote " << o.traversal << " (" << dims << " rows of " << steps << ")\n";
  }
  if (!o.samples.empty()) {
    write_png(make_grid(inference.sample(64, o.seed), 8), o.samples);
    std::cerr << "wrote " << o.samples << "\n";
  }
  return 0;
}

}  // namespace

Runner add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalCommand>();
  auto* sub =
      app.add_subcommand("eval", "Evaluate a checkpoint: -ELBO, importance-sampled log-likelihood, active units");
  sub->add_option("--model", o->model, "checkpoint file")->required();
  sub->add_option("--data", o->data, "data set (default: the one the model was trained on)");
  sub->add_option("--split", o->split, "test | train")->capture_default_str();
  sub->add_option("--iw-samples", o->iw_samples, "importance samples k for log p(x) (0 = skip)")->capture_default_str();
  sub->add_option("--limit", o->limit, "evaluate the first N examples only (0 = all)")->capture_default_str();
  sub->add_option("--batch", o->batch, "examples per batch")->capture_default_str();
  sub->add_option("--seed", o->seed, "seed of the Monte-Carlo estimates")->capture_default_str();
  sub->add_option("--scores", o->scores, "CSV of each example's -ELBO (outlier scores)");
  sub->add_flag("--json", o->json, "print one JSON object on stdout");
  return [o] { return guarded("eval", [&] { return run_eval(*o); }); };
}

Runner add_sample_command(CLI::App& app) {
  auto o = std::make_shared<SampleCommand>();
  auto* sub = app.add_subcommand("sample", "Decode z ~ N(0, I) into a PNG grid");
  sub->add_option("--model", o->model, "checkpoint file")->required();
  sub->add_option("--n", o->n, "number of samples")->capture_default_str();
  sub->add_option("--out", o->out, "PNG file to write")->required();
  sub->add_option("--seed", o->seed, "seed")->capture_default_str();
  sub->add_option("--columns", o->columns, "images per row (default: square grid)");
  return [o] { return guarded("sample", [&] { return run_sample(*o); }); };
}

Runner add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportCommand>();
  auto* sub = app.add_subcommand("export", "Export latent codes, reconstructions, traversals, samples, metrics");
  sub->add_option("--model", o->model, "checkpoint file")->required();
  sub->add_option("--data", o->data, "data set (default: the one the model was trained on)");
  sub->add_option("--split", o->split, "test | train")->capture_default_str();
  sub->add_option("--limit", o->limit, "latents: first N examples only (0 = all)");
  sub->add_option("--latents", o->latents, "CSV of latent means and log-variances with labels");
  sub->add_option("--recon", o->recon, "PNG: test images over their reconstructions");
  sub->add_option("--recon-count", o->recon_count, "images in the reconstruction grid")->capture_default_str();
  sub->add_option("--metrics", o->metrics, "CSV of the training history");
  sub->add_option("--traversal", o->traversal, "PNG: one row per latent dimension, from -3 to 3");
  sub->add_option("--traversal-steps", o->traversal_steps, "images per traversal row")->capture_default_str();
  sub->add_option("--samples", o->samples, "PNG: 64 samples");
  sub->add_option("--seed", o->seed, "seed for --samples")->capture_default_str();
  return [o] { return guarded("export", [&] { return run_export(*o); }); };
}

}  // namespace vae::cli
