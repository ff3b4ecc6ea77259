#include "core/train/session.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/errors.h"
#include "core/eval/evaluate.h"
#include "core/train/fused_mlp.h"

namespace vae {

namespace {

// Keep a copy of the weights this often, to fall back on when a step produces NaN.
constexpr std::int64_t kGoodStateInterval = 100;

void check_shapes(const ModelConfig& model, const Dataset& data) {
  if (model.channels != data.channels || model.height != data.height || model.width != data.width)
    throw ConfigError("the model reads " + std::to_string(model.channels) + "x" + std::to_string(model.height) + "x" +
                      std::to_string(model.width) + " images but the data set '" + data.name + "' has " +
                      std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                      std::to_string(data.width));
}

// A conditional model needs labels, and as many classes as the data set has.
void check_labels(const ModelConfig& model, const Dataset& data) {
  if (!model.conditional) return;
  if (!data.train.has_labels() || !data.test.has_labels())
    throw ConfigError("a conditional model needs a labelled data set, and '" + data.name +
                      "' has no labels: train without --conditional or choose labelled data");
  int classes = static_cast<int>(data.class_names.size());
  for (int label : data.train.labels) classes = std::max(classes, label + 1);
  if (classes != model.classes)
    throw ConfigError("the conditional model knows " + std::to_string(model.classes) + " classes but the data set '" +
                      data.name + "' has " + std::to_string(classes));
}

torch::Tensor labels_tensor(const Split& split) {
  std::vector<std::int64_t> labels(split.labels.begin(), split.labels.end());
  return torch::tensor(labels, torch::kLong);
}

}  // namespace

TrainingSession::~TrainingSession() = default;

TrainingSession::TrainingSession(std::shared_ptr<const Dataset> data, const ModelConfig& model,
                                 const TrainConfig& train)
    : data_(std::move(data)),
      model_config_(model),
      train_(train),
      generator_(at::make_generator<at::CPUGeneratorImpl>(train.seed)) {
  model_config_.validate();
  train_.validate();
  check_shapes(model_config_, *data_);
  check_labels(model_config_, *data_);
  // The global generator initialises weights, so the seed fixes them as it does in PyTorch.
  torch::manual_seed(train_.seed);
  model_ = Vae(model_config_);
  init_common();
}

TrainingSession::TrainingSession(std::shared_ptr<const Dataset> data, const Checkpoint& checkpoint,
                                 const TrainConfig& train)
    : data_(std::move(data)),
      model_config_(checkpoint.model_config),
      train_(train),
      generator_(at::make_generator<at::CPUGeneratorImpl>(train.seed)) {
  train_.validate();
  check_shapes(model_config_, *data_);
  check_labels(model_config_, *data_);
  if (!checkpoint.data_identity.empty() && checkpoint.data_identity != data_->identity())
    data_warning_ = "this model was trained on " + checkpoint.data_identity + ", now training on " + data_->identity();
  if (checkpoint.model->capabilities().trainable) {
    model_ = Vae(model_config_);
    copy_parameters(checkpoint.model->module(), model_);
  } else {
    model_ = checkpoint.model->module();  // read-only (TorchScript): explored, never trained
  }
  init_common();
  if (!checkpoint.load_note.empty())
    data_warning_ = checkpoint.load_note + (data_warning_.empty() ? "" : "; " + data_warning_);
  // Our own format (contract 2): both the LibTorch Adam and the fused step take it.
  import_adam_state(checkpoint.optimizer_state);
  if (!checkpoint.rng_state.empty()) {
    auto state = torch::empty({static_cast<std::int64_t>(checkpoint.rng_state.size())}, torch::kUInt8);
    std::memcpy(state.data_ptr(), checkpoint.rng_state.data(), checkpoint.rng_state.size());
    try {
      generator_.set_state(state);
    } catch (const std::exception&) {
      throw CheckpointError("the checkpoint's random generator state is invalid; cannot resume it");
    }
  }
  step_ = checkpoint.step;
  epoch_ = checkpoint.epoch;
  step_in_epoch_ = checkpoint.step_in_epoch;
  history_ = checkpoint.history;
  if (step_ < 0 || epoch_ < 0 || step_in_epoch_ < 0)
    throw CheckpointError("the checkpoint's step counts are negative; cannot resume it");
  if (step_in_epoch_ > 0) {
    if (static_cast<std::size_t>(checkpoint.epoch_order.size()) != data_->train.count ||
        step_in_epoch_ >= steps_per_epoch_)
      throw CheckpointError(
          "the checkpoint stopped mid-epoch on a training set of another size; cannot resume it here");
    // A permutation of the training set (load_checkpoint checked it; a hand-made Checkpoint
    // may not have been through it).
    std::vector<bool> seen(data_->train.count, false);
    for (const auto index : checkpoint.epoch_order) {
      if (index < 0 || static_cast<std::size_t>(index) >= seen.size() || seen[static_cast<std::size_t>(index)])
        throw CheckpointError(
            "the checkpoint's epoch order is not a permutation of the training set; cannot resume it");
      seen[static_cast<std::size_t>(index)] = true;
    }
    order_ = torch::tensor(checkpoint.epoch_order, torch::kLong);
  }
  remember_good_state();
}

void TrainingSession::init_common() {
  const auto& split = data_->train;
  if (split.count == 0) throw ConfigError("the training split of '" + data_->name + "' is empty");
  if (static_cast<std::size_t>(train_.batch_size) > split.count)
    throw ConfigError("batch size " + std::to_string(train_.batch_size) + " is larger than the training set (" +
                      std::to_string(split.count) + " images)");
  train_images_ = torch::from_blob(
      const_cast<float*>(split.pixels.data()),
      {static_cast<std::int64_t>(split.count), data_->channels, data_->height, data_->width}, torch::kFloat);
  if (model_config_.conditional) train_labels_ = labels_tensor(split);
  steps_per_epoch_ = (static_cast<std::int64_t>(split.count) + train_.batch_size - 1) / train_.batch_size;
  if (trainable())
    optimizer_ =
        std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(train_.learning_rate));
  kl_per_dim_.assign(model_->capabilities().posterior_variance ? model_config_.latent : 0, 0.f);
  history_.loss_name = model_->capabilities().posterior_variance ? "neg_elbo" : "loss";
  history_.term_names.clear();
  const char* fused_env = std::getenv("VAE_FUSED_STEP");
  use_fused_step(!(fused_env && std::string(fused_env) == "0"));
  remember_good_state();
}

