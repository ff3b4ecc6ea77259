// The Gaussian VAE family: q(z | x[, y]) = N(mu, diag(exp(logvar))), p(z) = N(0, I), p(x | z[, y])
// for the configured likelihood. Conditional models (seed 002: p(x | y)) take the label as a
// one-hot vector into encoder and decoder. The MLP and conv architectures are separate builders.
#include <cmath>

#include "core/model/families.h"

namespace vae {
namespace nn = torch::nn;

namespace {

// Down-sampling steps of the convolutional VAE: each halves the side (4x4 kernel, stride 2).
int conv_steps(int side) { return side == 64 ? 3 : 2; }
int conv_channels(int index) { return index == 0 ? 32 : 64; }

// Encoder body (to `features`) and decoder (from latent + labels to raw image output).
struct Architecture {
  nn::Sequential encoder = nn::Sequential();
  nn::Sequential decoder = nn::Sequential();
  int features = 0;
  bool labels_as_planes = false;  // conv: the one-hot label enters as constant image planes
};

// pytorch/examples vae: Flatten, Linear+ReLU per hidden width; the mirror image back.
// The label enters as extra inputs of the first layer (`labels` = number of classes or 0).
Architecture build_mlp(const ModelConfig& c, int labels) {
  Architecture a;
  int in = c.image_size() + labels;
  a.encoder->push_back(nn::Flatten());
  for (int width : c.hidden) {
    a.encoder->push_back(nn::Linear(in, width));
    a.encoder->push_back(nn::ReLU());
    in = width;
  }
  a.features = in;
  int out = c.latent + labels;
  for (auto it = c.hidden.rbegin(); it != c.hidden.rend(); ++it) {
    a.decoder->push_back(nn::Linear(out, *it));
    a.decoder->push_back(nn::ReLU());
    out = *it;
  }
  a.decoder->push_back(nn::Linear(out, c.image_size()));
  a.decoder->push_back(nn::Unflatten(nn::UnflattenOptions(1, {c.channels, c.height, c.width})));
  return a;
}

// Strided 4x4 convolutions to a dense layer; transposed convolutions back.
// Convolution path: LibTorch 1.13's default, oneDNN (mkldnn) convolutions on contiguous NCHW
// tensors, measured the fastest by bench/conv_paths.cpp (training steps, interleaved; preliminary:
// a shared 2-core Zen 4 at load 4-6). 28x28x1: mkldnn 490-1,239 samples/s, ATen's native
// convolutions 0.58-0.77x of that, channels-last weights and inputs 0.79-1.00x; 64x64x3 (batch
// 64): native 0.70x, channels-last 1.00x. So nothing is switched: mkldnn stays on (LibTorch's
// default) and tensors stay contiguous NCHW.
Architecture build_conv(const ModelConfig& c, int labels) {
  Architecture a;
  a.labels_as_planes = true;
  const int steps = conv_steps(c.height);
  const int side = c.height >> steps;
  int channels = c.channels + labels;
  for (int i = 0; i < steps; ++i) {
    a.encoder->push_back(nn::Conv2d(nn::Conv2dOptions(channels, conv_channels(i), 4).stride(2).padding(1)));
    a.encoder->push_back(nn::ReLU());
    channels = conv_channels(i);
  }
  const int flat = channels * side * side;
  const int dense = c.hidden.front();
  a.encoder->push_back(nn::Flatten());
  a.encoder->push_back(nn::Linear(flat, dense));
  a.encoder->push_back(nn::ReLU());
  a.features = dense;

  a.decoder->push_back(nn::Linear(c.latent + labels, dense));
  a.decoder->push_back(nn::ReLU());
  a.decoder->push_back(nn::Linear(dense, flat));
  a.decoder->push_back(nn::ReLU());
  a.decoder->push_back(nn::Unflatten(nn::UnflattenOptions(1, {channels, side, side})));
  for (int i = steps - 1; i >= 0; --i) {
    const int out = i == 0 ? c.channels : conv_channels(i - 1);
    a.decoder->push_back(
        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(conv_channels(i), out, 4).stride(2).padding(1)));
    if (i != 0) a.decoder->push_back(nn::ReLU());
  }
  return a;
}

class GaussianVaeImpl : public VaeImpl {
 public:
  explicit GaussianVaeImpl(const ModelConfig& config) : VaeImpl(config) {
    const int labels = config_.conditional ? config_.classes : 0;
    Architecture a = config_.kind == ModelKind::Mlp ? build_mlp(config_, labels) : build_conv(config_, labels);
    labels_as_planes_ = a.labels_as_planes;
    // Registration order matches pytorch/examples vae (fc1, fc21, fc22, fc3, fc4) for the MLP;
    // these names are the checkpoint's and the fused training step's (contract 4).
    encoder_ = register_module("encoder", a.encoder);
    mu_head_ = register_module("mu", nn::Linear(a.features, config_.latent));
    logvar_head_ = register_module("logvar", nn::Linear(a.features, config_.latent));
    decoder_ = register_module("decoder", a.decoder);
    if (config_.likelihood == Likelihood::Gaussian && config_.learn_variance) {
      learned_log_sigma_ =
          register_parameter("log_sigma", torch::full({1}, std::log(config_.gaussian_sigma), torch::kFloat));
    }
  }

