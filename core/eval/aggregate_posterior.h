#pragma once
// The aggregate posterior q(z) = (1/N) sum_n q(z | x_n) over a data set, compared with the prior
// p(z) = N(0, I) (seed 004: "How can we ensure that it is N(0, 1) in the latent space?").
// Works on encoded Gaussian posteriors (LatentCodes: mu and log-variance per example), so it is
// plain C++: no LibTorch, cheap to call from the window's worker or the CLI.
#include <cstdint>
#include <vector>

#include "core/eval/inference.h"

namespace vae {

struct AggregatePosteriorOptions {
  // Monte-Carlo samples z_m ~ q(z) for the KL estimate and the marginal histograms.
  int samples = 2000;
  // Examples whose posteriors form q(z) in the KL estimate's density log q(z_m) (each sample
  // costs this many Gaussian densities); 0 = all. The moments always use every example.
  std::size_t mixture_limit = 5000;
  int histogram_bins = 48;
  double histogram_range = 4.0;  // bins cover [-range, range]; samples outside are counted apart
  std::uint64_t seed = 1;
};

struct MarginalHistogram {
  double lo = 0, hi = 0;
  std::vector<double> density;        // per bin: share of samples / bin width (comparable to a pdf)
  std::vector<double> prior_density;  // N(0, 1) averaged over each bin (exact, via erf)
  double outside = 0;                 // share of samples beyond [lo, hi]
  // Total variation distance between the binned sample and the binned prior (outside mass
  // included): 0 = identical, 1 = disjoint.
  double total_variation = 0;
};

struct AggregatePosterior {
  int dims = 0;
  std::size_t count = 0;
  // Moments of q(z) per dimension (exact for the mixture): mean_d = E_n[mu_nd],
  // variance_d = E_n[sigma_nd^2] + Var_n[mu_nd].
  std::vector<double> mean, variance;
  // KL(N(mean_d, variance_d) || N(0, 1)) per dimension: how far the moments alone are from the prior.
  std::vector<double> moment_kl_per_dim;
  // Monte-Carlo estimates of KL(q(z) || p(z)) in nats, with standard errors (the marginal KL of
  // Hoffman & Johnson's "ELBO surgery", 2016): z_m ~ q(z) by picking one of the N mixture members
  // n_m (N = min(count, mixture_limit), a uniform subset when limited) and sampling its posterior,
  // then averaging log q(z_m) - log p(z_m). Two densities bracket the data distribution's KL:
  // - kl: log q(z_m) = logsumexp_n log q(z_m | x_n) - log N, the N-point mixture itself; its KL is
  //   at least the population's in expectation (a finite mixture has less entropy), and tends to
  //   E[KL(q(z|x) || p)] - log N when posteriors are narrow;
  // - kl_lower: leave-one-out, n != n_m and log(N - 1); at most the population's in expectation
  //   (Jensen), and can fall below 0 when N points are sparse in many active dimensions.
  double kl = 0;
  double kl_standard_error = 0;
  double kl_lower = 0;
  double kl_lower_standard_error = 0;
  std::vector<MarginalHistogram> marginals;  // one per dimension, of the same samples z_m
  std::vector<float> samples;                // samples * dims: the z_m themselves (posterior samples)
};

// Throws ConfigError on empty codes or non-finite values.
AggregatePosterior analyse_aggregate_posterior(const LatentCodes& codes, const AggregatePosteriorOptions& options = {});

// q(z) and p(z) projected on a plane through `origin` spanned by orthonormal directions u and v
// (e.g. two latent axes, or two PCA axes): exact densities of the projected Gaussian mixtures on
// a resolution x resolution grid covering [-extent, extent]^2 in plane coordinates. Row-major,
// row 0 at the most negative v.
struct PlaneDensity {
  int resolution = 0;
  double extent = 0;
  std::vector<double> posterior;  // density of the projection of q(z)
  std::vector<double> prior;      // density of the projection of N(0, I)
  // Share of the prior's mass (on the grid) where q(z) has less than 10 % of the prior's density:
  // the "holes" where prior samples land and the data never does.
  double prior_mass_in_holes = 0;
};
PlaneDensity plane_density(const LatentCodes& codes, const std::vector<float>& origin, const std::vector<float>& u,
                           const std::vector<float>& v, int resolution = 64, double extent = 4.0,
                           std::size_t mixture_limit = 5000);

}  // namespace vae