void TrainingSession::use_fused_step(bool on) {
  // Switching hands the moments over, so either path continues where the other stopped.
  if (!trainable()) return;
  const AdamState adam = export_adam_state();
  const GemmPrecision precision = train_.bf16_gemms ? GemmPrecision::Bf16 : GemmPrecision::Fp32;
  if (precision == GemmPrecision::Bf16 && !on)
    throw ConfigError("--precision bf16 needs the fused MLP step, and VAE_FUSED_STEP=0 turned it off");
  fused_ = on ? FusedMlpStep::create(*model_, train_.batch_size, precision) : nullptr;
  if (precision == GemmPrecision::Bf16 && !fused_)
    throw ConfigError("--precision bf16 is for the MLP family's fused step on CPUs with AVX512-BF16 (here: " +
                      FusedMlpStep::unsupported_reason(*model_, precision) + "); use --precision fp32");
  fused_kl_per_dim_.assign(model_config_.latent, 0.f);
  import_adam_state(adam);
}

void TrainingSession::set_learning_rate(double lr) {
  train_.learning_rate = lr;
  if (!optimizer_) return;
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

void TrainingSession::remember_good_state() {
  torch::NoGradGuard no_grad;
  last_good_.step = step_;
  last_good_.weights.clear();
  for (const auto& p : model_->parameters()) last_good_.weights.push_back(p.detach().clone());
  last_good_.optimizer = export_adam_state();
}

void TrainingSession::restore_good_state() {
  torch::NoGradGuard no_grad;
  auto params = model_->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(last_good_.weights[i]);
  // A fresh optimiser: the moments the bad step left must not survive.
  import_adam_state(last_good_.optimizer);
}

AdamState TrainingSession::export_adam_state() const {
  if (fused_) return fused_->export_adam_state();
  return torch_adam_state();
}

AdamState TrainingSession::torch_adam_state() const {
  AdamState adam;
  if (!optimizer_) return adam;  // a read-only model
  auto& state = optimizer_->state();
  if (state.empty()) return adam;  // no step taken yet: a fresh optimiser
  torch::NoGradGuard no_grad;
  for (const auto& [name, param] : named_weights(model_)) {
    const auto n = static_cast<std::size_t>(param.numel());
    adam.names.push_back(name);
    const auto found = state.find(c10::guts::to_string(param.unsafeGetTensorImpl()));
    if (found == state.end()) {  // a parameter that never had a gradient
      adam.exp_avg.emplace_back(n, 0.f);
      adam.exp_avg_sq.emplace_back(n, 0.f);
      continue;
    }
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*found->second);
    adam.step = std::max<std::int64_t>(adam.step, s.step());
    const auto m = s.exp_avg().to(torch::kFloat).contiguous();
    const auto v = s.exp_avg_sq().to(torch::kFloat).contiguous();
    adam.exp_avg.emplace_back(m.data_ptr<float>(), m.data_ptr<float>() + n);
    adam.exp_avg_sq.emplace_back(v.data_ptr<float>(), v.data_ptr<float>() + n);
  }
  return adam;
}

