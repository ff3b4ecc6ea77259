// A read-only Gaussian VAE from a TorchScript archive. The contract (README.md):
//   encode(x[, y]) -> (mu, logvar), x float32 [N, C, H, W] in [0, 1], each output [N, D]
//   decode(z[, y]) -> [N, C, H, W]: logits (bernoulli), the mean (gaussian), logits of lambda
//                     (cbernoulli); y int64 [N] for conditional models
//   _extra_files["vae_explorer.json"] = {"image_shape": [C, H, W], "latent_dim": D,
//       "likelihood": ..., "sigma": 0.1, "class_names": [...], "conditional": false}
#include "core/model/torchscript_vae.h"

#include <torch/script.h>

#include <sys/stat.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/model/torchscript_archive.h"
#include "core/model/vae.h"

namespace vae {

namespace {

constexpr std::size_t kMaxMetadataBytes = 64 * 1024;
constexpr std::size_t kMaxClassNameLength = 200;
constexpr std::int64_t kProbeBatch = 2;

// The first line of a LibTorch error: the rest is a C++ stack trace.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string shape_text(const torch::Tensor& t) {
  std::string text = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) text += (d ? ", " : "") + std::to_string(t.size(d));
  return text + "]";
}

class TorchScriptVaeImpl : public VaeImpl {
 public:
  TorchScriptVaeImpl(const ModelConfig& config, torch::jit::Module module, std::string path)
      : VaeImpl(config), module_(std::move(module)), path_(std::move(path)) {}

  ModelCapabilities capabilities() const override {
    ModelCapabilities c;
    c.family = config_.conditional ? "conditional TorchScript VAE" : "TorchScript VAE";
    c.prior = "N(0, I)";
    c.conditional = config_.conditional;
    c.class_names = config_.class_names;
    c.trainable = false;
    return c;
  }

  Posterior encode(const torch::Tensor& x, const torch::Tensor& y) override {
    const auto n = x.size(0);
    const auto out = call("encode", x.contiguous(), y);
    if (!out.isTuple() || out.toTuple()->elements().size() != 2 || !out.toTuple()->elements()[0].isTensor() ||
        !out.toTuple()->elements()[1].isTensor())
      throw CheckpointError(path_ + ": encode must return a tuple (mu, logvar) of two tensors");
    Posterior posterior;
    posterior.mu = out.toTuple()->elements()[0].toTensor().to(torch::kFloat);
    posterior.logvar = out.toTuple()->elements()[1].toTensor().to(torch::kFloat);
    for (const auto* t : {&posterior.mu, &posterior.logvar})
      if (t->dim() != 2 || t->size(0) != n || t->size(1) != config_.latent)
        throw CheckpointError(path_ + ": encode returned a " + shape_text(*t) + " tensor for " + std::to_string(n) +
                              " images; the contract is [N, latent_dim] = [" + std::to_string(n) + ", " +
                              std::to_string(config_.latent) + "]");
    posterior.z = posterior.mu;
    return posterior;
  }

  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y) override {
    const auto out = call("decode", z.contiguous(), y);
    if (!out.isTensor()) throw CheckpointError(path_ + ": decode must return a tensor");
    auto params = out.toTensor().to(torch::kFloat);
    const std::vector<std::int64_t> expected = {z.size(0), config_.channels, config_.height, config_.width};
    if (params.sizes().vec() != expected)
      throw CheckpointError(path_ + ": decode returned a " + shape_text(params) +
                            " tensor; the contract is [N, C, H, W] = [" + std::to_string(z.size(0)) + ", " +
                            std::to_string(config_.channels) + ", " + std::to_string(config_.height) + ", " +
                            std::to_string(config_.width) + "]");
    // Our Gaussian decoders output the mean before the sigmoid; the contract gives the mean.
    if (config_.likelihood == Likelihood::Gaussian) params = torch::logit(params.clamp(1e-6, 1 - 1e-6));
    return params;
  }

  LossTerms loss(const torch::Tensor& x, const torch::Tensor& y, at::Generator& generator, double beta) override {
    const auto eps = torch::randn({x.size(0), config_.latent}, generator, torch::kFloat);
    return gaussian_elbo(*this, x, y, eps, beta);
  }

  torch::Tensor sample_prior(std::int64_t n, at::Generator& generator) override {
    return torch::randn({n, config_.latent}, generator, torch::kFloat);
  }

  // Immutable: readers share this very module.
  std::shared_ptr<VaeImpl> frozen_copy() const override {
    return std::const_pointer_cast<VaeImpl>(std::dynamic_pointer_cast<const VaeImpl>(shared_from_this()));
  }

 private:
  c10::IValue call(const char* method, const torch::Tensor& input, const torch::Tensor& y) {
    std::vector<c10::IValue> args{input};
    if (config_.conditional) args.emplace_back(one_hot_labels_checked(y));
    try {
      return module_.get_method(method)(args);
    } catch (const c10::Error& error) {
      throw CheckpointError(path_ + ": " + method + " failed: " + first_line(error.what_without_backtrace()));
    }
  }
  torch::Tensor one_hot_labels_checked(const torch::Tensor& y) {
    one_hot(y);  // range check; the module takes the int64 labels themselves
    return y.to(torch::kLong).contiguous();
  }

  mutable torch::jit::Module module_;
  std::string path_;
};

}  // namespace

