#include "core/eval/evaluate.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/errors.h"
#include "core/eval/posterior_health.h"
#include "core/model/vae.h"

namespace vae {

namespace {

// Rows decoded at once by the importance sampler (examples x samples): bounds memory at a few
// hundred MB for 28x28 images while keeping matrix products large.
constexpr std::int64_t kMaxDecodeRows = 16384;

constexpr double kLog2Pi = 1.8378770664093453;

// log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k, z_k ~ q(z|x).
torch::Tensor importance_sampled_log_likelihood(Vae& model, const torch::Tensor& x, const torch::Tensor& y,
                                                const torch::Tensor& mu, const torch::Tensor& logvar, int k,
                                                at::Generator& generator, const std::atomic<bool>* cancel) {
  const std::int64_t n = x.size(0), dims = mu.size(1);
  const std::int64_t chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(k, kMaxDecodeRows / n));
  const auto sigma = torch::exp(0.5 * logvar);
  std::vector<torch::Tensor> log_weights;
  for (std::int64_t done = 0; done < k; done += chunk) {
    if (cancel && cancel->load()) throw Error("evaluation cancelled");  // large k: seconds per batch
    const std::int64_t m = std::min(chunk, k - done);
    const auto eps = torch::randn({m, n, dims}, generator, torch::kFloat);
    const auto z = mu.unsqueeze(0) + sigma.unsqueeze(0) * eps;  // m x n x d
    const auto y_rep = y.defined() ? y.unsqueeze(0).expand({m, n}).reshape({m * n}) : torch::Tensor();
    const auto out = model->decode(z.reshape({m * n, dims}), y_rep);
    const auto x_rep = x.unsqueeze(0)
                           .expand({m, n, x.size(1), x.size(2), x.size(3)})
                           .reshape({m * n, x.size(1), x.size(2), x.size(3)});
    const auto log_px_z = model->log_likelihood(out, x_rep).reshape({m, n});
    const auto log_pz = (-0.5 * (z * z) - 0.5 * kLog2Pi).sum(2);
    const auto log_qz = (-0.5 * (eps * eps) - 0.5 * logvar.unsqueeze(0) - 0.5 * kLog2Pi).sum(2);
    log_weights.push_back((log_px_z + log_pz - log_qz).to(torch::kDouble));
  }
  const auto all = torch::cat(log_weights, 0);  // k x n
  return torch::logsumexp(all, 0) - std::log(static_cast<double>(k));
}

}  // namespace

double EvalResult::term(const std::string& name) const {
  for (const auto& t : terms)
    if (t.name == name) return t.value;
  return std::nan("");
}