void TrainingSession::import_adam_state(const AdamState& adam) {
  if (!trainable()) return;
  optimizer_ =
      std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(train_.learning_rate));
  if (!adam.empty()) {
    const auto weights = named_weights(model_);
    if (adam.names.size() != weights.size() || adam.exp_avg.size() != weights.size() ||
        adam.exp_avg_sq.size() != weights.size() || adam.step < 0)
      throw CheckpointError("the optimiser state does not match the model (" + std::to_string(adam.names.size()) +
                            " parameters, the model has " + std::to_string(weights.size()) + ")");
    auto& state = optimizer_->state();
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const auto& [name, param] = weights[i];
      const auto n = static_cast<std::size_t>(param.numel());
      if (adam.names[i] != name || adam.exp_avg[i].size() != n || adam.exp_avg_sq[i].size() != n)
        throw CheckpointError("the optimiser state of '" + adam.names[i] + "' does not match the model's '" + name +
                              "'");
      auto s = std::make_unique<torch::optim::AdamParamState>();
      s->step(adam.step);
      s->exp_avg(torch::from_blob(const_cast<float*>(adam.exp_avg[i].data()), param.sizes(), torch::kFloat).clone());
      s->exp_avg_sq(
          torch::from_blob(const_cast<float*>(adam.exp_avg_sq[i].data()), param.sizes(), torch::kFloat).clone());
      state[c10::guts::to_string(param.unsafeGetTensorImpl())] = std::move(s);
    }
  }
  set_learning_rate(train_.learning_rate);
  if (fused_) fused_->import_adam_state(adam);
}

