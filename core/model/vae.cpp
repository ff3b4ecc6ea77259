#include "core/model/vae.h"

#include <cmath>

namespace vae {
namespace nn = torch::nn;

namespace {

// Down-sampling steps of the convolutional VAE: each halves the side (4x4 kernel, stride 2).
int conv_steps(int side) { return side == 64 ? 3 : 2; }
int conv_channels(int index) { return index == 0 ? 32 : 64; }

// log C(lambda) of the continuous Bernoulli, C = 2 atanh(1 - 2 lambda) / (1 - 2 lambda);
// its Taylor series near lambda = 1/2 avoids 0/0.
torch::Tensor continuous_bernoulli_log_norm(const torch::Tensor& logits) {
  auto lambda = torch::sigmoid(logits).clamp(1e-6, 1 - 1e-6);
  auto t = 1 - 2 * lambda;
  auto near_half = t.abs() < 1e-2;
  auto safe_t = torch::where(near_half, torch::full_like(t, 0.5), t);
  auto exact = torch::log(2 * torch::atanh(safe_t) / safe_t);
  auto t2 = t * t;
  auto taylor = std::log(2.0) + torch::log1p(t2 / 3 + t2 * t2 / 5);
  return torch::where(near_half, taylor, exact);
}

torch::Tensor continuous_bernoulli_mean(const torch::Tensor& logits) {
  auto lambda = torch::sigmoid(logits).clamp(1e-6, 1 - 1e-6);
  auto t = 1 - 2 * lambda;
  auto near_half = t.abs() < 1e-2;
  auto safe_t = torch::where(near_half, torch::full_like(t, 0.5), t);
  auto exact = lambda / (-safe_t) + 1 / (2 * torch::atanh(safe_t));
  auto taylor = 0.5 - t / 6;
  return torch::where(near_half, taylor, exact);
}

}  // namespace

VaeImpl::VaeImpl(const ModelConfig& config) : config_(config) {
  config_.validate();
  const int pixels = config_.image_size();
  encoder_ = nn::Sequential();
  decoder_ = nn::Sequential();
  int features = 0;
  if (config_.kind == ModelKind::Mlp) {
    int in = pixels;
    encoder_->push_back(nn::Flatten());
    for (int width : config_.hidden) {
      encoder_->push_back(nn::Linear(in, width));
      encoder_->push_back(nn::ReLU());
      in = width;
    }
    features = in;
    int out = config_.latent;
    for (auto it = config_.hidden.rbegin(); it != config_.hidden.rend(); ++it) {
      decoder_->push_back(nn::Linear(out, *it));
      decoder_->push_back(nn::ReLU());
      out = *it;
    }
    decoder_->push_back(nn::Linear(out, pixels));
    decoder_->push_back(nn::Unflatten(nn::UnflattenOptions(1, {config_.channels, config_.height, config_.width})));
  } else {
    const int steps = conv_steps(config_.height);
    const int side = config_.height >> steps;
    int channels = config_.channels;
    for (int i = 0; i < steps; ++i) {
      encoder_->push_back(nn::Conv2d(nn::Conv2dOptions(channels, conv_channels(i), 4).stride(2).padding(1)));
      encoder_->push_back(nn::ReLU());
      channels = conv_channels(i);
    }
    const int flat = channels * side * side;
    const int dense = config_.hidden.front();
    encoder_->push_back(nn::Flatten());
    encoder_->push_back(nn::Linear(flat, dense));
    encoder_->push_back(nn::ReLU());
    features = dense;

    decoder_->push_back(nn::Linear(config_.latent, dense));
    decoder_->push_back(nn::ReLU());
    decoder_->push_back(nn::Linear(dense, flat));
    decoder_->push_back(nn::ReLU());
    decoder_->push_back(nn::Unflatten(nn::UnflattenOptions(1, {channels, side, side})));
    for (int i = steps - 1; i >= 0; --i) {
      const int out = i == 0 ? config_.channels : conv_channels(i - 1);
      decoder_->push_back(
          nn::ConvTranspose2d(nn::ConvTranspose2dOptions(conv_channels(i), out, 4).stride(2).padding(1)));
      if (i != 0) decoder_->push_back(nn::ReLU());
    }
  }
  // Registration order matches pytorch/examples vae (fc1, fc21, fc22, fc3, fc4) for the MLP.
  register_module("encoder", encoder_);
  mu_head_ = register_module("mu", nn::Linear(features, config_.latent));
  logvar_head_ = register_module("logvar", nn::Linear(features, config_.latent));
  register_module("decoder", decoder_);
  if (config_.likelihood == Likelihood::Gaussian && config_.learn_variance) {
    learned_log_sigma_ =
        register_parameter("log_sigma", torch::full({1}, std::log(config_.gaussian_sigma), torch::kFloat));
  }
}

std::pair<torch::Tensor, torch::Tensor> VaeImpl::encode(const torch::Tensor& x) {
  auto h = encoder_->forward(x);
  return {mu_head_->forward(h), logvar_head_->forward(h)};
}

torch::Tensor VaeImpl::decode(const torch::Tensor& z) { return decoder_->forward(z); }

torch::Tensor VaeImpl::log_sigma() const {
  if (learned_log_sigma_.defined()) return learned_log_sigma_.clamp(-7.0, 3.0);
  return torch::full({1}, std::log(config_.gaussian_sigma), torch::kFloat);
}

torch::Tensor VaeImpl::mean_image(const torch::Tensor& out) const {
  switch (config_.likelihood) {
    case Likelihood::Bernoulli:
    case Likelihood::Gaussian: return torch::sigmoid(out);
    case Likelihood::ContinuousBernoulli: return continuous_bernoulli_mean(out);
  }
  return torch::sigmoid(out);
}

torch::Tensor VaeImpl::log_likelihood(const torch::Tensor& out, const torch::Tensor& x) const {
  const auto flat_out = out.flatten(1);
  const auto flat_x = x.flatten(1);
  switch (config_.likelihood) {
    case Likelihood::Bernoulli:
      // x log sigmoid(l) + (1 - x) log(1 - sigmoid(l)) = x l - softplus(l), stable for any l.
      return (flat_x * flat_out - torch::softplus(flat_out)).sum(1);
    case Likelihood::Gaussian: {
      const auto log_sigma = this->log_sigma();
      const auto mean = torch::sigmoid(flat_out);
      const auto z = (flat_x - mean) * torch::exp(-log_sigma);
      return (-0.5 * z * z - log_sigma - 0.5 * std::log(2 * M_PI)).sum(1);
    }
    case Likelihood::ContinuousBernoulli:
      return (flat_x * flat_out - torch::softplus(flat_out) + continuous_bernoulli_log_norm(flat_out)).sum(1);
  }
  return {};
}

torch::Tensor gaussian_kl_per_dim(const torch::Tensor& mu, const torch::Tensor& logvar) {
  return 0.5 * (mu * mu + torch::exp(logvar) - 1 - logvar);
}

ElboParts elbo_parts(Vae& model, const torch::Tensor& x, const torch::Tensor& eps) {
  ElboParts parts;
  std::tie(parts.mu, parts.logvar) = model->encode(x);
  const auto z = parts.mu + torch::exp(0.5 * parts.logvar) * eps;
  parts.recon = -model->log_likelihood(model->decode(z), x);
  parts.kl_per_dim = gaussian_kl_per_dim(parts.mu, parts.logvar);
  parts.kl = parts.kl_per_dim.sum(1);
  return parts;
}

void copy_parameters(const Vae& from, Vae& to) {
  torch::NoGradGuard no_grad;
  auto source = from->named_parameters(true);
  auto target = to->named_parameters(true);
  TORCH_CHECK(source.size() == target.size(), "copy_parameters: models differ");
  for (const auto& item : source) target[item.key()].copy_(item.value());
}

std::vector<std::pair<std::string, torch::Tensor>> named_weights(const Vae& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model->named_parameters(true)) out.emplace_back(item.key(), item.value());
  return out;
}

ModelState::ModelState(const Vae& source) : module_(source->config()) {
  copy_parameters(source, module_);
  module_->eval();
  for (auto& p : module_->parameters()) p.set_requires_grad(false);
}

}  // namespace vae
