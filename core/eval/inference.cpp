#include "core/eval/inference.h"

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/model/vae.h"

namespace vae {

namespace {

std::vector<Image> to_images(const torch::Tensor& batch) {
  const auto data = batch.contiguous();
  const int channels = static_cast<int>(data.size(1)), height = static_cast<int>(data.size(2)),
            width = static_cast<int>(data.size(3));
  std::vector<Image> images;
  images.reserve(data.size(0));
  const float* source = data.data_ptr<float>();
  for (std::int64_t i = 0; i < data.size(0); ++i) {
    Image image(channels, height, width);
    std::copy(source, source + image.size(), image.pixels.begin());
    source += image.size();
    images.push_back(std::move(image));
  }
  return images;
}

torch::Tensor pixels_tensor(const float* pixels, std::size_t count, const ModelConfig& c) {
  // from_blob does not copy; callers keep `pixels` alive for the call.
  return torch::from_blob(const_cast<float*>(pixels), {static_cast<std::int64_t>(count), c.channels, c.height, c.width},
                          torch::kFloat);
}

// Labels for `count` rows: one per row, one for all, or none for unconditional models.
torch::Tensor labels_tensor(const std::vector<int>& labels, std::size_t count, const ModelCapabilities& capabilities) {
  if (!capabilities.conditional) return {};
  if (labels.empty()) throw ConfigError("the conditional model needs a class for each image: choose a class");
  if (labels.size() != 1 && labels.size() != count) throw Error("labels: one per image, or one for all");
  std::vector<std::int64_t> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int label = labels.size() == 1 ? labels[0] : labels[i];
    if (label < 0 || label >= capabilities.num_classes())
      throw ConfigError("class " + std::to_string(label) + " is out of range: the model has " +
                        std::to_string(capabilities.num_classes()) + " classes (0 to " +
                        std::to_string(capabilities.num_classes() - 1) + ")");
    values[i] = label;
  }
  return torch::tensor(values, torch::kLong);
}

}  // namespace

Inference::Inference(std::shared_ptr<const ModelState> model, int default_class)
    : model_(std::move(model)), default_class_(default_class) {
  if (!model_) throw Error("Inference needs a model");
  capabilities_ = model_->capabilities();
}

std::vector<int> Inference::labels_or_default(const std::vector<int>& labels) const {
  if (labels.empty() && capabilities_.conditional && default_class_ >= 0) return {default_class_};
  return labels;
}

const ModelConfig& Inference::config() const { return model_->config(); }
int Inference::latent_dim() const { return model_->config().latent_size(); }

std::vector<Image> Inference::decode(const std::vector<float>& z, std::size_t count,
                                     const std::vector<int>& labels) const {
  if (z.size() != count * latent_dim()) throw Error("decode: z has the wrong size");
  if (count == 0) return {};
  torch::NoGradGuard no_grad;
  auto& module = model_->module();
  const auto codes =
      torch::from_blob(const_cast<float*>(z.data()), {static_cast<std::int64_t>(count), latent_dim()}, torch::kFloat);
  return to_images(
      module->mean_image(module->decode(codes, labels_tensor(labels_or_default(labels), count, capabilities_))));
}

Image Inference::decode_one(const std::vector<float>& z, int label) const {
  return decode(z, 1, label >= 0 ? std::vector<int>{label} : std::vector<int>{}).front();
}

