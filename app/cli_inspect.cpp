// vae-explorer eval | sample | export: everything that reads a saved model.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
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

// A conditional model reads each image with its label; others need none.
std::vector<int> conditional_labels(const Inference& inference, const Split& split, std::size_t count) {
  if (!inference.capabilities().conditional) return {};
  if (!split.has_labels()) throw ConfigError("the conditional model needs labelled data; this split has no labels");
  return std::vector<int>(split.labels.begin(), split.labels.begin() + count);
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
  options.progress = [&](double fraction) { progress.update(fraction, o.split + " split", -1); };
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
  const auto capabilities = Inference(loaded.checkpoint.model).capabilities();
  const std::string loss_name = capabilities.posterior_variance ? "neg_elbo" : "loss";
  if (o.json) {
    // The headline loss under its name, then every term and statistic the model reports.
    nlohmann::json terms = nlohmann::json::object();
    for (const auto& t : r.terms) terms[t.name] = t.value;
    nlohmann::json j = {{"model", o.model},
                        {"family", capabilities.family},
                        {"data", loaded.data->spec},
                        {"split", o.split},
                        {"n", r.n},
                        {loss_name, r.neg_elbo},
                        {"terms", terms}};
    for (const auto& t : r.terms) j[t.name] = t.value;
    if (capabilities.posterior_variance) {
      j["active_units"] = r.active_units;
      j["kl_per_dim"] = r.kl_per_dim;
    }
    j["iw_samples"] = r.iw_samples;
    if (r.iw_samples > 0) j["nll_is"] = r.nll_is;
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << "n " << r.n << "  " << (capabilities.posterior_variance ? "-ELBO " : "loss ") << r.neg_elbo << " (";
    for (std::size_t t = 0; t < r.terms.size(); ++t)
      std::cout << (t ? ", " : "") << r.terms[t].name << " " << r.terms[t].value;
    std::cout << ")";
    if (capabilities.posterior_variance) std::cout << "  active units " << r.active_units << "/" << r.kl_per_dim.size();
    if (r.iw_samples > 0) std::cout << "  NLL(IS, k=" << r.iw_samples << ") " << r.nll_is;
    if (o.iw_samples > 0 && r.iw_samples == 0) std::cout << "  (no IS estimate: the model has no posterior density)";
    std::cout << std::endl;
  }
  return 0;
}

// --- sample ---

struct SampleCommand {
  std::string model, out;
  int n = 64;
  int columns = 0;
  int label = -1;
  unsigned long long seed = 1;
  std::string z_file;       // decode these latent points instead of prior draws
  std::string pixels_file;  // CSV of the decoded means, one image per row
};

// Latent points from a text file: numbers separated by commas, spaces or newlines, `dims` per
// point. Bounded: at most 10000 points.
std::vector<float> read_latent_points(const std::string& path, int dims) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open the latent points (no such file or no permission)");
  std::vector<float> z;
  std::string token;
  char c;
  auto flush = [&] {
    if (token.empty()) return;
    char* end = nullptr;
    const float value = std::strtof(token.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value))
      throw DataError(path + ": '" + token.substr(0, 40) + "' is not a finite number");
    z.push_back(value);
    if (z.size() > std::size_t(10000) * dims) throw DataError(path + ": more than 10000 latent points");
    token.clear();
  };
  while (in.get(c)) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c)))
      flush();
    else if (token.size() < 64)
      token += c;
    else
      throw DataError(path + ": a number longer than 64 characters");
  }
  flush();
  if (z.empty() || z.size() % dims != 0)
    throw DataError(path + ": " + std::to_string(z.size()) + " numbers do not make whole points of " +
                    std::to_string(dims) + " dimensions");
  return z;
}

int default_columns(int n) { return std::max(1, static_cast<int>(std::ceil(std::sqrt(double(n))))); }

