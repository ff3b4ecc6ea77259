#include "app/cli_common.h"

#include <signal.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/format.h"
#include "core/errors.h"

namespace vae::cli {

namespace {
double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

namespace {
std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted.store(true); }

// Ctrl+C sets the flag instead of killing the process, so long work stops between steps and
// nothing is left half-written; a second Ctrl+C kills as usual.
class InterruptHandler {
 public:
  InterruptHandler() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_);
    // Past a file size limit (ulimit -f) a write should fail and be reported, keeping the old
    // file, not kill the process.
    std::signal(SIGXFSZ, SIG_IGN);
  }
  ~InterruptHandler() { ::sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_ {};
};
}  // namespace

const std::atomic<bool>* interrupt_flag() { return &interrupted; }

void check_option(const char* option, double value, double lowest, double highest) {
  if (!(value >= lowest && value <= highest)) {
    auto text = [](double v) {
      std::ostringstream out;
      if (v == std::floor(v) && std::fabs(v) < 1e15)
        out << static_cast<long long>(v);
      else
        out << v;
      return out.str();
    };
    std::ostringstream message;
    message << option << " " << text(value) << " is out of range: choose " << text(lowest) << " to " << text(highest);
    throw ConfigError(message.str());
  }
}

void check_model_data_options(const ModelDataOptions& o) {
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
  check_option("--codebook", o.codebook, 2, 4096);
  check_option("--code-dim", o.code_dim, 1, 1024);
  check_option("--commitment", o.commitment, 0, 100);
}

int guarded(const char* command, const std::function<int()>& body) {
  InterruptHandler handler;
  interrupted.store(false);
  auto stopped = [&] {
    std::cerr << "\nvae-explorer " << command << ": interrupted (Ctrl+C); no file was left half-written\n";
    return kExitInterrupted;
  };
  try {
    const int code = body();
    return interrupted.load() ? stopped() : code;
  } catch (const std::exception& error) {
    if (interrupted.load()) return stopped();
    std::cerr << "vae-explorer " << command << ": " << error.what() << "\n";
    return dynamic_cast<const ConfigError*>(&error) ? kExitUsage : kExitFailure;
  }
}

ProgressLine::ProgressLine(std::string label) : label_(std::move(label)), tty_(::isatty(STDERR_FILENO)) {}

void ProgressLine::update(double fraction, const std::string& detail, double eta_seconds) {
  const double now = now_seconds();
  if (now - last_draw_ < (tty_ ? 0.2 : 10.0)) return;
  last_draw_ = now;
  constexpr int kBar = 24;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBar);
  std::string line = label_ + " [" + std::string(filled, '#') + std::string(kBar - filled, '-') + "] ";
  char percent[16];
  std::snprintf(percent, sizeof percent, "%3.0f%% ", 100 * std::clamp(fraction, 0.0, 1.0));
  line += percent + detail + "  ETA " + format_duration(eta_seconds);
  if (tty_) {
    const std::size_t width = line.size();
    if (width < last_width_) line += std::string(last_width_ - width, ' ');
    last_width_ = width;
    std::cerr << '\r' << line << std::flush;
  } else {
    std::cerr << line << '\n' << std::flush;
  }
}

void ProgressLine::note(const std::string& text) {
  if (tty_ && last_width_ > 0) std::cerr << '\r' << std::string(last_width_, ' ') << '\r';
  std::cerr << text << '\n' << std::flush;
  last_draw_ = -1e9;  // redraw the bar at the next update
}

void ProgressLine::finish(const std::string& detail) {
  if (tty_ && last_width_ > 0) std::cerr << '\r' << std::string(last_width_, ' ') << '\r';
  std::cerr << label_ << " done: " << detail << '\n' << std::flush;
}

std::shared_ptr<const Dataset> load_data_with_message(const DataSpec& spec) {
  const double start = now_seconds();
  auto data = load_dataset(spec);
  std::cerr << "data: " << data->name << ", " << data->train.count << " train / " << data->test.count
            << " test images of " << data->channels << "x" << data->height << "x" << data->width << " ("
            << std::lround(1000 * (now_seconds() - start)) << " ms)\n";
  return data;
}

