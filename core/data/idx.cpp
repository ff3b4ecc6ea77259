// IDX files of the MNIST family (LeCun's format): a big-endian header, then unsigned bytes.
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/data/dataset.h"
#include "core/errors.h"

namespace vae {
namespace fs = std::filesystem;

namespace {

// Decompressed contents larger than this are refused: EMNIST by-class, the largest of the
// family, is about 550 MB.
constexpr std::size_t kMaxIdxBytes = std::size_t(2) << 30;

// Reads a raw or gzip file whole (gzread passes raw files through unchanged). The buffer grows
// with the data actually present, so a header that lies about its size cannot force a huge
// allocation.
std::vector<std::uint8_t> read_maybe_gzip(const std::string& path) {
  if (!fs::exists(path)) throw DataError(path + ": no such file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw DataError(path + ": cannot open for reading");
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> chunk(1 << 20);
  for (;;) {
    const int got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      std::string reason = gzerror(file, &code);
      gzclose(file);
      throw DataError(path + ": corrupt compressed data (" + reason + ")");
    }
    if (got == 0) break;
    if (bytes.size() + got > kMaxIdxBytes) {
      gzclose(file);
      throw DataError(path + ": larger than 2 GiB once decompressed; not an IDX file of the MNIST family");
    }
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
  }
  // A gzip stream cut short reads as a clean end; gzclose reports it as Z_BUF_ERROR.
  const int closed = gzclose(file);
  if (closed == Z_BUF_ERROR) throw DataError(path + ": compressed data is truncated");
  if (closed != Z_OK) throw DataError(path + ": compressed data is corrupt");
  return bytes;
}

std::uint32_t big_endian_u32(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  return (std::uint32_t(bytes[offset]) << 24) | (std::uint32_t(bytes[offset + 1]) << 16) |
         (std::uint32_t(bytes[offset + 2]) << 8) | std::uint32_t(bytes[offset + 3]);
}

std::string hex(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

enum class IdxKind { Images, Labels };

// Checks the magic number (telling images and labels apart) and that the header is complete.
void check_header(const std::vector<std::uint8_t>& bytes, const std::string& path, IdxKind kind) {
  const bool images = kind == IdxKind::Images;
  const std::uint32_t expected = images ? 0x00000803 : 0x00000801;
  const std::uint32_t other = images ? 0x00000801 : 0x00000803;
  const std::size_t header = images ? 16 : 8;
  auto truncated = [&] { return DataError(path + ": truncated IDX header (" + std::to_string(bytes.size()) + " bytes)"); };
  if (bytes.size() < 4) throw truncated();
  const std::uint32_t magic = big_endian_u32(bytes, 0);
  if (magic == other)
    throw DataError(path + (images ? ": this is an IDX label file, expected images" : ": this is an IDX image file, expected labels"));
  if (magic != expected)
    throw DataError(path + ": wrong magic number " + hex(magic) + ", expected " + hex(expected) +
                    (images ? " (IDX images of unsigned bytes)" : " (IDX labels)"));
  if (bytes.size() < header) throw truncated();
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  const auto bytes = read_maybe_gzip(path);
  check_header(bytes, path, IdxKind::Images);
  IdxImages images;
  const std::uint64_t count = big_endian_u32(bytes, 4);
  const std::uint64_t rows = big_endian_u32(bytes, 8);
  const std::uint64_t cols = big_endian_u32(bytes, 12);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw DataError(path + ": implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
  const std::uint64_t expected = count * rows * cols;
  const std::uint64_t present = bytes.size() - 16;
  if (present < expected)
    throw DataError(path + ": truncated: header claims " + std::to_string(count) + " images of " + std::to_string(rows) +
                    "x" + std::to_string(cols) + " (" + std::to_string(expected) + " bytes) but the file holds " +
                    std::to_string(present) + " bytes of pixels");
  if (present > expected)
    throw DataError(path + ": " + std::to_string(present - expected) + " unexpected bytes after the last image");
  if (count == 0) throw DataError(path + ": holds no images");
  images.count = count;
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  images.bytes.assign(bytes.begin() + 16, bytes.end());
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  const auto bytes = read_maybe_gzip(path);
  check_header(bytes, path, IdxKind::Labels);
  const std::uint64_t count = big_endian_u32(bytes, 4);
  const std::uint64_t present = bytes.size() - 8;
  if (present < count)
    throw DataError(path + ": truncated: header claims " + std::to_string(count) + " labels but the file holds " +
                    std::to_string(present));
  if (present > count) throw DataError(path + ": " + std::to_string(present - count) + " unexpected bytes after the last label");
  return std::vector<std::uint8_t>(bytes.begin() + 8, bytes.end());
}

namespace {

// Finds the one file in `dir` whose name contains any of `keys` (e.g. "train-images").
std::string find_idx_file(const std::string& dir, const std::vector<std::string>& keys, bool required) {
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    for (const auto& key : keys)
      if (name.find(key) != std::string::npos) found.insert(entry.path().string());
  }
  if (found.size() > 1) {
    // Prefer the uncompressed copy when both a file and its .gz are present.
    std::set<std::string> raw;
    for (const auto& f : found)
      if (f.size() < 3 || f.substr(f.size() - 3) != ".gz") raw.insert(f);
    if (raw.size() == 1) return *raw.begin();
    throw DataError(dir + ": several files match '" + keys.front() + "': " + *found.begin() + ", " +
                    *std::next(found.begin()));
  }
  if (found.empty()) {
    if (required) throw DataError(dir + ": no file named like '" + keys.front() + "-idx3-ubyte[.gz]'");
    return {};
  }
  return *found.begin();
}

void fill_split(Split& split, const IdxImages& images, const std::string& labels_path) {
  split.count = images.count;
  split.pixels.resize(images.bytes.size());
  std::transform(images.bytes.begin(), images.bytes.end(), split.pixels.begin(),
                 [](std::uint8_t v) { return v / 255.0f; });
  if (!labels_path.empty()) {
    const auto labels = read_idx_labels(labels_path);
    if (labels.size() != images.count)
      throw DataError(labels_path + ": holds " + std::to_string(labels.size()) + " labels for " +
                      std::to_string(images.count) + " images");
    split.labels.assign(labels.begin(), labels.end());
  }
}

}  // namespace

Dataset load_idx_folder(const std::string& dir) {
  if (fs::is_regular_file(dir)) {
    // A single IDX image file: scored or explored as a test split; nothing to train on.
    Dataset data;
    data.name = fs::path(dir).filename().string();
    const auto images = read_idx_images(dir);
    data.height = images.rows;
    data.width = images.cols;
    fill_split(data.test, images, {});
    return data;
  }
  if (!fs::is_directory(dir)) throw DataError(dir + ": not a folder (expected a folder of IDX files)");
  // The training files are optional: a folder of t10k-* files alone is a second data set to
  // evaluate or score against a model (training on it reports the empty training split).
  const auto train_images_path = find_idx_file(dir, {"train-images"}, false);
  const auto test_images_path = find_idx_file(dir, {"t10k-images", "test-images"}, false);
  if (test_images_path.empty())
    throw DataError(dir + ": no file named like 't10k-images-idx3-ubyte[.gz]'" +
                    (train_images_path.empty() ? " or 'train-images-idx3-ubyte[.gz]'" : ""));
  const auto train_labels_path = find_idx_file(dir, {"train-labels"}, false);
  const auto test_labels_path = find_idx_file(dir, {"t10k-labels", "test-labels"}, false);
  const bool has_train = !train_images_path.empty();

  const auto test_images = read_idx_images(test_images_path);
  IdxImages train_images;
  if (has_train) {
    train_images = read_idx_images(train_images_path);
    if (train_images.rows != test_images.rows || train_images.cols != test_images.cols)
      throw DataError(test_images_path + ": images are " + std::to_string(test_images.rows) + "x" +
                      std::to_string(test_images.cols) + " but the training images (" + train_images_path + ") are " +
                      std::to_string(train_images.rows) + "x" + std::to_string(train_images.cols));
    if (train_labels_path.empty() != test_labels_path.empty())
      throw DataError(dir + ": labels are present for only one of the two splits");
  } else if (!train_labels_path.empty()) {
    throw DataError(train_labels_path + ": training labels without training images");
  }

  Dataset data;
  data.name = fs::path(dir).filename().string();
  if (data.name.empty()) data.name = dir;
  data.channels = 1;
  data.height = test_images.rows;
  data.width = test_images.cols;
  if (has_train) fill_split(data.train, train_images, train_labels_path);
  fill_split(data.test, test_images, test_labels_path);
  if (data.test.has_labels()) {
    int max_label = 0;
    for (int l : data.train.labels) max_label = std::max(max_label, l);
    for (int l : data.test.labels) max_label = std::max(max_label, l);
    for (int i = 0; i <= max_label; ++i) data.class_names.push_back(std::to_string(i));
  }
  return data;
}

}  // namespace vae
