// What all model families share: likelihoods, the Gaussian ELBO, frozen copies.
#include "core/model/vae.h"

#include <cmath>

#include "core/errors.h"

namespace vae {

namespace {

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

torch::Tensor VaeImpl::log_sigma() const { return torch::full({1}, std::log(config_.gaussian_sigma), torch::kFloat); }

torch::Tensor VaeImpl::mean_image(const torch::Tensor& out) const {
  switch (config_.likelihood) {
    case Likelihood::Bernoulli:
    case Likelihood::Gaussian:
      return torch::sigmoid(out);
    case Likelihood::ContinuousBernoulli:
      return continuous_bernoulli_mean(out);
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

LossTerms gaussian_elbo(VaeImpl& model, const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& eps,
                        double beta) {
  LossTerms terms;
  terms.posterior = model.encode(x, y);
  const auto& mu = terms.posterior.mu;
  const auto& logvar = terms.posterior.logvar;
  const auto z = mu + torch::exp(0.5 * logvar) * eps;
  const auto recon = -model.log_likelihood(model.decode(z, y), x);
  terms.kl_per_dim = gaussian_kl_per_dim(mu, logvar);
  const auto kl = terms.kl_per_dim.sum(1);
  terms.names = {"recon", "kl"};
  terms.values = {recon, kl};
  terms.score = recon + kl;
  // Summed over the batch, as pytorch/examples does (Adam is nearly invariant to the scale).
  terms.objective = recon.sum() + beta * kl.sum();
  return terms;
}

torch::Tensor VaeImpl::one_hot(const torch::Tensor& y) const {
  if (!config_.conditional) return {};
  if (!y.defined() || y.dim() != 1) throw ConfigError("this conditional model needs one class label per image");
  if (y.numel() > 0) {
    const auto lo = y.min().item<std::int64_t>(), hi = y.max().item<std::int64_t>();
    if (lo < 0 || hi >= config_.classes)
      throw ConfigError("class label " + std::to_string(lo < 0 ? lo : hi) + " is out of range: the model knows " +
                        std::to_string(config_.classes) + " classes (0 to " + std::to_string(config_.classes - 1) +
                        ")");
  }
  return torch::one_hot(y.to(torch::kLong), config_.classes).to(torch::kFloat);
}

std::shared_ptr<VaeImpl> VaeImpl::frozen_copy() const {
  Vae copy = make_model(config_);
  {
    torch::NoGradGuard no_grad;
    const auto source = named_parameters(true);
    auto target = copy->named_parameters(true);
    TORCH_CHECK(source.size() == target.size(), "frozen_copy: the factory built a different model");
    for (const auto& item : source) target[item.key()].copy_(item.value());
  }
  copy->eval();
  for (auto& p : copy->parameters()) p.set_requires_grad(false);
  return copy.ptr();
}

Vae::Vae(const ModelConfig& config) : ModuleHolder(make_model(config).ptr()) {}

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

ModelState::ModelState(const Vae& source) : module_(source->frozen_copy()) {}

}  // namespace vae
