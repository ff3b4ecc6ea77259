// libFuzzer target: resuming. A checkpoint that loads is resumed on a small data set of 4x4
// images and trained two steps (through an epoch boundary when it stopped one step short):
// the optimiser state, generator state, epoch order and counters all reach the session.
#include <torch/torch.h>

#include <random>

#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/train/session.h"

namespace {

std::shared_ptr<const vae::Dataset> tiny_data() {
  static const auto data = [] {
    vae::Dataset d;
    d.name = "fuzz";
    d.channels = 1;
    d.height = d.width = 4;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> unit(0, 1);
    for (auto* split : {&d.train, &d.test}) {
      split->count = 12;
      for (int i = 0; i < 12 * 16; ++i) split->pixels.push_back(unit(rng));
    }
    return std::make_shared<const vae::Dataset>(std::move(d));
  }();
  return data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool once = [] {
    torch::set_num_threads(1);
    return true;
  }();
  (void)once;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto checkpoint = vae::parse_checkpoint(bytes, "fuzz-input", /*verify_checksum=*/false);
    auto train = checkpoint.train_config;
    train.iw_samples = 0;  // the test set's log-likelihood is evaluate()'s business, not resuming's
    vae::TrainingSession session(tiny_data(), checkpoint, train);
    for (int i = 0; i < 2 && !session.planned_epochs_done(); ++i) {
      if (session.epoch_complete())
        session.evaluate_epoch(nullptr);
      else
        session.train_step();
    }
    (void)session.make_checkpoint();
  } catch (const vae::Error&) {  // CheckpointError, ConfigError (model of another shape, batch too large)
  }
  return 0;
}
