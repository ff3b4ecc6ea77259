#include "core/train/session.h"

#include <chrono>
#include <cmath>
#include <sstream>

#include "core/errors.h"
#include "core/eval/evaluate.h"

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

}  // namespace

TrainingSession::TrainingSession(std::shared_ptr<const Dataset> data, const ModelConfig& model,
                                 const TrainConfig& train)
    : data_(std::move(data)),
      model_config_(model),
      train_(train),
      generator_(at::make_generator<at::CPUGeneratorImpl>(train.seed)) {
  model_config_.validate();
  train_.validate();
  check_shapes(model_config_, *data_);
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
  if (!checkpoint.data_identity.empty() && checkpoint.data_identity != data_->identity())
    data_warning_ = "this model was trained on " + checkpoint.data_identity + ", now training on " + data_->identity();
  model_ = Vae(model_config_);
  copy_parameters(checkpoint.model->module(), model_);
  init_common();
  if (!checkpoint.load_note.empty())
    data_warning_ = checkpoint.load_note + (data_warning_.empty() ? "" : "; " + data_warning_);
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
  steps_per_epoch_ = (static_cast<std::int64_t>(split.count) + train_.batch_size - 1) / train_.batch_size;
  optimizer_ =
      std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(train_.learning_rate));
  kl_per_dim_.assign(model_config_.latent, 0.f);
  remember_good_state();
}

void TrainingSession::set_learning_rate(double lr) {
  train_.learning_rate = lr;
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
  AdamState adam;
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
}

TrainingSession::StepResult TrainingSession::train_step() {
  if (epoch_complete()) throw std::logic_error("train_step: evaluate_epoch() must close the finished epoch first");
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t total = train_images_.size(0);
  if (step_in_epoch_ == 0) {
    order_ = torch::randperm(total, generator_, torch::kLong);
    epoch_loss_sum_ = 0;
    epoch_examples_ = 0;
  }
  const std::int64_t first = step_in_epoch_ * train_.batch_size;
  const std::int64_t count = std::min<std::int64_t>(train_.batch_size, total - first);
  const auto x = train_images_.index_select(0, order_.narrow(0, first, count));
  const auto eps = torch::randn({count, model_config_.latent}, generator_, torch::kFloat);

  model_->train();
  const auto parts = elbo_parts(model_, x, eps);
  const auto recon = parts.recon.sum();
  const auto kl = parts.kl.sum();
  // Summed over the batch, as pytorch/examples does (Adam is nearly invariant to the scale).
  const auto loss = recon + train_.beta * kl;
  bool finite = std::isfinite(loss.item<double>());
  if (finite) {
    optimizer_->zero_grad();
    loss.backward();
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

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  train_seconds_ += seconds;
  train_examples_ += count;
  const double rate = count / std::max(seconds, 1e-9);
  samples_per_sec_ = samples_per_sec_ == 0 ? rate : 0.9 * samples_per_sec_ + 0.1 * rate;
  StepMetrics metrics;
  metrics.step = step_;
  metrics.epoch = epoch_ + double(step_in_epoch_) / steps_per_epoch_;
  metrics.recon = static_cast<float>(recon.item<double>() / count);
  metrics.kl = static_cast<float>(kl.item<double>() / count);
  metrics.neg_elbo = metrics.recon + metrics.kl;
  metrics.beta = static_cast<float>(train_.beta);
  metrics.samples_per_sec = static_cast<float>(samples_per_sec_);
  history_.steps.push_back(metrics);
  epoch_loss_sum_ += metrics.neg_elbo * count;
  epoch_examples_ += count;
  {
    torch::NoGradGuard no_grad;
    const auto kl_dims = parts.kl_per_dim.mean(0).contiguous();
    const float* batch_kl = kl_dims.data_ptr<float>();
    for (int d = 0; d < model_config_.latent; ++d) kl_per_dim_[d] = 0.95f * kl_per_dim_[d] + 0.05f * batch_kl[d];
  }
  if (step_ % kGoodStateInterval == 0) remember_good_state();
  return epoch_complete() ? StepResult::EpochFinished : StepResult::Ok;
}

EpochMetrics TrainingSession::evaluate_epoch(const std::atomic<bool>* cancel) {
  step_in_epoch_ = 0;
  ++epoch_;
  EpochMetrics metrics;
  metrics.epoch = epoch_;
  metrics.step = step_;
  metrics.train_neg_elbo = static_cast<float>(epoch_loss_sum_ / std::max<std::int64_t>(1, epoch_examples_));
  const auto frozen = freeze();
  EvalOptions options;
  // A seed of its own per epoch, so evaluation never moves the training generator.
  options.seed = train_.seed * 1000003ull + static_cast<std::uint64_t>(epoch_);
  options.cancel = cancel;
  const auto result = evaluate(*frozen, *data_, data_->test, options);
  metrics.test_neg_elbo = static_cast<float>(result.neg_elbo);
  metrics.test_recon = static_cast<float>(result.recon);
  metrics.test_kl = static_cast<float>(result.kl);
  metrics.active_units = result.active_units;
  for (int d = 0; d < model_config_.latent; ++d) kl_per_dim_[d] = static_cast<float>(result.kl_per_dim[d]);
  if (train_.iw_samples > 0) {
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