  ModelCapabilities capabilities() const override {
    ModelCapabilities c;
    c.family = config_.conditional ? "conditional VAE" : "VAE";
    c.prior = "N(0, I)";
    c.conditional = config_.conditional;
    for (int k = 0; k < (config_.conditional ? config_.classes : 0); ++k)
      c.class_names.push_back(k < int(config_.class_names.size()) ? config_.class_names[k] : std::to_string(k));
    return c;
  }

  Posterior encode(const torch::Tensor& x, const torch::Tensor& y) override {
    torch::Tensor input = x;
    if (config_.conditional) {
      const auto labels = one_hot(y);
      input = labels_as_planes_ ? torch::cat({x, labels.view({x.size(0), config_.classes, 1, 1})
                                                     .expand({x.size(0), config_.classes, x.size(2), x.size(3)})},
                                             1)
                                : torch::cat({x.flatten(1), labels}, 1);
    }
    const auto h = encoder_->forward(input);
    Posterior posterior;
    posterior.mu = mu_head_->forward(h);
    posterior.logvar = logvar_head_->forward(h);
    posterior.z = posterior.mu;
    return posterior;
  }

  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y) override {
    if (!config_.conditional) return decoder_->forward(z);
    return decoder_->forward(torch::cat({z, one_hot(y)}, 1));
  }

  LossTerms loss(const torch::Tensor& x, const torch::Tensor& y, at::Generator& generator, double beta) override {
    const auto eps = torch::randn({x.size(0), config_.latent}, generator, torch::kFloat);
    return gaussian_elbo(*this, x, y, eps, beta);
  }

  torch::Tensor sample_prior(std::int64_t n, at::Generator& generator) override {
    return torch::randn({n, config_.latent}, generator, torch::kFloat);
  }

  torch::Tensor log_sigma() const override {
    if (learned_log_sigma_.defined()) return learned_log_sigma_.clamp(-7.0, 3.0);
    return VaeImpl::log_sigma();
  }

 private:
  nn::Sequential encoder_{nullptr};
  nn::Linear mu_head_{nullptr};
  nn::Linear logvar_head_{nullptr};
  nn::Sequential decoder_{nullptr};
  torch::Tensor learned_log_sigma_;  // registered only when config_.learn_variance
  bool labels_as_planes_ = false;
};

}  // namespace

std::shared_ptr<VaeImpl> build_gaussian_vae(const ModelConfig& config) {
  return std::make_shared<GaussianVaeImpl>(config);
}

}  // namespace vae
