#pragma once
// Shared pieces of the command-line front end: exit codes, the terminal progress line, loading
// a checkpoint together with its data set.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/io/model_file.h"
#include "core/train/snapshot.h"

namespace CLI {
class App;
}

namespace vae::cli {

// Exit codes: 0 success, 1 the work failed (bad file, NaN, I/O), 2 the request was wrong
// (unknown option, impossible settings).
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Exit code after Ctrl+C (128 + SIGINT), as shells report it.
constexpr int kExitInterrupted = 130;

// Runs `body`, turning every error into a message on stderr and an exit code; Ctrl+C during
// `body` sets interrupt_flag() (long work checks it and stops) and ends in kExitInterrupted.
int guarded(const char* command, const std::function<int()>& body);

// Set by SIGINT while guarded() runs; pass it as a cancel flag to long work.
const std::atomic<bool>* interrupt_flag();

// Throws ConfigError naming the option unless lowest <= value <= highest.
void check_option(const char* option, double value, double lowest, double highest);

// A one-line progress display on stderr: redrawn in place on a terminal, a line every few
// seconds otherwise (logs, CI).
class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  void update(double fraction, const std::string& detail, double eta_seconds);
  void finish(const std::string& detail);
  // Writes a message on its own line without breaking the progress display.
  void note(const std::string& text);

 private:
  std::string label_;
  bool tty_;
  double last_draw_ = -1e9;
  std::size_t last_width_ = 0;
};

// The model, data and optimiser options, defined once for `train` and the window so both take
// the same command line (--data, --model, --image-size, --rgb, --sigma, --iw-samples, ...).
struct ModelDataOptions {
  std::string data = "fashion-mnist";
  std::string model = "mlp";
  std::vector<int> hidden = {400};
  int latent = 20;
  std::string likelihood = "bernoulli";
  bool conditional = false;  // train: a conditional VAE on the data's labels (classes set from the data)
  int codebook = 64;         // --model vqvae: codebook entries
  int code_dim = 16;         // --model vqvae: length of each code vector
  double commitment = 0.25;  // --model vqvae: weight of the commitment loss
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

  // The model as asked for; its image shape is the data's, set once the data is known.
  // Throws ConfigError naming the option for an unknown model or likelihood.
  ModelConfig model_config() const;
  TrainConfig train_config() const;
  // --data with the image-folder options and the seed (which picks an image folder's split).
  DataSpec data_spec() const;
};
// Registers the options above on `app` (a command or an option group).
void add_model_data_options(CLI::App& app, ModelDataOptions& options);
// Every number of those options within its range, with the option's name (ConfigError), for
// `train` and the window alike.
void check_model_data_options(const ModelDataOptions& options);

struct LoadedModel {
  Checkpoint checkpoint;
  std::shared_ptr<const Dataset> data;  // null unless asked for
};
// Loads a checkpoint or a TorchScript model and, when `need_data`, the data set: `data_spec` when given, else the one
// the model was trained on. Warns on stderr when the data differ from the training data.
LoadedModel load_model(const std::string& path, const std::string& data_spec, bool need_data);

std::shared_ptr<const Dataset> load_data_with_message(const DataSpec& spec);

}  // namespace vae::cli