ModelConfig parse_torchscript_metadata(const std::string& text, const std::string& path) {
  const std::string where = path + ": " + kTorchScriptMetadataName + ": ";
  if (text.size() > kMaxMetadataBytes) throw CheckpointError(where + "larger than 64 KiB");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& error) {
    throw CheckpointError(where + "not valid JSON (" + first_line(error.what()) + ")");
  }
  if (!j.is_object()) throw CheckpointError(where + "must be a JSON object");
  auto integer = [&](const nlohmann::json& v, const std::string& name, long lo, long hi) {
    if (!v.is_number_integer() || v.get<long>() < lo || v.get<long>() > hi)
      throw CheckpointError(where + "\"" + name + "\" must be an integer from " + std::to_string(lo) + " to " +
                            std::to_string(hi));
    return static_cast<int>(v.get<long>());
  };
  ModelConfig c;
  c.family = ModelFamily::TorchScript;
  c.hidden = {1};
  if (!j.contains("image_shape") || !j["image_shape"].is_array() || j["image_shape"].size() != 3)
    throw CheckpointError(where + "\"image_shape\" must be [C, H, W]");
  c.channels = integer(j["image_shape"][0], "image_shape[0] (channels, 1 or 3)", 1, 3);
  if (c.channels == 2) throw CheckpointError(where + "\"image_shape\": images have 1 or 3 channels");
  c.height = integer(j["image_shape"][1], "image_shape[1] (height)", 1, 512);
  c.width = integer(j["image_shape"][2], "image_shape[2] (width)", 1, 512);
  if (!j.contains("latent_dim")) throw CheckpointError(where + "\"latent_dim\" is missing");
  c.latent = integer(j["latent_dim"], "latent_dim", 1, kMaxTorchScriptLatent);
  if (!j.contains("likelihood") || !j["likelihood"].is_string())
    throw CheckpointError(where + "\"likelihood\" must be \"bernoulli\", \"gaussian\" or \"cbernoulli\"");
  const auto likelihood = j["likelihood"].get<std::string>();
  if (likelihood != "bernoulli" && likelihood != "gaussian" && likelihood != "cbernoulli")
    throw CheckpointError(where + "\"likelihood\" must be \"bernoulli\", \"gaussian\" or \"cbernoulli\", not \"" +
                          likelihood.substr(0, 40) + "\"");
  c.likelihood = parse_likelihood(likelihood);
  if (j.contains("sigma")) {
    if (!j["sigma"].is_number() || !(j["sigma"].get<double>() > 0 && j["sigma"].get<double>() < 100))
      throw CheckpointError(where + "\"sigma\" must be a number above 0 and below 100");
    c.gaussian_sigma = j["sigma"].get<double>();
  }
  if (j.contains("class_names")) {
    const auto& names = j["class_names"];
    if (!names.is_array() || names.size() > 1000)
      throw CheckpointError(where + "\"class_names\" must be a list of at most 1000 strings");
    for (const auto& name : names) {
      if (!name.is_string() || name.get<std::string>().size() > kMaxClassNameLength)
        throw CheckpointError(where + "\"class_names\" must hold strings of at most 200 characters");
      c.class_names.push_back(name.get<std::string>());
    }
  }
  if (j.contains("conditional")) {
    if (!j["conditional"].is_boolean()) throw CheckpointError(where + "\"conditional\" must be true or false");
    c.conditional = j["conditional"].get<bool>();
  }
  if (c.conditional) {
    if (c.class_names.size() < 2)
      throw CheckpointError(where + "a conditional model needs \"class_names\" with one name per class (at least 2)");
    c.classes = static_cast<int>(c.class_names.size());
  }
  try {
    c.validate();
  } catch (const ConfigError& error) {
    throw CheckpointError(where + error.what());
  }
  return c;
}