ModelConfig ModelDataOptions::model_config() const {
  ModelConfig config;
  if (model == "vqvae") {
    config.family = ModelFamily::VqVae;
    config.kind = ModelKind::Conv;
    config.codebook = codebook;
    config.code_dim = code_dim;
    config.commitment = commitment;
  } else {
    config.kind = parse_model_kind(model);
  }
  config.hidden = hidden;
  config.latent = latent;
  config.likelihood = parse_likelihood(likelihood);
  config.learn_variance = learn_variance;
  config.gaussian_sigma = sigma;
  return config;
}

TrainConfig ModelDataOptions::train_config() const {
  TrainConfig config;
  config.beta = beta;
  config.learning_rate = lr;
  config.batch_size = batch;
  config.epochs = epochs;
  config.seed = seed;
  config.iw_samples = iw_samples;
  config.iw_limit = iw_limit;
  return config;
}

DataSpec ModelDataOptions::data_spec() const {
  DataSpec spec = DataSpec::parse(data);
  spec.image_size = image_size;
  spec.rgb = rgb;
  spec.test_fraction = test_fraction;
  spec.seed = seed;
  return spec;
}

void add_model_data_options(CLI::App& app, ModelDataOptions& o) {
  app.add_option("--data", o.data, "fashion-mnist | idx:DIR | images:DIR | synthetic")->capture_default_str();
  app.add_option("--model", o.model, "mlp | conv | vqvae")->capture_default_str();
  app.add_flag("--conditional", o.conditional,
               "conditional VAE p(x | y, z) on the data set's class labels (needs labelled data)");
  app.add_option("--codebook", o.codebook, "VQ-VAE: codebook entries K")->capture_default_str();
  app.add_option("--code-dim", o.code_dim, "VQ-VAE: length of each code vector")->capture_default_str();
  app.add_option("--commitment", o.commitment, "VQ-VAE: weight of the commitment loss")->capture_default_str();
  app.add_option("--hidden", o.hidden, "hidden layer widths (MLP), dense width (conv)")->capture_default_str();
  app.add_option("--latent", o.latent, "latent dimensions, 1..256")->capture_default_str();
  app.add_option("--likelihood", o.likelihood, "bernoulli | gaussian | cbernoulli")->capture_default_str();
  app.add_flag("--learn-variance", o.learn_variance, "Gaussian: learn the noise level");
  app.add_option("--sigma", o.sigma, "Gaussian: fixed (or initial) sigma")->capture_default_str();
  app.add_option("--beta", o.beta, "weight of the KL term (0 = plain autoencoder)")->capture_default_str();
  app.add_option("--epochs", o.epochs, "epochs in total (with --resume: the total to reach)")->capture_default_str();
  app.add_option("--batch", o.batch, "batch size")->capture_default_str();
  app.add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed (weights, shuffling, noise)")->capture_default_str();
  app.add_option("--iw-samples", o.iw_samples, "importance samples for log p(x) after each epoch (0 = off)")
      ->capture_default_str();
  app.add_option("--iw-limit", o.iw_limit, "... on this many test images")->capture_default_str();
  app.add_option("--image-size", o.image_size, "images:DIR: resize to this square size")->capture_default_str();
  app.add_flag("--rgb", o.rgb, "images:DIR: keep colour");
  app.add_option("--test-fraction", o.test_fraction, "images:DIR: share of each class held out for testing")
      ->capture_default_str();
}

LoadedModel load_model(const std::string& path, const std::string& data_spec, bool need_data) {
  LoadedModel loaded;
  loaded.checkpoint = load_model_file(path);
  if (need_data) {
    loaded.data = load_data_with_message(data_spec_for(loaded.checkpoint, data_spec));
    if (!loaded.checkpoint.data_identity.empty() && loaded.data->identity() != loaded.checkpoint.data_identity)
      std::cerr << "note: the model was trained on " << loaded.checkpoint.data_identity << "\n";
  }
  return loaded;
}

}  // namespace vae::cli