TrainingSession::StepResult TrainingSession::train_step() {
  if (epoch_complete()) throw std::logic_error("train_step: evaluate_epoch() must close the finished epoch first");
  if (!trainable())
    throw ConfigError("this " + model_->capabilities().family + " is read-only: it is explored, not trained");
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t total = train_images_.size(0);
  if (step_in_epoch_ == 0) {
    order_ = torch::randperm(total, generator_, torch::kLong);
    epoch_loss_sum_ = 0;
    epoch_examples_ = 0;
  }
  // The step's batch; with shards (data-parallel), this rank's slice of it: split as evenly as
  // possible, rank 0 never empty.
  const std::int64_t step_batch = std::int64_t{train_.batch_size} * shard_count_;
  const std::int64_t first = step_in_epoch_ * step_batch;
  const std::int64_t step_count = std::min<std::int64_t>(step_batch, total - first);
  const std::int64_t base = step_count / shard_count_, extra = step_count % shard_count_;
  const std::int64_t offset = shard_rank_ * base + std::min<std::int64_t>(shard_rank_, extra);
  const std::int64_t count = base + (shard_rank_ < extra ? 1 : 0);
  const auto batch = order_.narrow(0, first + offset, count);
  const auto x = train_images_.index_select(0, batch);
  const auto y = train_labels_.defined() ? train_labels_.index_select(0, batch) : torch::Tensor();
  // Shards: every process draws the step's noise seed from the shared generator (so all stay in
  // step and shuffle alike) and its own noise from a generator of that seed and its rank.
  at::Generator shard_noise;
  if (shard_count_ > 1) {
    const auto seed = torch::randint(std::int64_t{1} << 62, {1}, generator_, torch::kLong).item<std::int64_t>();
    shard_noise = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed) + shard_rank_);
  }
  at::Generator& noise = shard_count_ > 1 ? shard_noise : generator_;
  if (fused_) {
    // The noise the model's loss() would draw first, from the same generator.
    const auto eps = torch::randn({count, model_config_.latent}, noise, torch::kFloat);
    return fused_train_step(x, eps, count, started);
  }

  model_->train();
  const auto terms = model_->loss(x, y, noise, train_.beta);
  const auto& loss = terms.objective;
  bool finite = std::isfinite(loss.item<double>());
  if (finite || gradient_reducer_) optimizer_->zero_grad();
  if (finite) loss.backward();
  if (gradient_reducer_) reduce_gradients(finite);
  if (finite) {
    for (const auto& p : model_->parameters())
      if (p.grad().defined() && !torch::isfinite(p.grad()).all().item<bool>()) {
        finite = false;
        break;
      }
  }
  ++step_in_epoch_;
  if (!finite) {
    restore_good_state();
    return StepResult::NonFinite;
  }
  optimizer_->step();
  ++step_;
  if (step_ % kGoodStateInterval == 0) remember_good_state();

  // The step's sums (each loss term, the score, the examples); data-parallel: over every
  // process's slice, so the history and the rate describe the whole step.
  std::vector<double> sums;
  {
    torch::NoGradGuard no_grad;
    for (const auto& value : terms.values) sums.push_back(value.sum().item<double>());
    sums.push_back(terms.score.sum().item<double>());
    sums.push_back(static_cast<double>(count));
  }
  account_step(sums, started);
  record_step(terms, sums);
  return epoch_complete() ? StepResult::EpochFinished : StepResult::Ok;
}

TrainingSession::StepResult TrainingSession::fused_train_step(const torch::Tensor& x, const torch::Tensor& eps,
                                                              std::int64_t count,
                                                              std::chrono::steady_clock::time_point started) {
  const auto loss = fused_->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), static_cast<int>(count),
                                             train_.beta, fused_kl_per_dim_.data());
  ++step_in_epoch_;
  if (gradient_reducer_) {
    // Contract 3: the all-reduce sits between backward and the update (which checks the
    // gradients' finiteness as it reads them). A rank whose loss is not finite hands on NaN, so
    // every rank skips the step together.
    auto& own = fused_->gradients();
    if (!loss.finite)
      for (auto& grad : own) grad.fill_(std::numeric_limits<float>::quiet_NaN());
    std::vector<torch::Tensor> grads(own.begin(), own.end());
    gradient_reducer_(grads);
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].is_same(own[i])) own[i].copy_(grads[i]);
  }
  if (!loss.finite || !fused_->adam_step(train_.learning_rate)) {
    restore_good_state();
    return StepResult::NonFinite;
  }
  ++step_;
  // The same sums as the autograd path (terms, score, examples), summed over processes when
  // data-parallel.
  std::vector<double> sums = {loss.recon, loss.kl, loss.recon + loss.kl, static_cast<double>(count)};
  const std::int64_t examples = account_step(sums, started);
  record_fused_step(sums[0], sums[1], examples);
  if (step_ % kGoodStateInterval == 0) remember_good_state();
  return epoch_complete() ? StepResult::EpochFinished : StepResult::Ok;
}

