// vae-explorer train: trains in the background trainer, shows a progress line, saves after
// every epoch, prints the final test metrics (as JSON with --json).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_common.h"
#include "app/commands.h"
#include "core/errors.h"
#include "core/eval/inference.h"
#include "core/io/export.h"
#include "core/runtime/runtime.h"
#include "core/train/trainer.h"

namespace vae::cli {

namespace {

struct TrainOptions {
  std::string data = "fashion-mnist";
  std::string model = "mlp";
  std::vector<int> hidden = {400};
  int latent = 20;
  std::string likelihood = "bernoulli";
  bool learn_variance = false;
  double sigma = 0.1;
  double beta = 1;
  int epochs = 10;
  int batch = 128;
  double lr = 1e-3;
  unsigned long long seed = 1;
  int iw_samples = 0;
  int iw_limit = 1000;
  int image_size = 28;
  bool rgb = false;
  double test_fraction = 0.1;
  std::string out;
  std::string resume;
  std::string samples;
  bool json = false;
  int torch_threads = 0;
};

nlohmann::json epoch_json(const EpochMetrics& e) {
  nlohmann::json j = {{"epoch", e.epoch},
                      {"step", e.step},
                      {"train_neg_elbo", e.train_neg_elbo},
                      {"test_neg_elbo", e.test_neg_elbo},
                      {"test_recon", e.test_recon},
                      {"test_kl", e.test_kl},
                      {"active_units", e.active_units}};
  if (e.iw_samples > 0) {
    j["test_nll_is"] = e.test_nll_is;
    j["iw_samples"] = e.iw_samples;
  }
  return j;
}

// Every number an option can take is checked here, with the option's name, before any work.
void check_options(const TrainOptions& o) {
  if (o.hidden.empty() || o.hidden.size() > 64) throw ConfigError("--hidden takes 1 to 64 layer widths");
  for (int width : o.hidden) check_option("--hidden", width, 1, 8192);
  check_option("--latent", o.latent, 1, 256);
  check_option("--sigma", o.sigma, 1e-4, 99);
  check_option("--beta", o.beta, 0, 1000);
  check_option("--epochs", o.epochs, 0, 100000);
  check_option("--batch", o.batch, 1, 65536);
  if (!(o.lr > 0 && o.lr < 10))
    throw ConfigError("--lr " + std::to_string(o.lr) + " is out of range: choose above 0 and below 10");
  check_option("--iw-samples", o.iw_samples, 0, 100000);
  check_option("--iw-limit", o.iw_limit, 1, 10000000);
  check_option("--image-size", o.image_size, 4, 256);
  if (!(o.test_fraction > 0 && o.test_fraction < 1))
    throw ConfigError("--test-fraction " + std::to_string(o.test_fraction) +
                      " is out of range: choose above 0 and below 1");
  check_option("--torch-threads", o.torch_threads, 0, 256);
}

int run_train(const TrainOptions& o, const CLI::App& sub) {
  check_options(o);
  // Before any work: a run that cannot be saved is found out now, not after hours of training.
  if (!o.out.empty()) check_writable(o.out);
  if (!o.samples.empty()) check_writable(o.samples);
  std::cerr << "threads: " << configure_threads(ThreadProfile::Headless, o.torch_threads) << "\n";
  if (detect_blas().is_reference)
    std::cerr << "warning: the netlib reference BLAS is active; training will be about 10x slower. "
                 "Install libopenblas0-pthread (tools/install-deps does).\n";

  std::unique_ptr<Checkpoint> checkpoint;
  TrainConfig train;
  if (!o.resume.empty()) {
    checkpoint = std::make_unique<Checkpoint>(load_checkpoint(o.resume));
    if (!checkpoint->load_note.empty()) std::cerr << "note: " << o.resume << ": " << checkpoint->load_note << "\n";
    train = checkpoint->train_config;  // what was set explicitly below overrides it
  }
  auto given = [&](const char* name) { return sub.count(name) > 0; };
  if (!checkpoint || given("--beta")) train.beta = o.beta;
  if (!checkpoint || given("--lr")) train.learning_rate = o.lr;
  if (!checkpoint || given("--batch")) train.batch_size = o.batch;
  if (!checkpoint || given("--epochs")) train.epochs = o.epochs;
  if (!checkpoint || given("--seed")) train.seed = o.seed;
  if (!checkpoint || given("--iw-samples")) train.iw_samples = o.iw_samples;
  if (!checkpoint || given("--iw-limit")) train.iw_limit = o.iw_limit;
  train.validate();

  DataSpec spec;
  if (checkpoint) {
    spec = data_spec_for(*checkpoint, given("--data") ? o.data : "");
  } else {
    spec = DataSpec::parse(o.data);
    spec.image_size = o.image_size;
    spec.rgb = o.rgb;
    spec.test_fraction = o.test_fraction;
    spec.seed = train.seed;
  }
  const auto data = load_data_with_message(spec);

  std::unique_ptr<Trainer> trainer;
  if (checkpoint) {
    try {
      trainer = std::make_unique<Trainer>(data, *checkpoint, train);
    } catch (const CheckpointError& error) {
      throw CheckpointError(o.resume + ": " + error.what());
    }
    std::cerr << "resuming " << o.resume << " at epoch " << checkpoint->epoch << ", step " << checkpoint->step << "\n";
  } else {
    ModelConfig model;
    model.kind = parse_model_kind(o.model);
    model.channels = data->channels;
    model.height = data->height;
    model.width = data->width;
    model.hidden = o.hidden;
    model.latent = o.latent;
    model.likelihood = parse_likelihood(o.likelihood);
    model.learn_variance = o.learn_variance;
    model.gaussian_sigma = o.sigma;
    trainer = std::make_unique<Trainer>(data, model, train);
  }
  const auto first = trainer->snapshot();
  std::cerr << "model: " << first->model_config.describe() << "; beta " << train.beta << ", Adam lr "
            << train.learning_rate << ", batch " << train.batch_size << ", " << train.epochs << " epochs\n";
  if (!first->message.empty()) std::cerr << "note: " << first->message << "\n";

  ProgressLine progress("train");
  std::size_t epochs_reported = first->history.epochs.size();
  std::uint64_t messages_seen = first->message_id;
  const auto* interrupted = interrupt_flag();
  bool stop_sent = false;
  trainer->set_progress_callback([&](const Snapshot& s) {
    if (interrupted->load() && !stop_sent) {
      stop_sent = true;  // Ctrl+C: stop after this step; the state is saved below
      trainer->stop();
    }
    for (; epochs_reported < s.history.epochs.size(); ++epochs_reported) {
      const auto& e = s.history.epochs[epochs_reported];
      char line[256];
      std::snprintf(line, sizeof line,
                    "epoch %d/%d: train -ELBO %.2f, test -ELBO %.2f (recon %.2f, KL %.2f), %d active units", e.epoch,
                    s.train_config.epochs, e.train_neg_elbo, e.test_neg_elbo, e.test_recon, e.test_kl, e.active_units);
      std::string text = line;
      if (e.iw_samples > 0) text += ", NLL(IS k=" + std::to_string(e.iw_samples) + ") " + std::to_string(e.test_nll_is);
      progress.note(text);
    }
    if (s.message_id != messages_seen) {
      messages_seen = s.message_id;
      if (s.message_is_error || s.message.rfind("saved", 0) != 0)
        progress.note((s.message_is_error ? "error: " : "") + s.message);
    }
    if (s.state == TrainerState::Running && !s.history.steps.empty()) {
      const auto& last = s.history.steps.back();
      char detail[128];
      std::snprintf(detail, sizeof detail, "epoch %d/%d step %lld  -ELBO %.1f  %.0f samples/s", s.epoch + 1,
                    s.train_config.epochs, static_cast<long long>(s.step), last.neg_elbo, s.samples_per_sec);
      progress.update(s.progress(), detail, s.eta_seconds);
    }
  });
  if (!o.out.empty()) trainer->set_autosave_path(o.out);
  trainer->start();
  trainer->wait_until_done();
  trainer->set_progress_callback(nullptr);

  const auto last = trainer->snapshot();
  if (interrupted->load()) {
    if (!o.out.empty() && last->state != TrainerState::Failed) {
      trainer->save_checkpoint(o.out);  // atomically: the file is the old one or the new one
      trainer->wait_until_done();
      const auto saved = trainer->snapshot();
      std::cerr << "\n" << (saved->message_is_error ? "could not save: " : "") << saved->message << "\n";
    }
    return kExitInterrupted;
  }
  if (last->state == TrainerState::Failed || last->message_is_error) {
    std::cerr << "vae-explorer train: " << last->message << "\n";
    const bool save_failed = last->message.rfind("autosave failed", 0) == 0;
    if (!o.out.empty() && last->state != TrainerState::Failed && !save_failed) {
      trainer->save_checkpoint(o.out);  // keep what was learned up to the last good step
      trainer->wait_until_done();
    }
    return kExitFailure;
  }
  if (!o.out.empty() && (last->history.epochs.empty() || last->history.epochs.back().step != last->step)) {
    trainer->save_checkpoint(o.out);
    trainer->wait_until_done();
    const auto saved = trainer->snapshot();
    if (saved->message_is_error) throw IoError(saved->message);
  }
  const double rate = last->train_seconds > 0 ? last->train_examples / last->train_seconds : 0;
  progress.finish(std::to_string(last->epoch) + " epochs, " + std::to_string(last->step) + " steps, " +
                  std::to_string(static_cast<long>(rate)) + " samples/s" + (o.out.empty() ? "" : ", saved " + o.out));

  if (!o.samples.empty()) {
    Inference inference(last->model);
    write_png(make_grid(inference.sample(64, train.seed), 8), o.samples);
    std::cerr << "wrote " << o.samples << "\n";
  }
  if (o.json) {
    nlohmann::json result = {{"epochs", last->epoch},
                             {"steps", last->step},
                             {"samples_per_sec", rate},
                             {"train_seconds", last->train_seconds},
                             {"model", last->model_config.describe()},
                             {"data", data->spec}};
    if (!last->history.epochs.empty()) {
      const auto& e = last->history.epochs.back();
      result.update(epoch_json(e));
    }
    if (!o.out.empty()) result["checkpoint"] = o.out;
    std::cout << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  return 0;
}

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand("train", "Train a VAE (or continue a checkpoint with --resume)");
  sub->add_option("--data", options->data, "fashion-mnist | idx:DIR | images:DIR | synthetic")->capture_default_str();
  sub->add_option("--model", options->model, "mlp | conv")->capture_default_str();
  sub->add_option("--hidden", options->hidden, "hidden layer widths (MLP), dense width (conv)")->capture_default_str();
  sub->add_option("--latent", options->latent, "latent dimensions, 1..256")->capture_default_str();
  sub->add_option("--likelihood", options->likelihood, "bernoulli | gaussian | cbernoulli")->capture_default_str();
  sub->add_flag("--learn-variance", options->learn_variance, "Gaussian: learn the noise level");
  sub->add_option("--sigma", options->sigma, "Gaussian: fixed (or initial) sigma")->capture_default_str();
  sub->add_option("--beta", options->beta, "weight of the KL term (0 = plain autoencoder)")->capture_default_str();
  sub->add_option("--epochs", options->epochs, "epochs in total (with --resume: the total to reach)")
      ->capture_default_str();
  sub->add_option("--batch", options->batch, "batch size")->capture_default_str();
  sub->add_option("--lr", options->lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--seed", options->seed, "random seed (weights, shuffling, noise)")->capture_default_str();
  sub->add_option("--iw-samples", options->iw_samples, "importance samples for log p(x) after each epoch (0 = off)")
      ->capture_default_str();
  sub->add_option("--iw-limit", options->iw_limit, "... on this many test images")->capture_default_str();
  sub->add_option("--image-size", options->image_size, "images:DIR: resize to this square size")->capture_default_str();
  sub->add_flag("--rgb", options->rgb, "images:DIR: keep colour");
  sub->add_option("--test-fraction", options->test_fraction, "images:DIR: share of each class held out for testing")
      ->capture_default_str();
  sub->add_option("--out", options->out, "checkpoint to write (after every epoch, atomically)");
  sub->add_option("--resume", options->resume, "checkpoint to continue from");
  sub->add_option("--samples", options->samples, "write a PNG grid of 64 samples at the end");
  sub->add_flag("--json", options->json, "print the final metrics as one JSON object on stdout");
  sub->add_option("--torch-threads", options->torch_threads,
                  "torch intra-op threads (default: the measured 2 headless)");
  return [options, sub] { return guarded("train", [&] { return run_train(*options, *sub); }); };
}

}  // namespace vae::cli