LatentCodes Inference::encode(const float* pixels, std::size_t count, std::size_t batch,
                              const std::vector<int>& labels) const {
  torch::NoGradGuard no_grad;
  auto& module = model_->module();
  LatentCodes codes;
  codes.count = count;
  codes.dims = latent_dim();
  codes.mu.resize(count * codes.dims);
  const bool variance = capabilities_.posterior_variance;
  const bool discrete = capabilities_.posterior == PosteriorKind::DiscreteCodes;
  if (variance) codes.logvar.resize(count * codes.dims);
  const auto all_labels = labels_tensor(labels_or_default(labels), count, capabilities_);
  batch = std::max<std::size_t>(1, batch);
  for (std::size_t start = 0; start < count; start += batch) {
    const std::size_t n = std::min(batch, count - start);
    const auto y = all_labels.defined() ? all_labels.narrow(0, std::int64_t(start), std::int64_t(n)) : torch::Tensor();
    const auto posterior = module->encode(pixels_tensor(pixels + start * config().image_size(), n, config()), y);
    const auto z = posterior.z.contiguous();
    std::copy(z.data_ptr<float>(), z.data_ptr<float>() + z.numel(), codes.mu.begin() + start * codes.dims);
    if (variance) {
      const auto logvar = posterior.logvar.contiguous();
      std::copy(logvar.data_ptr<float>(), logvar.data_ptr<float>() + logvar.numel(),
                codes.logvar.begin() + start * codes.dims);
    }
    if (discrete) {
      const auto indices = posterior.codes.contiguous();
      codes.codes.insert(codes.codes.end(), indices.data_ptr<std::int64_t>(),
                         indices.data_ptr<std::int64_t>() + indices.numel());
    }
  }
  return codes;
}

std::vector<Image> Inference::reconstruct(const float* pixels, std::size_t count,
                                          const std::vector<int>& labels) const {
  return decode(encode(pixels, count, 1000, labels).mu, count, labels);
}