std::int64_t TrainingSession::account_step(std::vector<double>& sums, std::chrono::steady_clock::time_point started) {
  if (metric_reducer_) metric_reducer_(sums);
  const auto examples = std::max<std::int64_t>(1, std::llround(sums.back()));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  train_seconds_ += seconds;
  train_examples_ += examples;
  const double rate = examples / std::max(seconds, 1e-9);
  samples_per_sec_ = samples_per_sec_ == 0 ? rate : 0.9 * samples_per_sec_ + 0.1 * rate;
  return examples;
}

void TrainingSession::record_fused_step(double recon_sum, double kl_sum, std::int64_t count) {
  // The Gaussian VAE's LossTerms: {"recon", "kl"}, score = recon + kl (core/model/vae.cpp).
  if (history_.term_names.empty()) history_.term_names = {"recon", "kl"};
  StepMetrics metrics;
  metrics.step = step_;
  metrics.epoch = epoch_ + double(step_in_epoch_) / steps_per_epoch_;
  metrics.terms = {static_cast<float>(recon_sum / count), static_cast<float>(kl_sum / count)};
  metrics.loss = static_cast<float>((recon_sum + kl_sum) / count);
  metrics.beta = static_cast<float>(train_.beta);
  metrics.samples_per_sec = static_cast<float>(samples_per_sec_);
  epoch_loss_sum_ += metrics.loss * count;
  history_.steps.push_back(std::move(metrics));
  epoch_examples_ += count;
  for (std::size_t d = 0; d < kl_per_dim_.size(); ++d)
    kl_per_dim_[d] = 0.95f * kl_per_dim_[d] + 0.05f * fused_kl_per_dim_[d];
}

void TrainingSession::record_step(const LossTerms& terms, const std::vector<double>& sums) {
  const auto examples = std::max<std::int64_t>(1, std::llround(sums.back()));
  torch::NoGradGuard no_grad;
  if (history_.term_names.empty()) {
    history_.term_names = terms.names;
    for (const auto& statistic : terms.statistics) history_.term_names.push_back(statistic.name);
  }
  StepMetrics metrics;
  metrics.step = step_;
  metrics.epoch = epoch_ + double(step_in_epoch_) / steps_per_epoch_;
  for (std::size_t i = 0; i < terms.values.size(); ++i) metrics.terms.push_back(static_cast<float>(sums[i] / examples));
  for (const auto& statistic : terms.statistics) metrics.terms.push_back(static_cast<float>(statistic.value));
  metrics.loss = static_cast<float>(sums[terms.values.size()] / examples);
  metrics.beta = static_cast<float>(train_.beta);
  metrics.samples_per_sec = static_cast<float>(samples_per_sec_);
  epoch_loss_sum_ += metrics.loss * examples;
  history_.steps.push_back(std::move(metrics));
  epoch_examples_ += examples;
  if (terms.kl_per_dim.defined() && terms.kl_per_dim.size(0) > 0 && !kl_per_dim_.empty()) {
    const auto kl_dims = terms.kl_per_dim.mean(0).contiguous();
    const float* batch_kl = kl_dims.data_ptr<float>();
    for (std::size_t d = 0; d < kl_per_dim_.size(); ++d) kl_per_dim_[d] = 0.95f * kl_per_dim_[d] + 0.05f * batch_kl[d];
  }
}

void TrainingSession::set_gradient_reducer(std::function<void(std::vector<torch::Tensor>& grads)> reducer) {
  gradient_reducer_ = std::move(reducer);
}

void TrainingSession::set_metric_reducer(std::function<void(std::vector<double>& sums)> reducer) {
  metric_reducer_ = std::move(reducer);
}

void TrainingSession::reduce_gradients(bool loss_finite) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (auto& [name, weight] : named_weights(model_)) {
    auto& grad = weight.mutable_grad();
    if (!grad.defined()) grad = torch::zeros_like(weight);
    if (!loss_finite) grad.fill_(std::numeric_limits<float>::quiet_NaN());
    grads.push_back(grad);
  }
  gradient_reducer_(grads);
  std::size_t i = 0;
  for (auto& [name, weight] : named_weights(model_)) {
    if (!grads[i].is_same(weight.grad())) weight.mutable_grad().copy_(grads[i]);
    ++i;
  }
}

