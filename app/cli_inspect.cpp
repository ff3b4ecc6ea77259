// vae-explorer eval | sample | export: everything that reads a saved model.
#include <chrono>

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
#include "core/eval/traversal.h"
#include "core/io/export.h"
#include "core/io/gif.h"
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
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
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
  check_option("--n", o.n, 1, 10000);
  check_option("--columns", o.columns, 0, 10000);
  check_writable(o.out);
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

// Examples whose posteriors give the traversal labels their KL and activity.
constexpr std::size_t kTraversalStatisticsExamples = 1000;

struct ExportCommand {
  std::string model, data, split = "test", latents, recon, metrics, traversal, traversal_gif, interpolation_gif,
                           samples;
  std::size_t limit = 0;
  int recon_count = 16;
  int traversal_steps = 9;
  double traversal_range = 3;
  int gif_delay_cs = 25;
  int gif_zoom = 2;
  std::size_t from = 0, to = 1;
  int interpolation_steps = 16;
  bool linear = false;
  unsigned long long seed = 1;
};

int run_export(const ExportCommand& o) {
  configure_threads(ThreadProfile::Headless);
  const bool traversals = !o.traversal.empty() || !o.traversal_gif.empty();
  if (o.latents.empty() && o.recon.empty() && o.metrics.empty() && !traversals && o.samples.empty() &&
      o.interpolation_gif.empty())
    throw ConfigError(
        "nothing to export: give --latents, --recon, --metrics, --traversal, --traversal-gif, --interpolation-gif or "
        "--samples");
  check_option("--recon-count", o.recon_count, 1, 1000);
  check_option("--traversal-steps", o.traversal_steps, 2, 100);
  check_option("--gif-zoom", o.gif_zoom, 1, 16);
  check_option("--interpolation-steps", o.interpolation_steps, 2, 1000);
  check_option("--gif-delay", o.gif_delay_cs, 1, 6000);
  if (!(o.traversal_range > 0 && o.traversal_range <= 100))
    throw ConfigError("--traversal-range " + std::to_string(o.traversal_range) + " is out of range (0, 100]");
  if (o.split != "test" && o.split != "train") throw ConfigError("--split '" + o.split + "': expected test or train");
  for (const auto* out :
       {&o.latents, &o.recon, &o.metrics, &o.traversal, &o.samples, &o.traversal_gif, &o.interpolation_gif})
    if (!out->empty()) check_writable(*out);
  // Traversal labels need each dimension's KL and activity, measured on the data.
  const bool need_data = !o.latents.empty() || !o.recon.empty() || traversals || !o.interpolation_gif.empty();
  const auto loaded = load_model(o.model, o.data, need_data);
  Inference inference(loaded.checkpoint.model);
  if (!o.metrics.empty()) {
    write_metrics_csv(loaded.checkpoint.history, o.metrics);
    std::cerr << "wrote " << o.metrics << " (" << loaded.checkpoint.history.steps.describe() << ")\n";
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
      for (std::size_t i = 0; i < count; ++i)
        tiles.push_back(o.split == "test" ? loaded.data->test_picture(i) : loaded.data->train_picture(i));
      const auto recon = inference.reconstruct(split.pixels.data(), count, conditional_labels(inference, split, count));
      tiles.insert(tiles.end(), recon.begin(), recon.end());
      write_png(make_grid(tiles, static_cast<int>(count)), o.recon);
      std::cerr << "wrote " << o.recon << "\n";
    }
  }
  if ((traversals || !o.interpolation_gif.empty()) && !inference.capabilities().continuous_latent)
    throw ConfigError("--traversal, --traversal-gif and --interpolation-gif need a continuous latent; a " +
                      inference.capabilities().family + " has discrete codes");
  if (traversals) {
    // One row per latent dimension, sorted by KL: z_d over [-range, range] around the prior
    // mean 0, the other dimensions at 0; labelled with the dimension, its KL and activity.
    const Split& split = pick_split(*loaded.data, o.split);
    EvalOptions eval;
    eval.limit = std::min<std::size_t>(split.count, kTraversalStatisticsExamples);
    eval.seed = o.seed;
    const auto stats = evaluate(*loaded.checkpoint.model, *loaded.data, split, eval);
    TraversalOptions options;
    options.steps = o.traversal_steps;
    options.range = o.traversal_range;
    options.kl_per_dim = stats.kl_per_dim;
    options.activity = stats.mean_variance_per_dim;
    const auto traversal = compute_traversal(inference, options);
    if (!o.traversal.empty()) {
      write_png(traversal_sheet(traversal), o.traversal);
      std::cerr << "wrote " << o.traversal << " (" << traversal.dims.size() << " rows of " << traversal.steps << ")\n";
    }
    if (!o.traversal_gif.empty()) {
      const auto frames = traversal_frames(traversal, o.gif_zoom);
      write_gif(frames, o.traversal_gif, o.gif_delay_cs);
      std::cerr << "wrote " << o.traversal_gif << " (" << frames.size() << " frames of " << frames.front().width << "x"
                << frames.front().height << ")\n";
    }
  }
  if (!o.interpolation_gif.empty()) {
    const Split& split = pick_split(*loaded.data, o.split);
    if (o.from >= split.count || o.to >= split.count)
      throw ConfigError("--from/--to: the " + o.split + " split has " + std::to_string(split.count) + " images");
    const std::size_t size = loaded.data->image_size();
    const auto a = inference.encode(split.pixels.data() + o.from * size, 1).mu;
    const auto b = inference.encode(split.pixels.data() + o.to * size, 1).mu;
    const auto frames = interpolation_frames(inference, a, b, o.interpolation_steps, !o.linear, o.gif_zoom * 2);
    write_gif(frames, o.interpolation_gif, o.gif_delay_cs);
    std::cerr << "wrote " << o.interpolation_gif << " (" << frames.size() << " frames)\n";
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
  sub->add_option("--traversal", o->traversal,
                  "PNG: one row per latent dimension (sorted by KL, labelled), from -range to range");
  sub->add_option("--traversal-gif", o->traversal_gif,
                  "animated GIF of the traversal: one frame per step, every dimension's tile in each frame");
  sub->add_option("--traversal-steps", o->traversal_steps, "images per traversal row / GIF frames")
      ->capture_default_str();
  sub->add_option("--traversal-range", o->traversal_range, "traversal extent in prior standard deviations")
      ->capture_default_str();
  sub->add_option("--interpolation-gif", o->interpolation_gif,
                  "animated GIF of the decodes on the path between images --from and --to of the split");
  sub->add_option("--from", o->from, "interpolation: index of the first image")->capture_default_str();
  sub->add_option("--to", o->to, "interpolation: index of the last image")->capture_default_str();
  sub->add_option("--interpolation-steps", o->interpolation_steps, "interpolation: frames")->capture_default_str();
  sub->add_flag("--linear", o->linear, "interpolation: straight line instead of spherical (slerp)");
  sub->add_option("--gif-delay", o->gif_delay_cs, "GIF: hundredths of a second per frame")->capture_default_str();
  sub->add_option("--gif-zoom", o->gif_zoom, "GIF: enlarge each decoded image this many times")->capture_default_str();
  sub->add_option("--samples", o->samples, "PNG: 64 samples");
  sub->add_option("--seed", o->seed, "seed for --samples")->capture_default_str();
  return [o] { return guarded("export", [&] { return run_export(*o); }); };
}

}  // namespace vae::cli
