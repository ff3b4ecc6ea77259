#pragma once
// The state of one training run: model, Adam, random generator, data order, counters and
// history. Used only on the trainer's worker thread (and directly by tests).
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/model/vae.h"
#include "core/train/adam_state.h"
#include "core/train/metrics.h"

namespace vae {

class FusedMlpStep;

class TrainingSession {
 public:
  TrainingSession(std::shared_ptr<const Dataset> data, const ModelConfig& model, const TrainConfig& train);
  TrainingSession(std::shared_ptr<const Dataset> data, const Checkpoint& checkpoint, const TrainConfig& train);
  ~TrainingSession();

  enum class StepResult { Ok, EpochFinished, NonFinite };
  // One optimiser step on the next batch. NonFinite: the loss or a gradient was NaN/Inf; the
  // weights and optimiser state of the last good point were restored and the batch skipped.
  StepResult train_step();
  // All batches of the epoch are done; evaluate_epoch() closes it.
  bool epoch_complete() const { return step_in_epoch_ >= steps_per_epoch_; }
  // Test-set evaluation closing the epoch that train_step() just finished.
  EpochMetrics evaluate_epoch(const std::atomic<bool>* cancel);

  Checkpoint make_checkpoint() const;
  // Adam's state in our own format (contract 2): moments in named_weights() order, from
  // whichever path trains (LibTorch's Adam or the fused MLP step). Import replaces the
  // optimiser (an empty state gives a fresh one) and throws CheckpointError when the state does
  // not match the model.
  AdamState export_adam_state() const;
  void import_adam_state(const AdamState& adam);

  // MLP models train with the hand-written step (core/train/fused_mlp.h) unless this is turned
  // off (or VAE_FUSED_STEP=0 is set); the autograd path is the reference and trains the rest.
  void use_fused_step(bool on);
  bool fused_step_active() const { return fused_ != nullptr; }
  std::shared_ptr<const ModelState> freeze() const { return std::make_shared<const ModelState>(model_); }

  // Data-parallel training (core/train/distributed.h). The reducer is called once per step after
  // the backward pass and before the finiteness check and the optimiser update, with the
  // gradients in named_weights() order; it may change them in place (an all-reduce). A rank whose
  // loss is not finite hands it NaN gradients, so every rank skips that step together.
  void set_gradient_reducer(std::function<void(std::vector<torch::Tensor>& grads)> reducer);
  // Called once per good step with this process's sums (each loss term, the score, the example
  // count), to be summed over all processes in place: the history and throughput then describe
  // the whole step. (Batch statistics such as a codebook's perplexity stay this process's.)
  void set_metric_reducer(std::function<void(std::vector<double>& sums)> reducer);
  // Train on shard `rank` of `world_size`: each step takes batch_size x world_size examples of
  // the epoch's shuffle (the same on every rank: same seed) and this process its slice of them;
  // every rank draws the whole step's noise, so the ranks' generators stay in step.
  void set_shard(int rank, int world_size);
  // Closes the finished epoch without the test-set evaluation (ranks other than 0).
  void close_epoch_unevaluated();

  void set_beta(double beta) { train_.beta = beta; }
  void set_learning_rate(double lr);
  void set_epochs(int epochs) { train_.epochs = epochs; }
  void set_iw_samples(int k) { train_.iw_samples = k; }

  const ModelConfig& model_config() const { return model_config_; }
  const TrainConfig& train_config() const { return train_; }
  const MetricHistory& history() const { return history_; }
  // Bound on the per-step rows (StepHistory::kMaxRows unless changed): tests and the window's
  // diagnostics lower it so that thinning happens within a few hundred steps. Checkpoints carry it.
  void set_step_history_rows(std::size_t rows) { history_.steps.set_max_rows(rows); }
  // Average KL of each latent dimension over recent batches; empty for models without one.
  const std::vector<float>& kl_per_dim() const { return kl_per_dim_; }
  std::int64_t step() const { return step_; }
  int epoch() const { return epoch_; }
  std::int64_t step_in_epoch() const { return step_in_epoch_; }
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  double samples_per_sec() const { return samples_per_sec_; }
  double train_seconds() const { return train_seconds_; }
  std::int64_t train_examples() const { return train_examples_; }
  // False for read-only models (TorchScript): they are explored, and train_step() throws.
  bool trainable() const { return model_->capabilities().trainable; }
  bool planned_epochs_done() const { return epoch_ >= train_.epochs; }
  std::int64_t last_good_step() const { return last_good_.step; }
  const Vae& model() const { return model_; }
  const Dataset& data() const { return *data_; }
  std::string data_warning() const { return data_warning_; }

 private:
  void init_common();
  void remember_good_state();
  // Appends one step's metrics: the per-example headline loss and the model's named terms
  // (batch means) and statistics, in the history's term order.
  void record_step(const LossTerms& terms, const std::vector<double>& sums);
  void restore_good_state();
  void reduce_gradients(bool loss_finite);
  AdamState torch_adam_state() const;
  StepResult fused_train_step(const torch::Tensor& x, const torch::Tensor& eps, std::int64_t count,
                              std::chrono::steady_clock::time_point started);
  // The fused step's metrics, as record_step() makes them from the model's LossTerms.
  void record_fused_step(double recon_sum, double kl_sum, std::int64_t count);
  // One good step's bookkeeping on both paths: sums the step's metric sums over processes
  // (data-parallel), books its time and examples into the throughput; returns the examples.
  std::int64_t account_step(std::vector<double>& sums, std::chrono::steady_clock::time_point started);

  std::shared_ptr<const Dataset> data_;
  ModelConfig model_config_;
  TrainConfig train_;
  Vae model_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<FusedMlpStep> fused_;  // set when the MLP trains with the hand-written step
  std::vector<float> fused_kl_per_dim_;
  at::Generator generator_;
  torch::Tensor train_images_;  // a view of the data set's pixels, no copy
  torch::Tensor train_labels_;  // conditional models: int64 labels of the training split
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
  std::function<void(std::vector<torch::Tensor>&)> gradient_reducer_;
  std::function<void(std::vector<double>&)> metric_reducer_;
  int shard_rank_ = 0;
  int shard_count_ = 1;

  struct GoodState {
    std::int64_t step = -1;
    std::vector<torch::Tensor> weights;
    AdamState optimizer;
  } last_good_;
};

}  // namespace vae