std::vector<float> Inference::sample_prior(std::size_t count, std::uint64_t seed) const {
  if (!capabilities_.prior_sampling) throw ConfigError("this model has no prior to sample from");
  torch::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto z = model_->module()->sample_prior(static_cast<std::int64_t>(count), generator).contiguous();
  return std::vector<float>(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
}

std::vector<Image> Inference::sample(std::size_t count, std::uint64_t seed, int label) const {
  std::vector<int> labels;
  if (capabilities_.conditional) {
    if (label >= 0) {
      labels = {label};
    } else {
      for (std::size_t i = 0; i < count; ++i) labels.push_back(static_cast<int>(i % capabilities_.num_classes()));
    }
  }
  return decode(sample_prior(count, seed), count, labels);
}

std::vector<float> Inference::codebook() const {
  if (capabilities_.posterior != PosteriorKind::DiscreteCodes) return {};
  torch::NoGradGuard no_grad;
  const auto weights = model_->module()->named_parameters(true);
  const auto* codebook = weights.find("codebook");
  if (!codebook) throw Error("the model has no codebook");
  const auto book = codebook->contiguous().to(torch::kFloat);
  return std::vector<float>(book.data_ptr<float>(), book.data_ptr<float>() + book.numel());
}

std::vector<float> Inference::codes_to_latent(const std::vector<std::int64_t>& codes) const {
  const int cells = capabilities_.code_grid_height * capabilities_.code_grid_width;
  if (capabilities_.posterior != PosteriorKind::DiscreteCodes || codes.size() != static_cast<std::size_t>(cells))
    throw Error("codes_to_latent: the model has no code grid of this size");
  std::vector<float> z(std::size_t(cells) * capabilities_.code_dim);
  for (int cell = 0; cell < cells; ++cell) {
    if (codes[cell] < 0 || codes[cell] >= capabilities_.codebook_size)
      throw Error("codes_to_latent: code out of range");
  }
  torch::NoGradGuard no_grad;
  // The code grid's vectors are laid out D x G x G, as decode() reads them.
  const auto weights = model_->module()->named_parameters(true);
  const auto* codebook = weights.find("codebook");
  if (!codebook) throw Error("codes_to_latent: the model has no codebook");
  const auto book = codebook->contiguous();
  const float* entries = book.data_ptr<float>();
  for (int cell = 0; cell < cells; ++cell)
    for (int d = 0; d < capabilities_.code_dim; ++d)
      z[std::size_t(d) * cells + cell] = entries[codes[cell] * capabilities_.code_dim + d];
  return z;
}

std::vector<float> Pca::project(const std::vector<float>& points, std::size_t count) const {
  std::vector<float> out(count * components);
  for (std::size_t i = 0; i < count; ++i)
    for (int c = 0; c < components; ++c) {
      double sum = 0;
      for (int d = 0; d < dims; ++d) sum += (points[i * dims + d] - mean[d]) * axes[c * dims + d];
      out[i * components + c] = static_cast<float>(sum);
    }
  return out;
}

std::vector<float> Pca::unproject(const float* coords) const {
  std::vector<float> point(mean);
  for (int c = 0; c < components; ++c)
    for (int d = 0; d < dims; ++d) point[d] += coords[c] * axes[c * dims + d];
  return point;
}

Pca compute_pca(const std::vector<float>& points, std::size_t count, int dims, int components) {
  if (count == 0 || dims <= 0) throw Error("PCA needs at least one point");
  components = std::min(components, dims);
  torch::NoGradGuard no_grad;
  auto x = torch::from_blob(const_cast<float*>(points.data()), {static_cast<std::int64_t>(count), dims}, torch::kFloat)
               .to(torch::kDouble);
  auto mean = x.mean(0);
  auto centred = x - mean;
  auto covariance = centred.t().matmul(centred) / static_cast<double>(std::max<std::size_t>(1, count - 1));
  auto [eigenvalues, eigenvectors] = torch::linalg::eigh(covariance, "L");  // ascending order
  Pca pca;
  pca.dims = dims;
  pca.components = components;
  auto mean_f = mean.to(torch::kFloat);
  pca.mean.assign(mean_f.data_ptr<float>(), mean_f.data_ptr<float>() + dims);
  for (int c = 0; c < components; ++c) {
    const std::int64_t column = dims - 1 - c;
    auto axis = eigenvectors.select(1, column).contiguous();
    // Fix the sign so that axes do not flip between epochs for the same data.
    const double* a = axis.data_ptr<double>();
    const auto largest = std::max_element(a, a + dims, [](double p, double q) { return std::abs(p) < std::abs(q); });
    const double sign = *largest < 0 ? -1.0 : 1.0;
    for (int d = 0; d < dims; ++d) pca.axes.push_back(static_cast<float>(sign * a[d]));
    pca.variance.push_back(static_cast<float>(eigenvalues[column].item<double>()));
  }
  return pca;
}

std::vector<float> interpolate(const std::vector<float>& from, const std::vector<float>& to, int steps,
                               bool spherical) {
  if (from.size() != to.size()) throw Error("interpolate: end points differ in size");
  steps = std::max(steps, 2);
  const std::size_t dims = from.size();
  std::vector<float> path;
  path.reserve(steps * dims);
  double dot = 0, norm_a = 0, norm_b = 0;
  for (std::size_t d = 0; d < dims; ++d) {
    dot += double(from[d]) * to[d];
    norm_a += double(from[d]) * from[d];
    norm_b += double(to[d]) * to[d];
  }
  const double cosine = (norm_a > 0 && norm_b > 0) ? std::clamp(dot / std::sqrt(norm_a * norm_b), -1.0, 1.0) : 1.0;
  const double omega = std::acos(cosine);
  // Slerp degenerates to lerp for (anti)parallel end points.
  const bool use_slerp = spherical && std::sin(omega) > 1e-6;
  for (int i = 0; i < steps; ++i) {
    const double t = double(i) / (steps - 1);
    double wa = 1 - t, wb = t;
    if (use_slerp) {
      wa = std::sin((1 - t) * omega) / std::sin(omega);
      wb = std::sin(t * omega) / std::sin(omega);
    }
    for (std::size_t d = 0; d < dims; ++d) path.push_back(static_cast<float>(wa * from[d] + wb * to[d]));
  }
  return path;
}

double normal_quantile(double p) {
  // Acklam's rational approximation, refined by one Newton step on erfc: ~1e-15 relative error.
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace vae