void TrainingSession::set_shard(int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw ConfigError("rank " + std::to_string(rank) + " is not one of 0.." + std::to_string(world_size - 1));
  const std::int64_t total = train_images_.size(0);
  const std::int64_t step_batch = std::int64_t{train_.batch_size} * world_size;
  if (step_batch > total)
    throw ConfigError("batch size " + std::to_string(train_.batch_size) + " on each of " + std::to_string(world_size) +
                      " processes is larger than the training set (" + std::to_string(total) + " images)");
  shard_rank_ = rank;
  shard_count_ = world_size;
  steps_per_epoch_ = (total + step_batch - 1) / step_batch;
  if (step_in_epoch_ >= steps_per_epoch_)
    throw CheckpointError(
        "the checkpoint stopped mid-epoch at a step this many processes never reach; resume it with "
        "the batch size and process count it was trained with");
}

void TrainingSession::close_epoch_unevaluated() {
  step_in_epoch_ = 0;
  ++epoch_;
  remember_good_state();
}

EpochMetrics TrainingSession::evaluate_epoch(const std::atomic<bool>* cancel) {
  step_in_epoch_ = 0;
  ++epoch_;
  EpochMetrics metrics;
  metrics.epoch = epoch_;
  metrics.step = step_;
  metrics.train_loss = static_cast<float>(epoch_loss_sum_ / std::max<std::int64_t>(1, epoch_examples_));
  const auto frozen = freeze();
  EvalOptions options;
  // A seed of its own per epoch, so evaluation never moves the training generator.
  options.seed = train_.seed * 1000003ull + static_cast<std::uint64_t>(epoch_);
  options.cancel = cancel;
  const auto result = evaluate(*frozen, *data_, data_->test, options);
  metrics.test_loss = static_cast<float>(result.neg_elbo);
  for (const auto& name : history_.term_names) metrics.test_terms.push_back(static_cast<float>(result.term(name)));
  metrics.active_units = result.active_units;
  for (std::size_t d = 0; d < kl_per_dim_.size() && d < result.kl_per_dim.size(); ++d)
    kl_per_dim_[d] = static_cast<float>(result.kl_per_dim[d]);
  // Posterior health per dimension, when the model has a Gaussian posterior to measure.
  if (result.mean_variance_per_dim.size() == result.kl_per_dim.size())
    for (std::size_t d = 0; d < result.kl_per_dim.size(); ++d) {
      metrics.kl_per_dim.push_back(static_cast<float>(result.kl_per_dim[d]));
      metrics.activity.push_back(static_cast<float>(result.mean_variance_per_dim[d]));
    }
  if (train_.iw_samples > 0 && frozen->capabilities().importance_sampling) {
    options.iw_samples = train_.iw_samples;
    options.limit = static_cast<std::size_t>(std::max(1, train_.iw_limit));
    metrics.test_nll_is = static_cast<float>(evaluate(*frozen, *data_, data_->test, options).nll_is);
    metrics.iw_samples = train_.iw_samples;
  }
  history_.epochs.push_back(metrics);
  remember_good_state();
  return metrics;
}

Checkpoint TrainingSession::make_checkpoint() const {
  Checkpoint checkpoint;
  checkpoint.model_config = model_config_;
  checkpoint.train_config = train_;
  checkpoint.data_spec = data_->spec;
  checkpoint.data_identity = data_->identity();
  checkpoint.class_names = data_->class_names;
  checkpoint.data_test_fraction = data_->test_fraction;
  checkpoint.data_seed = data_->seed;
  checkpoint.step = step_;
  checkpoint.epoch = epoch_;
  checkpoint.step_in_epoch = step_in_epoch_;
  checkpoint.history = history_;
  checkpoint.model = freeze();
  checkpoint.optimizer_state = export_adam_state();
  const auto state = generator_.get_state();
  checkpoint.rng_state.assign(static_cast<const char*>(state.data_ptr()), state.nbytes());
  if (step_in_epoch_ > 0) {
    const auto order = order_.contiguous();
    checkpoint.epoch_order.assign(order.data_ptr<std::int64_t>(), order.data_ptr<std::int64_t>() + order.numel());
  }
  return checkpoint;
}

}  // namespace vae
