#pragma once
// What the trainer publishes: an immutable picture of training at one moment. Readers (the
// window, the CLI) take the latest with Trainer::snapshot() and never wait on a training step.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/train/metrics.h"

namespace vae {

class ModelState;  // opaque here: a frozen copy of the weights (core/model/vae.h)

enum class TrainerState { Idle, Running, Paused, Finished, Failed };
const char* to_string(TrainerState state);

struct Snapshot {
  std::uint64_t version = 0;  // increases with every publication
  TrainerState state = TrainerState::Idle;
  ModelConfig model_config;
  TrainConfig train_config;  // beta and learning rate as currently in force

  std::int64_t step = 0;  // optimiser steps taken in total
  int epoch = 0;          // epochs completed
  std::int64_t steps_per_epoch = 0;
  std::int64_t step_in_epoch = 0;
  double samples_per_sec = 0;       // recent training throughput
  double eta_seconds = -1;          // to the end of the planned epochs; < 0 when unknown
  double train_seconds = 0;         // time spent in optimiser steps by this trainer (no evaluation)
  double publish_seconds = 0;       // what building this snapshot cost the worker (bench/long_run_rss.sh)
  std::int64_t train_examples = 0;  // examples those steps processed

  MetricHistory history;
  std::vector<float> kl_per_dim;  // average KL of each latent dimension over recent batches

  // Frozen weights for decoding, re-published at least every epoch and on pause/stop.
  std::shared_ptr<const ModelState> model;
  std::uint64_t model_version = 0;  // changes when `model` holds new weights

  std::string message;  // the last thing the engine wants the user to see (NaN pause, saved file)
  bool message_is_error = false;
  std::uint64_t message_id = 0;  // increases with every new message

  double progress() const;  // 0..1 over the planned epochs
};

}  // namespace vae