EvalResult evaluate(const ModelState& state, const Dataset& data, const Split& split, const EvalOptions& options) {
  const ModelConfig& config = state.config();
  const ModelCapabilities capabilities = state.capabilities();
  if (config.channels != data.channels || config.height != data.height || config.width != data.width)
    throw ConfigError("the model reads " + std::to_string(config.channels) + "x" + std::to_string(config.height) + "x" +
                      std::to_string(config.width) + " images but the data set '" + data.name + "' has " +
                      std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                      std::to_string(data.width));
  if (capabilities.conditional && !split.has_labels())
    throw ConfigError("the conditional model needs labels, and the data set '" + data.name + "' has none");
  const std::size_t n = options.limit > 0 ? std::min(options.limit, split.count) : split.count;
  if (n == 0) throw ConfigError("nothing to evaluate: the split is empty");
  const int batch = std::max(1, options.batch_size);
  const bool gaussian = capabilities.posterior_variance;
  const int dims = gaussian ? config.latent : 0;
  const int iw_samples = capabilities.importance_sampling ? options.iw_samples : 0;

  torch::NoGradGuard no_grad;
  auto& model = state.module();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const auto all =
      torch::from_blob(const_cast<float*>(split.pixels.data()),
                       {static_cast<std::int64_t>(split.count), data.channels, data.height, data.width}, torch::kFloat);
  torch::Tensor all_labels;
  if (capabilities.conditional) {
    std::vector<std::int64_t> labels(split.labels.begin(), split.labels.begin() + n);
    all_labels = torch::tensor(labels, torch::kLong);
  }
  std::vector<double> term_sums;
  std::vector<std::string> names;
  double score_sum = 0, nll_sum = 0;
  auto kl_dim_sum = torch::zeros({dims}, torch::kDouble);
  auto mu_sum = torch::zeros({dims}, torch::kDouble);
  auto mu_sq_sum = torch::zeros({dims}, torch::kDouble);
  EvalResult result;
  result.n = n;
  result.iw_samples = iw_samples;
  if (options.per_example) result.per_example_neg_elbo.reserve(n);

  for (std::size_t start = 0; start < n; start += batch) {
    if (options.cancel && options.cancel->load()) throw Error("evaluation cancelled");
    const std::int64_t count = static_cast<std::int64_t>(std::min<std::size_t>(batch, n - start));
    const auto x = all.narrow(0, static_cast<std::int64_t>(start), count);
    const auto y =
        all_labels.defined() ? all_labels.narrow(0, static_cast<std::int64_t>(start), count) : torch::Tensor();
    const auto terms = model->loss(x, y, generator, 1.0);
    if (names.empty()) {
      names = terms.names;
      for (const auto& statistic : terms.statistics) names.push_back(statistic.name);
      term_sums.assign(names.size(), 0.0);
    }
    for (std::size_t t = 0; t < terms.values.size(); ++t) term_sums[t] += terms.values[t].sum().item<double>();
    // Statistics are per batch: weighted by the batch's size.
    for (std::size_t t = 0; t < terms.statistics.size(); ++t)
      term_sums[terms.values.size() + t] += terms.statistics[t].value * count;
    score_sum += terms.score.sum().item<double>();
    if (gaussian) {
      kl_dim_sum += terms.kl_per_dim.sum(0).to(torch::kDouble);
      const auto mu = terms.posterior.mu.to(torch::kDouble);
      mu_sum += mu.sum(0);
      mu_sq_sum += (mu * mu).sum(0);
    }
    if (options.per_example) {
      const auto scores = terms.score.contiguous();
      result.per_example_neg_elbo.insert(result.per_example_neg_elbo.end(), scores.data_ptr<float>(),
                                         scores.data_ptr<float>() + count);
    }
    if (iw_samples > 0) {
      const auto nll = -importance_sampled_log_likelihood(model, x, y, terms.posterior.mu, terms.posterior.logvar,
                                                          iw_samples, generator, options.cancel);
      nll_sum += nll.sum().item<double>();
      if (options.per_example) {
        const auto values = nll.to(torch::kFloat).contiguous();
        result.per_example_nll_is.insert(result.per_example_nll_is.end(), values.data_ptr<float>(),
                                         values.data_ptr<float>() + count);
      }
    }
    if (options.progress) options.progress(double(start + count) / n);
  }

  for (std::size_t t = 0; t < names.size(); ++t) result.terms.push_back({names[t], term_sums[t] / n});
  result.neg_elbo = score_sum / n;
  result.recon = result.term("recon");
  result.kl = result.term("kl");
  result.nll_is = iw_samples > 0 ? nll_sum / n : std::nan("");
  if (!gaussian) return result;
  result.active_units = 0;
  const auto mean_mu = mu_sum / double(n);
  // Cov_x(E_q[z_d]): the variance over the data of each posterior mean (Burda et al.'s activity).
  const auto activity = (mu_sq_sum / double(n) - mean_mu * mean_mu) * (double(n) / std::max<double>(1, n - 1));
  const auto kl_dims = kl_dim_sum / double(n);
  for (int d = 0; d < dims; ++d) {
    result.kl_per_dim.push_back(kl_dims[d].item<double>());
    result.mean_variance_per_dim.push_back(activity[d].item<double>());
    if (is_active_unit(result.mean_variance_per_dim.back())) ++result.active_units;
  }
  return result;
}

}  // namespace vae
