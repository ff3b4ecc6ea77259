#pragma once
// The state of one training run: model, Adam, random generator, data order, counters and
// history. Used only on the trainer's worker thread (and directly by tests).
#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/model/vae.h"
#include "core/train/adam_state.h"
#include "core/train/metrics.h"

namespace vae {

class TrainingSession {
 public:
  TrainingSession(std::shared_ptr<const Dataset> data, const ModelConfig& model, const TrainConfig& train);
  TrainingSession(std::shared_ptr<const Dataset> data, const Checkpoint& checkpoint, const TrainConfig& train);

  enum class StepResult { Ok, EpochFinished, NonFinite };
  // One optimiser step on the next batch. NonFinite: the loss or a gradient was NaN/Inf; the
  // weights and optimiser state of the last good point were restored and the batch skipped.
  StepResult train_step();
  // All batches of the epoch are done; evaluate_epoch() closes it.
  bool epoch_complete() const { return step_in_epoch_ >= steps_per_epoch_; }
  // Test-set evaluation closing the epoch that train_step() just finished.
  EpochMetrics evaluate_epoch(const std::atomic<bool>* cancel);

  Checkpoint make_checkpoint() const;
  // Adam's state in our own format (contract 2): moments in named_weights() order. Import
  // replaces the optimiser (an empty state gives a fresh one) and throws CheckpointError when
  // the state does not match the model.
  AdamState export_adam_state() const;
  void import_adam_state(const AdamState& adam);
  std::shared_ptr<const ModelState> freeze() const { return std::make_shared<const ModelState>(model_); }

  void set_beta(double beta) { train_.beta = beta; }
  void set_learning_rate(double lr);
  void set_epochs(int epochs) { train_.epochs = epochs; }

  const ModelConfig& model_config() const { return model_config_; }
  const TrainConfig& train_config() const { return train_; }
  const MetricHistory& history() const { return history_; }
  const std::vector<float>& kl_per_dim() const { return kl_per_dim_; }
  std::int64_t step() const { return step_; }
  int epoch() const { return epoch_; }
  std::int64_t step_in_epoch() const { return step_in_epoch_; }
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  double samples_per_sec() const { return samples_per_sec_; }
  double train_seconds() const { return train_seconds_; }
  std::int64_t train_examples() const { return train_examples_; }
  bool planned_epochs_done() const { return epoch_ >= train_.epochs; }
  std::int64_t last_good_step() const { return last_good_.step; }
  const Vae& model() const { return model_; }
  const Dataset& data() const { return *data_; }
  std::string data_warning() const { return data_warning_; }

 private:
  void init_common();
  void remember_good_state();
  void restore_good_state();

  std::shared_ptr<const Dataset> data_;
  ModelConfig model_config_;
  TrainConfig train_;
  Vae model_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  at::Generator generator_;
  torch::Tensor train_images_;  // a view of the data set's pixels, no copy
  torch::Tensor order_;         // the shuffle of the current epoch
  std::int64_t step_ = 0;
  int epoch_ = 0;
  std::int64_t step_in_epoch_ = 0;
  std::int64_t steps_per_epoch_ = 0;
  MetricHistory history_;
  std::vector<float> kl_per_dim_;
  double epoch_loss_sum_ = 0;
  std::int64_t epoch_examples_ = 0;
  double samples_per_sec_ = 0;
  double train_seconds_ = 0;
  std::int64_t train_examples_ = 0;
  std::string data_warning_;

  struct GoodState {
    std::int64_t step = -1;
    std::vector<torch::Tensor> weights;
    AdamState optimizer;
  } last_good_;
};

}  // namespace vae