bool looks_like_zip_archive(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

std::shared_ptr<const ModelState> load_torchscript_vae(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0)
    throw CheckpointError(path + ": cannot open model (no such file or no permission)");
  if (!S_ISREG(info.st_mode)) throw CheckpointError(path + ": not a regular file");
  {
    std::ifstream in(path, std::ios::binary);
    const int first = in.get();
    if (first == 0x80)
      throw CheckpointError(path +
                            ": a plain pickle (legacy torch.save), not a TorchScript module: save the model with "
                            "torch.jit.save(torch.jit.script(model), path, _extra_files=...)");
  }
  if (!looks_like_zip_archive(path))
    throw CheckpointError(path + ": not a VAE Explorer checkpoint or a TorchScript archive (unknown file format)");
  // Our own bounded reader checks the container and the metadata first: LibTorch's reader trusts
  // the archive's offsets and sizes.
  const ModelConfig config = inspect_torchscript_archive(path).config;

  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::Device(torch::kCPU));
  } catch (const c10::Error& error) {
    const std::string message = first_line(error.what_without_backtrace());
    if (message.find("constants.pkl") != std::string::npos || message.find("code/") != std::string::npos)
      throw CheckpointError(path +
                            ": a plain torch.save() file (weights only, no TorchScript code): save the model with "
                            "torch.jit.save(torch.jit.script(model), path, _extra_files=...)");
    throw CheckpointError(path + ": not a loadable TorchScript module (" + message + ")");
  } catch (const std::exception& error) {
    throw CheckpointError(path + ": not a loadable TorchScript module (" + first_line(error.what()) + ")");
  }
  for (const char* method : {"encode", "decode"})
    if (!module.find_method(method))
      throw CheckpointError(path + ": the TorchScript module has no method '" + method +
                            "' (export it with @torch.jit.export, or script a module that defines it)");
  module.eval();

  auto model = std::make_shared<TorchScriptVaeImpl>(config, std::move(module), path);
  // Probe the contract once on a tiny batch so that shape errors surface at load time.
  torch::NoGradGuard no_grad;
  const auto x = torch::full({kProbeBatch, config.channels, config.height, config.width}, 0.5f);
  const auto y = config.conditional ? torch::zeros({kProbeBatch}, torch::kLong) : torch::Tensor();
  const auto posterior = model->encode(x, y);
  model->decode(posterior.mu, y);
  return std::make_shared<const ModelState>(Vae(std::static_pointer_cast<VaeImpl>(model)));
}

}  // namespace vae
