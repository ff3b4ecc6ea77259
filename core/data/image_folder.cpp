// A folder of images, one subfolder per class, decoded with stb_image and resized to a square.
#include <stb/stb_image_resize.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "core/data/dataset.h"
#include "core/data/image_decode.h"
#include "core/errors.h"

namespace vae {
namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

std::vector<std::string> image_files(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Decodes one file to `channels` channels at side x side, as planar floats in [0, 1].
std::vector<float> decode_resized(const std::string& path, int channels, int side) {
  const DecodedImage image = read_image_file(path, channels);
  std::vector<unsigned char> resized(std::size_t(side) * side * channels);
  const int ok =
      stbir_resize_uint8(image.pixels.data(), image.width, image.height, 0, resized.data(), side, side, 0, channels);
  if (!ok)
    throw DataError(path + ": cannot resize " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    " image");
  std::vector<float> planar(resized.size());
  const std::size_t plane = std::size_t(side) * side;
  for (std::size_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c) planar[c * plane + i] = resized[i * channels + c] / 255.0f;
  return planar;
}

void append(Split& split, const std::vector<float>& pixels, int label) {
  split.pixels.insert(split.pixels.end(), pixels.begin(), pixels.end());
  split.labels.push_back(label);
  ++split.count;
}

}  // namespace

Dataset load_image_folder(const DataSpec& spec) {
  const fs::path root(spec.path);
  if (!fs::is_directory(root))
    throw DataError(spec.path + ": not a folder (expected one subfolder of images per class)");
  if (spec.image_size < 4 || spec.image_size > 256)
    throw ConfigError("image size " + std::to_string(spec.image_size) + " is out of range: choose 4 to 256");
  if (!(spec.test_fraction > 0 && spec.test_fraction < 1))
    throw ConfigError("test fraction must be between 0 and 1 (exclusive)");

  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) class_dirs.push_back(entry.path());
  std::sort(class_dirs.begin(), class_dirs.end());
  // Images directly in the folder form a single unnamed class.
  if (class_dirs.empty()) class_dirs.push_back(root);

  Dataset data;
  data.name = root.filename().string();
  data.channels = spec.rgb ? 3 : 1;
  data.height = data.width = spec.image_size;
  data.test_fraction = spec.test_fraction;
  data.seed = spec.seed;
  std::mt19937_64 rng(spec.seed);
  for (const auto& dir : class_dirs) {
    auto files = image_files(dir);
    if (files.empty()) throw DataError(dir.string() + ": holds no PNG, JPEG or BMP images");
    const int label = static_cast<int>(data.class_names.size());
    data.class_names.push_back(dir == root ? data.name : dir.filename().string());
    std::shuffle(files.begin(), files.end(), rng);
    // Hold out a share of every class, at least one image when the class has two or more.
    std::size_t held_out = static_cast<std::size_t>(files.size() * spec.test_fraction + 0.5);
    if (held_out == 0 && files.size() >= 2) held_out = 1;
    if (held_out == files.size()) held_out = files.size() - 1;
    for (std::size_t i = 0; i < files.size(); ++i)
      append(i < held_out ? data.test : data.train, decode_resized(files[i], data.channels, spec.image_size), label);
  }
  if (data.test.count == 0)
    throw DataError(spec.path + ": too few images to hold out a test set (need at least two in a class)");
  return data;
}

}  // namespace vae
