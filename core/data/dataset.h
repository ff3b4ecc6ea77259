#pragma once
// Data sets as the engine sees them: two splits of equally sized images with optional labels.
// Loaders for IDX files (MNIST family), image folders and a synthetic set live in data/*.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image.h"

namespace vae {

struct Split {
  std::size_t count = 0;
  std::vector<float> pixels;  // count * channels * height * width, values in [0, 1]
  std::vector<int> labels;    // count entries, or empty when the data set has no labels

  bool has_labels() const { return !labels.empty(); }
};

struct Dataset {
  std::string spec;  // how it was asked for, e.g. "fashion-mnist", "idx:/data/mnist"
  std::string name;  // for people, e.g. "Fashion-MNIST"
  int channels = 1;
  int height = 28;
  int width = 28;
  std::vector<std::string> class_names;  // index = label; empty when unlabelled
  double test_fraction = 0;              // image folders: the share held out for testing (0 when fixed by the files)
  std::uint64_t seed = 0;                // what generated (synthetic) or split (image folders) it; 0 when unused
  Split train;
  Split test;

  std::size_t image_size() const { return std::size_t(channels) * height * width; }
  const float* train_image(std::size_t i) const { return train.pixels.data() + i * image_size(); }
  const float* test_image(std::size_t i) const { return test.pixels.data() + i * image_size(); }
  Image test_picture(std::size_t i) const;
  Image train_picture(std::size_t i) const;
  // A short fingerprint of the contents (sizes plus a hash of a sample of pixels) stored in
  // checkpoints, so loading a model next to other data can be reported.
  std::string identity() const;
};

// How to get a data set, parsed from the CLI's --data or chosen in the window.
struct DataSpec {
  enum class Kind { FashionMnist, Idx, ImageFolder, Synthetic };
  Kind kind = Kind::FashionMnist;
  std::string path;                    // folder for Idx and ImageFolder
  int image_size = 28;                 // ImageFolder: images are resized to image_size x image_size
  bool rgb = false;                    // ImageFolder: keep colour (3 channels) instead of grayscale
  double test_fraction = 0.1;          // ImageFolder: share of each class held out for testing
  std::size_t synthetic_train = 6000;  // Synthetic: sizes of the two splits
  std::size_t synthetic_test = 1000;
  std::uint64_t seed = 1;  // ImageFolder split and Synthetic generation

  // "fashion-mnist" | "idx:DIR" | "images:DIR" | "synthetic"; throws ConfigError otherwise.
  static DataSpec parse(const std::string& text);
  std::string to_string() const;
};

// Where Debian's dataset-fashion-mnist package puts its files.
extern const char* const kFashionMnistDir;

std::shared_ptr<const Dataset> load_dataset(const DataSpec& spec);

// Individual loaders, public for tests and for dropping files onto the window.
// IDX: DIR holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-... (labels
// optional; the train-* files too, leaving an empty training split). DIR may also be a single
// IDX image file, loaded as the test split. Throws DataError naming the file on any inconsistency.
Dataset load_idx_folder(const std::string& dir);
// One IDX file of images (idx3, unsigned byte), raw or gzip: count x rows x cols.
struct IdxImages {
  std::size_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> bytes;
};
IdxImages read_idx_images(const std::string& path);
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

Dataset load_image_folder(const DataSpec& spec);
Dataset make_synthetic(std::size_t train_count, std::size_t test_count, std::uint64_t seed);

// Names of the classes of the synthetic set, also its factors of variation.
std::vector<std::string> synthetic_class_names();

}  // namespace vae
