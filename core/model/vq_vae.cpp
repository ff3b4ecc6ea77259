// VQ-VAE (van den Oord et al. 2017): a conv encoder to a grid of vectors, each replaced by its
// nearest codebook entry; the decoder reads the quantised grid. Gradients pass the quantiser
// straight through; the codebook loss moves entries towards the encoder outputs and the
// commitment loss keeps the encoder near its codes. The prior over codes is uniform (no learned
// prior), so sampling is labelled as such.
#include <cmath>

#include "core/model/families.h"

namespace vae {
namespace nn = torch::nn;

namespace {

constexpr int kHiddenChannels[2] = {32, 64};

class VqVaeImpl : public VaeImpl {
 public:
  explicit VqVaeImpl(const ModelConfig& config) : VaeImpl(config) {
    const int c = config_.channels, d = config_.code_dim;
    // Two stride-2 steps: 28 -> 7, 32 -> 8, 64 -> 16 code positions per side.
    encoder_ = register_module(
        "encoder",
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(c, kHiddenChannels[0], 4).stride(2).padding(1)), nn::ReLU(),
                       nn::Conv2d(nn::Conv2dOptions(kHiddenChannels[0], kHiddenChannels[1], 4).stride(2).padding(1)),
                       nn::ReLU(), nn::Conv2d(nn::Conv2dOptions(kHiddenChannels[1], d, 3).padding(1))));
    // Small entries near the origin, where the untrained encoder's outputs are: with wide
    // entries one code wins every position and the rest never move (dead codes).
    const double spread = 1.0 / config_.codebook;
    codebook_ =
        register_parameter("codebook", torch::rand({config_.codebook, d}, torch::kFloat) * (2 * spread) - spread);
    decoder_ = register_module(
        "decoder",
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(d, kHiddenChannels[1], 3).padding(1)), nn::ReLU(),
                       nn::ConvTranspose2d(
                           nn::ConvTranspose2dOptions(kHiddenChannels[1], kHiddenChannels[0], 4).stride(2).padding(1)),
                       nn::ReLU(),
                       nn::ConvTranspose2d(nn::ConvTranspose2dOptions(kHiddenChannels[0], c, 4).stride(2).padding(1))));
  }

  ModelCapabilities capabilities() const override {
    ModelCapabilities c;
    c.family = "VQ-VAE";
    c.posterior = PosteriorKind::DiscreteCodes;
    c.continuous_latent = false;
    c.posterior_variance = false;
    c.importance_sampling = false;
    c.prior = "uniform over codes (no learned prior)";
    c.code_grid_height = c.code_grid_width = config_.code_grid_side();
    c.codebook_size = config_.codebook;
    c.code_dim = config_.code_dim;
    return c;
  }

  Posterior encode(const torch::Tensor& x, const torch::Tensor&) override {
    const auto z_e = encoder_->forward(x);  // N x D x G x G
    Posterior posterior;
    posterior.kind = PosteriorKind::DiscreteCodes;
    posterior.codes = nearest_codes(z_e);
    posterior.z = codes_to_grid(posterior.codes).flatten(1);
    return posterior;
  }

  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor&) override {
    const int g = config_.code_grid_side();
    return decoder_->forward(z.reshape({z.size(0), config_.code_dim, g, g}));
  }

  LossTerms loss(const torch::Tensor& x, const torch::Tensor&, at::Generator&, double) override {
    const auto z_e = encoder_->forward(x);
    const auto codes = nearest_codes(z_e);
    const auto z_q = codes_to_grid(codes);
    // Straight-through: the decoder sees z_q, the encoder receives the decoder's gradient.
    const auto z_st = z_e + (z_q - z_e).detach();
    const auto recon = -log_likelihood(decoder_->forward(z_st), x);
    const auto codebook = (z_e.detach() - z_q).pow(2).flatten(1).sum(1);
    const auto commitment = config_.commitment * (z_e - z_q.detach()).pow(2).flatten(1).sum(1);
    LossTerms terms;
    terms.names = {"recon", "codebook", "commitment"};
    terms.values = {recon, codebook, commitment};
    terms.score = recon + codebook + commitment;
    terms.objective = terms.score.sum();
    // Codebook use in this batch: perplexity exp(H) of the code histogram, and unused entries.
    const auto counts = torch::bincount(codes.flatten(), {}, config_.codebook).to(torch::kDouble);
    const auto p = counts / counts.sum();
    const double entropy = -(p * torch::log(p.clamp_min(1e-12))).sum().item<double>();
    terms.statistics = {{"perplexity", std::exp(entropy)}, {"dead_codes", (counts == 0).sum().item<double>()}};
    terms.posterior.kind = PosteriorKind::DiscreteCodes;
    terms.posterior.codes = codes;
    terms.posterior.z = z_q.flatten(1);
    return terms;
  }

  torch::Tensor sample_prior(std::int64_t n, at::Generator& generator) override {
    const int g = config_.code_grid_side();
    const auto codes = torch::randint(config_.codebook, {n, g, g}, generator, torch::kLong);
    return codes_to_grid(codes).flatten(1);
  }

 private:
  // N x D x G x G encoder output -> N x G x G indices of the nearest codebook entries.
  torch::Tensor nearest_codes(const torch::Tensor& z_e) const {
    const auto flat = z_e.permute({0, 2, 3, 1}).reshape({-1, config_.code_dim});
    const auto distances =
        flat.pow(2).sum(1, true) - 2 * flat.matmul(codebook_.t()) + codebook_.pow(2).sum(1).unsqueeze(0);
    return distances.argmin(1).reshape({z_e.size(0), z_e.size(2), z_e.size(3)});
  }
  // N x G x G indices -> N x D x G x G code vectors.
  torch::Tensor codes_to_grid(const torch::Tensor& codes) const {
    return codebook_.index_select(0, codes.flatten())
        .reshape({codes.size(0), codes.size(1), codes.size(2), -1})
        .permute({0, 3, 1, 2})
        .contiguous();
  }

  nn::Sequential encoder_{nullptr};
  torch::Tensor codebook_;  // K x D
  nn::Sequential decoder_{nullptr};
};

}  // namespace

std::shared_ptr<VaeImpl> build_vq_vae(const ModelConfig& config) { return std::make_shared<VqVaeImpl>(config); }

}  // namespace vae