int run_sample(const SampleCommand& o) {
  configure_threads(ThreadProfile::Headless);
  if (o.n < 1 || o.n > 10000) throw ConfigError("--n must be between 1 and 10000");
  const auto checkpoint = load_model_file(o.model);
  Inference inference(checkpoint.model);
  const auto& capabilities = inference.capabilities();
  if (o.label >= 0 && !capabilities.conditional)
    throw ConfigError("--class needs a conditional model; " + o.model + " holds a " + capabilities.family);
  if (o.label >= capabilities.num_classes() && capabilities.conditional)
    throw ConfigError("--class " + std::to_string(o.label) + " is out of range: the model has " +
                      std::to_string(capabilities.num_classes()) + " classes (0 to " +
                      std::to_string(capabilities.num_classes() - 1) + ")");
  // Conditional models without --class: one column per class, so each row shows every class.
  const int columns = o.columns > 0                             ? o.columns
                      : capabilities.conditional && o.label < 0 ? capabilities.num_classes()
                                                                : default_columns(o.n);
  std::vector<Image> images;
  if (!o.z_file.empty()) {
    const auto z = read_latent_points(o.z_file, inference.latent_dim());
    const std::size_t count = z.size() / inference.latent_dim();
    std::vector<int> labels;
    if (capabilities.conditional) {
      if (o.label < 0) throw ConfigError("--z with a conditional model needs --class");
      labels = {o.label};
    }
    images = inference.decode(z, count, labels);
  } else {
    images = inference.sample(o.n, o.seed, o.label);
  }
  if (!o.pixels_file.empty()) {
    std::ostringstream csv;
    char number[32];
    for (const auto& image : images) {
      for (std::size_t i = 0; i < image.pixels.size(); ++i) {
        std::snprintf(number, sizeof number, "%s%.9g", i ? "," : "", image.pixels[i]);
        csv << number;
      }
      csv << '\n';
    }
    write_file_atomically(o.pixels_file, csv.str());
  }
  write_png(make_grid(images, columns), o.out);
  std::cerr << "wrote " << o.out << " (" << images.size() << " images";
  if (capabilities.conditional)
    std::cerr << (o.label >= 0 ? ", class " + capabilities.class_names[o.label] : ", classes in turn");
  if (capabilities.prior != "N(0, I)") std::cerr << ", prior: " << capabilities.prior;
  std::cerr << ")\n";
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
      std::vector<int> labels(split.labels.begin(), split.labels.begin() + (split.has_labels() ? n : 0));
      const auto codes = inference.encode(split.pixels.data(), n, 1000, conditional_labels(inference, split, n));
      write_latents_csv(codes, labels, loaded.data->class_names, o.latents);
      std::cerr << "wrote " << o.latents << " (" << n << " codes of " << codes.dims << " dimensions)\n";
    }
    if (!o.recon.empty()) {
      const std::size_t count = std::min<std::size_t>(std::max(1, o.recon_count), split.count);
      // Originals on the top row, reconstructions under them.
      std::vector<Image> tiles;
      for (std::size_t i = 0; i < count; ++i) tiles.push_back(o.split == "test" ? loaded.data->test_picture(i)
                                                                                 : loaded.data->train_picture(i));
      const auto recon = inference.reconstruct(split.pixels.data(), count, conditional_labels(inference, split, count));
      tiles.insert(tiles.end(), recon.begin(), recon.end());
      write_png(make_grid(tiles, static_cast<int>(count)), o.recon);
      std::cerr << "wrote " << o.recon << "\n";
    }
  }
  if (!o.traversal.empty() && !inference.capabilities().continuous_latent)
    throw ConfigError("--traversal needs a continuous latent; a " + inference.capabilities().family +
                      " has discrete codes");
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
  auto* sub = app.add_subcommand("eval", "Evaluate a checkpoint: -ELBO, importance-sampled log-likelihood, active units");
  sub->add_option("--model", o->model, "checkpoint or TorchScript (.pt) file")->required();
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
  auto* sub = app.add_subcommand("sample", "Decode draws from the model's prior into a PNG grid");
  sub->add_option("--model", o->model, "checkpoint or TorchScript (.pt) file")->required();
  sub->add_option("--n", o->n, "number of samples")->capture_default_str();
  sub->add_option("--out", o->out, "PNG file to write")->required();
  sub->add_option("--seed", o->seed, "seed")->capture_default_str();
  sub->add_option("--z", o->z_file, "decode these latent points (text: numbers, latent-size per point) instead");
  sub->add_option("--pixels", o->pixels_file, "also write the decoded means as CSV, one image per row");
  sub->add_option("--class", o->label, "conditional models: draw every sample for this class (0-based)");
  sub->add_option("--columns", o->columns, "images per row (default: square grid)");
  return [o] { return guarded("sample", [&] { return run_sample(*o); }); };
}

Runner add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportCommand>();
  auto* sub = app.add_subcommand("export", "Export latent codes, reconstructions, traversals, samples, metrics");
  sub->add_option("--model", o->model, "checkpoint or TorchScript (.pt) file")->required();
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
