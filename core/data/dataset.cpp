#include "core/data/dataset.h"

#include <cstdio>
#include <sstream>

#include "core/errors.h"

namespace vae {

const char* const kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

namespace {

Image picture(const Dataset& data, const Split& split, std::size_t index) {
  Image image(data.channels, data.height, data.width);
  const float* source = split.pixels.data() + index * data.image_size();
  std::copy(source, source + data.image_size(), image.pixels.begin());
  return image;
}

// FNV-1a over the bytes of a value.
template <typename T>
void hash_into(std::uint64_t& hash, const T& value) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ull;
  }
}

}  // namespace

Image Dataset::test_picture(std::size_t i) const { return picture(*this, test, i); }
Image Dataset::train_picture(std::size_t i) const { return picture(*this, train, i); }

std::string Dataset::identity() const {
  std::uint64_t hash = 1469598103934665603ull;
  for (const Split* split : {&train, &test}) {
    // A strided sample keeps this cheap on large sets while still telling data sets apart.
    const std::size_t stride = std::max<std::size_t>(1, split->pixels.size() / 65536);
    for (std::size_t i = 0; i < split->pixels.size(); i += stride) hash_into(hash, split->pixels[i]);
    for (std::size_t i = 0; i < split->labels.size(); i += 7) hash_into(hash, split->labels[i]);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  std::ostringstream out;
  out << name << " " << channels << "x" << height << "x" << width << " train " << train.count << " test " << test.count
      << " #" << hex;
  return out.str();
}

DataSpec DataSpec::parse(const std::string& text) {
  DataSpec spec;
  auto folder = [&](const std::string& prefix) {
    std::string path = text.substr(prefix.size());
    if (path.empty()) throw ConfigError("--data " + text + ": give a folder after '" + prefix + "'");
    return path;
  };
  if (text == "fashion-mnist" || text == "fashion_mnist") {
    spec.kind = Kind::FashionMnist;
  } else if (text == "synthetic") {
    spec.kind = Kind::Synthetic;
  } else if (text.rfind("idx:", 0) == 0) {
    spec.kind = Kind::Idx;
    spec.path = folder("idx:");
  } else if (text.rfind("images:", 0) == 0) {
    spec.kind = Kind::ImageFolder;
    spec.path = folder("images:");
  } else {
    throw ConfigError("unknown data set '" + text + "': expected fashion-mnist, idx:DIR, images:DIR or synthetic");
  }
  return spec;
}

std::string DataSpec::to_string() const {
  switch (kind) {
    case Kind::FashionMnist:
      return "fashion-mnist";
    case Kind::Idx:
      return "idx:" + path;
    case Kind::ImageFolder:
      return "images:" + path;
    case Kind::Synthetic:
      return "synthetic";
  }
  return "?";
}

std::shared_ptr<const Dataset> load_dataset(const DataSpec& spec) {
  Dataset data;
  switch (spec.kind) {
    case DataSpec::Kind::FashionMnist:
      data = load_idx_folder(kFashionMnistDir);
      data.name = "Fashion-MNIST";
      data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
      break;
    case DataSpec::Kind::Idx:
      data = load_idx_folder(spec.path);
      break;
    case DataSpec::Kind::ImageFolder:
      data = load_image_folder(spec);
      break;
    case DataSpec::Kind::Synthetic:
      data = make_synthetic(spec.synthetic_train, spec.synthetic_test, spec.seed);
      break;
  }
  data.spec = spec.to_string();
  return std::make_shared<const Dataset>(std::move(data));
}

}  // namespace vae
