#include "core/eval/evaluate.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/errors.h"
#include "core/model/vae.h"

namespace vae {

namespace {

// Rows decoded at once by the importance sampler (examples x samples): bounds memory at a few
// hundred MB for 28x28 images while keeping matrix products large.
constexpr std::int64_t kMaxDecodeRows = 16384;

constexpr double kLog2Pi = 1.8378770664093453;

// log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k, z_k ~ q(z|x).
torch::Tensor importance_sampled_log_likelihood(Vae& model, const torch::Tensor& x, const torch::Tensor& mu,
                                                const torch::Tensor& logvar, int k, at::Generator& generator,
                                                const std::atomic<bool>* cancel) {
  const std::int64_t n = x.size(0), dims = mu.size(1);
  const std::int64_t chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(k, kMaxDecodeRows / n));
  const auto sigma = torch::exp(0.5 * logvar);
  std::vector<torch::Tensor> log_weights;
  for (std::int64_t done = 0; done < k; done += chunk) {
    if (cancel && cancel->load()) throw Error("evaluation cancelled");  // large k: seconds per batch
    const std::int64_t m = std::min(chunk, k - done);
    const auto eps = torch::randn({m, n, dims}, generator, torch::kFloat);
    const auto z = mu.unsqueeze(0) + sigma.unsqueeze(0) * eps;  // m x n x d
    const auto out = model->decode(z.reshape({m * n, dims}));
    const auto x_rep = x.unsqueeze(0).expand({m, n, x.size(1), x.size(2), x.size(3)}).reshape({m * n, x.size(1), x.size(2), x.size(3)});
    const auto log_px_z = model->log_likelihood(out, x_rep).reshape({m, n});
    const auto log_pz = (-0.5 * (z * z) - 0.5 * kLog2Pi).sum(2);
    const auto log_qz = (-0.5 * (eps * eps) - 0.5 * logvar.unsqueeze(0) - 0.5 * kLog2Pi).sum(2);
    log_weights.push_back((log_px_z + log_pz - log_qz).to(torch::kDouble));
  }
  const auto all = torch::cat(log_weights, 0);  // k x n
  return torch::logsumexp(all, 0) - std::log(static_cast<double>(k));
}

}  // namespace

EvalResult evaluate(const ModelState& state, const Dataset& data, const Split& split, const EvalOptions& options) {
  const ModelConfig& config = state.config();
  if (config.channels != data.channels || config.height != data.height || config.width != data.width)
    throw ConfigError("the model reads " + std::to_string(config.channels) + "x" + std::to_string(config.height) + "x" +
                      std::to_string(config.width) + " images but the data set '" + data.name + "' has " +
                      std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" + std::to_string(data.width));
  const std::size_t n = options.limit > 0 ? std::min(options.limit, split.count) : split.count;
  if (n == 0) throw ConfigError("nothing to evaluate: the split is empty");
  const int batch = std::max(1, options.batch_size);
  const int dims = config.latent;

  torch::NoGradGuard no_grad;
  auto& model = state.module();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const auto all = torch::from_blob(const_cast<float*>(split.pixels.data()),
                                    {static_cast<std::int64_t>(split.count), data.channels, data.height, data.width},
                                    torch::kFloat);
  double recon_sum = 0, kl_sum = 0, nll_sum = 0;
  auto kl_dim_sum = torch::zeros({dims}, torch::kDouble);
  auto mu_sum = torch::zeros({dims}, torch::kDouble);
  auto mu_sq_sum = torch::zeros({dims}, torch::kDouble);
  EvalResult result;
  result.n = n;
  result.iw_samples = options.iw_samples;
  if (options.per_example) result.per_example_neg_elbo.reserve(n);

  for (std::size_t start = 0; start < n; start += batch) {
    if (options.cancel && options.cancel->load()) throw Error("evaluation cancelled");
    const std::int64_t count = static_cast<std::int64_t>(std::min<std::size_t>(batch, n - start));
    const auto x = all.narrow(0, static_cast<std::int64_t>(start), count);
    const auto eps = torch::randn({count, dims}, generator, torch::kFloat);
    const auto parts = elbo_parts(model, x, eps);
    recon_sum += parts.recon.sum().item<double>();
    kl_sum += parts.kl.sum().item<double>();
    kl_dim_sum += parts.kl_per_dim.sum(0).to(torch::kDouble);
    const auto mu = parts.mu.to(torch::kDouble);
    mu_sum += mu.sum(0);
    mu_sq_sum += (mu * mu).sum(0);
    if (options.per_example) {
      const auto scores = (parts.recon + parts.kl).contiguous();
      result.per_example_neg_elbo.insert(result.per_example_neg_elbo.end(), scores.data_ptr<float>(),
                                         scores.data_ptr<float>() + count);
    }
    if (options.iw_samples > 0)
      nll_sum -= importance_sampled_log_likelihood(model, x, parts.mu, parts.logvar, options.iw_samples, generator,
                                                options.cancel)
                     .sum()
                     .item<double>();
    if (options.progress) options.progress(double(start + count) / n);
  }

  result.recon = recon_sum / n;
  result.kl = kl_sum / n;
  result.neg_elbo = result.recon + result.kl;
  result.nll_is = options.iw_samples > 0 ? nll_sum / n : std::nan("");
  const auto mean_mu = mu_sum / double(n);
  // Cov_x(E_q[z_d]): the variance over the data of each posterior mean (Burda et al.'s activity).
  const auto activity = (mu_sq_sum / double(n) - mean_mu * mean_mu) * (double(n) / std::max<double>(1, n - 1));
  const auto kl_dims = kl_dim_sum / double(n);
  for (int d = 0; d < dims; ++d) {
    result.kl_per_dim.push_back(kl_dims[d].item<double>());
    result.mean_variance_per_dim.push_back(activity[d].item<double>());
    if (result.mean_variance_per_dim.back() > 0.01) ++result.active_units;
  }
  return result;
}

}  // namespace vae
