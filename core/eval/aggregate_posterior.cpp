#include "core/eval/aggregate_posterior.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/errors.h"

namespace vae {

namespace {

constexpr double kLog2Pi = 1.8378770664093453;

double standard_normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

void check_codes(const LatentCodes& codes) {
  if (codes.count == 0 || codes.dims <= 0)
    throw ConfigError("the aggregate posterior needs at least one encoded example");
  if (codes.mu.size() != codes.count * codes.dims || codes.logvar.size() != codes.mu.size())
    throw ConfigError("latent codes have inconsistent sizes");
  auto finite = [](float x) { return std::isfinite(x); };
  if (!std::all_of(codes.mu.begin(), codes.mu.end(), finite) ||
      !std::all_of(codes.logvar.begin(), codes.logvar.end(), finite))
    throw ConfigError("latent codes hold NaN or infinite values");
}

// Indices of the examples forming the mixture: all, or a uniform subset of `limit`.
std::vector<std::size_t> mixture_members(std::size_t count, std::size_t limit, std::mt19937_64& rng) {
  std::vector<std::size_t> members(count);
  std::iota(members.begin(), members.end(), 0);
  if (limit > 0 && limit < count) {
    std::shuffle(members.begin(), members.end(), rng);
    members.resize(limit);
    std::sort(members.begin(), members.end());
  }
  return members;
}

double log_sum_exp(const std::vector<double>& values) {
  const double top = *std::max_element(values.begin(), values.end());
  if (!std::isfinite(top)) return top;
  double sum = 0;
  for (double v : values) sum += std::exp(v - top);
  return top + std::log(sum);
}

}  // namespace

AggregatePosterior analyse_aggregate_posterior(const LatentCodes& codes, const AggregatePosteriorOptions& options) {
  check_codes(codes);
  if (options.samples < 1 || options.histogram_bins < 1 || !(options.histogram_range > 0))
    throw ConfigError("aggregate posterior: samples, bins and range must be positive");
  const int dims = codes.dims;
  const std::size_t n = codes.count;
  AggregatePosterior result;
  result.dims = dims;
  result.count = n;

  // Moments of the mixture, every example.
  result.mean.assign(dims, 0.0);
  result.variance.assign(dims, 0.0);
  std::vector<double> mean_sq(dims, 0.0), sigma_sq(dims, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (int d = 0; d < dims; ++d) {
      const double mu = codes.mu[i * dims + d];
      result.mean[d] += mu;
      mean_sq[d] += mu * mu;
      sigma_sq[d] += std::exp(double(codes.logvar[i * dims + d]));
    }
  for (int d = 0; d < dims; ++d) {
    result.mean[d] /= double(n);
    const double spread = std::max(0.0, mean_sq[d] / double(n) - result.mean[d] * result.mean[d]);
    result.variance[d] = sigma_sq[d] / double(n) + spread;
    const double m = result.mean[d], v = result.variance[d];
    result.moment_kl_per_dim.push_back(0.5 * (m * m + v - 1 - std::log(v)));
  }

  // Samples from the mixture and the Monte-Carlo KL.
  std::mt19937_64 rng(options.seed);
  const auto members = mixture_members(n, options.mixture_limit, rng);
  const std::size_t k = members.size();
  // Per member: 1 / sigma^2 and the normalising constant of log q(z | x_n).
  std::vector<double> inverse_variance(k * dims), log_norm(k, 0.0);
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t i = members[j];
    for (int d = 0; d < dims; ++d) {
      const double logvar = codes.logvar[i * dims + d];
      inverse_variance[j * dims + d] = std::exp(-logvar);
      log_norm[j] -= 0.5 * (kLog2Pi + logvar);
    }
  }
  std::uniform_int_distribution<std::size_t> pick(0, k - 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int m_count = options.samples;
  result.samples.resize(std::size_t(m_count) * dims);
  std::vector<double> z(dims), log_q_terms(k);
  double kl_sum = 0, kl_sq_sum = 0, lower_sum = 0, lower_sq_sum = 0;
  for (int m = 0; m < m_count; ++m) {
    const std::size_t source = pick(rng), i = members[source];
    double log_p = 0;
    for (int d = 0; d < dims; ++d) {
      z[d] = codes.mu[i * dims + d] + std::exp(0.5 * double(codes.logvar[i * dims + d])) * normal(rng);
      result.samples[std::size_t(m) * dims + d] = static_cast<float>(z[d]);
      log_p -= 0.5 * (kLog2Pi + z[d] * z[d]);
    }
    for (std::size_t j = 0; j < k; ++j) {
      const float* mu = codes.mu.data() + members[j] * dims;
      const double* inv = inverse_variance.data() + j * dims;
      double quad = 0;
      for (int d = 0; d < dims; ++d) {
        const double diff = z[d] - mu[d];
        quad += diff * diff * inv[d];
      }
      log_q_terms[j] = log_norm[j] - 0.5 * quad;
    }
    // The N-point mixture itself (its KL over-estimates the population's in expectation: the
    // entropy of a finite mixture is at most that of the population's), and leave-one-out, the
    // sampling component left out (under-estimates it: Jensen on log q_{N-1}).
    const double log_q_all = log_sum_exp(log_q_terms) - std::log(double(k));
    double log_q_loo = log_q_all;
    if (k > 1) {
      log_q_terms[source] = -std::numeric_limits<double>::infinity();
      log_q_loo = log_sum_exp(log_q_terms) - std::log(double(k - 1));
    }
    const double upper = log_q_all - log_p, lower = log_q_loo - log_p;
    kl_sum += upper;
    kl_sq_sum += upper * upper;
    lower_sum += lower;
    lower_sq_sum += lower * lower;
  }
  auto mean_and_error = [&](double sum, double sq_sum, double& mean, double& error) {
    mean = sum / m_count;
    error = std::sqrt(std::max(0.0, sq_sum / m_count - mean * mean) / m_count);
  };
  mean_and_error(kl_sum, kl_sq_sum, result.kl, result.kl_standard_error);
  mean_and_error(lower_sum, lower_sq_sum, result.kl_lower, result.kl_lower_standard_error);

  // Marginal histograms of the same samples against N(0, 1).
  const int bins = options.histogram_bins;
  const double lo = -options.histogram_range, hi = options.histogram_range, width = (hi - lo) / bins;
  for (int d = 0; d < dims; ++d) {
    MarginalHistogram h;
    h.lo = lo;
    h.hi = hi;
    std::vector<double> counts(bins, 0.0);
    double outside = 0;
    for (int m = 0; m < m_count; ++m) {
      const double value = result.samples[std::size_t(m) * dims + d];
      const int b = static_cast<int>(std::floor((value - lo) / width));
      if (value < lo || value >= hi || b < 0 || b >= bins)
        outside += 1;
      else
        counts[b] += 1;
    }
    double tv = 0, prior_inside = 0;
    for (int b = 0; b < bins; ++b) {
      const double sample_mass = counts[b] / m_count;
      const double prior_mass = standard_normal_cdf(lo + (b + 1) * width) - standard_normal_cdf(lo + b * width);
      prior_inside += prior_mass;
      h.density.push_back(sample_mass / width);
      h.prior_density.push_back(prior_mass / width);
      tv += std::abs(sample_mass - prior_mass);
    }
    h.outside = outside / m_count;
    tv += std::abs(h.outside - (1 - prior_inside));
    h.total_variation = 0.5 * tv;
    result.marginals.push_back(std::move(h));
  }
  return result;
}

PlaneDensity plane_density(const LatentCodes& codes, const std::vector<float>& origin, const std::vector<float>& u,
                           const std::vector<float>& v, int resolution, double extent, std::size_t mixture_limit) {
  check_codes(codes);
  const int dims = codes.dims;
  if (origin.size() != std::size_t(dims) || u.size() != std::size_t(dims) || v.size() != std::size_t(dims))
    throw ConfigError("plane density: origin and directions need " + std::to_string(dims) + " values");
  if (resolution < 2 || resolution > 1024 || !(extent > 0)) throw ConfigError("plane density: bad grid");
  double uu = 0, vv = 0, uv = 0, u_origin = 0, v_origin = 0;
  for (int d = 0; d < dims; ++d) {
    uu += double(u[d]) * u[d];
    vv += double(v[d]) * v[d];
    uv += double(u[d]) * v[d];
    u_origin += double(u[d]) * origin[d];
    v_origin += double(v[d]) * origin[d];
  }
  if (std::abs(uu - 1) > 1e-3 || std::abs(vv - 1) > 1e-3 || std::abs(uv) > 1e-3)
    throw ConfigError("plane density: the two directions must be orthonormal");

  // Each posterior projects to a 2-D Gaussian: mean (u.(mu - o), v.(mu - o)), covariance
  // [[sum u^2 s, sum u v s], [sum u v s, sum v^2 s]] with s = sigma^2.
  struct Projected {
    double a, b, inv_aa, inv_ab, inv_bb, log_norm;
  };
  std::mt19937_64 rng(1);
  const auto members = mixture_members(codes.count, mixture_limit, rng);
  std::vector<Projected> parts;
  parts.reserve(members.size());
  for (std::size_t i : members) {
    double a = 0, b = 0, caa = 0, cab = 0, cbb = 0;
    for (int d = 0; d < dims; ++d) {
      const double mu = codes.mu[i * dims + d], s = std::exp(double(codes.logvar[i * dims + d]));
      a += u[d] * mu;
      b += v[d] * mu;
      caa += u[d] * u[d] * s;
      cab += u[d] * v[d] * s;
      cbb += v[d] * v[d] * s;
    }
    const double det = std::max(caa * cbb - cab * cab, 1e-300);
    parts.push_back(
        {a - u_origin, b - v_origin, cbb / det, -cab / det, caa / det, -std::log(2 * M_PI) - 0.5 * std::log(det)});
  }

  PlaneDensity grid;
  grid.resolution = resolution;
  grid.extent = extent;
  grid.posterior.assign(std::size_t(resolution) * resolution, 0.0);
  grid.prior.assign(grid.posterior.size(), 0.0);
  const double cell = 2 * extent / resolution;
  double prior_total = 0, prior_holes = 0;
  std::vector<double> logs(parts.size());
  for (int row = 0; row < resolution; ++row)
    for (int col = 0; col < resolution; ++col) {
      const double x = -extent + (col + 0.5) * cell, y = -extent + (row + 0.5) * cell;
      for (std::size_t j = 0; j < parts.size(); ++j) {
        const auto& p = parts[j];
        const double dx = x - p.a, dy = y - p.b;
        logs[j] = p.log_norm - 0.5 * (dx * dx * p.inv_aa + 2 * dx * dy * p.inv_ab + dy * dy * p.inv_bb);
      }
      const double posterior = std::exp(log_sum_exp(logs) - std::log(double(parts.size())));
      // The prior N(0, I) in plane coordinates is N(-(u.o, v.o), I_2).
      const double px = x + u_origin, py = y + v_origin;
      const double prior = std::exp(-0.5 * (px * px + py * py)) / (2 * M_PI);
      const std::size_t index = std::size_t(row) * resolution + col;
      grid.posterior[index] = posterior;
      grid.prior[index] = prior;
      prior_total += prior;
      if (posterior < 0.1 * prior) prior_holes += prior;
    }
  grid.prior_mass_in_holes = prior_total > 0 ? prior_holes / prior_total : 0;
  return grid;
}

}  // namespace vae
