// IDX files of the MNIST family (LeCun's format): a big-endian header, then unsigned bytes.
#include <zlib.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <set>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/io/safe_file.h"

namespace vae {
namespace fs = std::filesystem;

namespace {

// Contents larger than this are refused: EMNIST by-class, the largest of the family, is about
// 550 MB.
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t(2) << 30;
// A gzip file is refused before decompressing when its header claims more than this many
// times its compressed size (and more than kRatioFloor bytes): MNIST-family files compress
// about 2-5x, a crafted "zip bomb" about 1000x.
constexpr std::uint64_t kMaxGzipRatio = 200;
constexpr std::uint64_t kRatioFloor = std::uint64_t(64) << 20;

std::uint32_t big_endian_u32(const std::uint8_t* bytes) {
  return (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16) | (std::uint32_t(bytes[2]) << 8) |
         std::uint32_t(bytes[3]);
}

std::string hex(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

enum class IdxKind { Images, Labels };

// Reads a raw or gzip IDX file in order: the header first (checked before anything else is
// read), then exactly the body the header announces. Only regular files are opened.
class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : file_(path, "IDX file") {
    unsigned char magic[2] = {};
    gzip_ = file_.read_at(0, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzip_) {
      const int fd = ::dup(file_.fd());
      if (fd < 0 || !(gz_ = gzdopen(fd, "rb"))) {
        if (fd >= 0) ::close(fd);
        throw DataError(path + ": cannot open for reading");
      }
      gzbuffer(gz_, 1 << 16);
    }
  }
  ~IdxReader() {
    if (gz_) gzclose(gz_);
  }
  bool gzip() const { return gzip_; }
  std::uint64_t file_size() const { return file_.size(); }
  const std::string& path() const { return file_.path(); }

  // Reads up to `count` bytes; fewer only at the end of the (decompressed) data.
  std::size_t read(void* into, std::size_t count) {
    if (!gzip_) {
      const std::size_t got = file_.read_at(offset_, into, count);
      offset_ += got;
      return got;
    }
    std::size_t done = 0;
    while (done < count) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(count - done, 1u << 30));
      const int got = gzread(gz_, static_cast<char*>(into) + done, chunk);
      if (got < 0) {
        int code = 0;
        const std::string reason = gzerror(gz_, &code);
        throw DataError(path() + ": corrupt compressed data (" + reason + ")");
      }
      if (got == 0) {
        // A stream cut short reads as a clean end; zlib flags it as a buffer error.
        int code = 0;
        gzerror(gz_, &code);
        if (code == Z_BUF_ERROR) throw DataError(path() + ": compressed data is truncated");
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  RegularFile file_;
  bool gzip_ = false;
  gzFile gz_ = nullptr;
  std::uint64_t offset_ = 0;
};

struct IdxContents {
  std::uint64_t count = 0;
  std::uint64_t rows = 1;
  std::uint64_t cols = 1;
  std::vector<std::uint8_t> body;
};

// Magic first, then sizes, then the body: a header that lies cannot make us read or allocate
// more than the file really holds (raw) or than the header claims (gzip).
IdxContents read_idx(const std::string& path, IdxKind kind) {
  IdxReader reader(path);
  const bool images = kind == IdxKind::Images;
  const std::uint32_t expected_magic = images ? 0x00000803 : 0x00000801;
  const std::uint32_t other_magic = images ? 0x00000801 : 0x00000803;
  const std::size_t header_size = images ? 16 : 8;
  std::uint8_t header[16] = {};
  const std::size_t got = reader.read(header, header_size);
  auto truncated = [&] { return DataError(path + ": truncated IDX header (" + std::to_string(got) + " bytes)"); };
  if (got < 4) throw truncated();
  const std::uint32_t magic = big_endian_u32(header);
  if (magic == other_magic)
    throw DataError(path + (images ? ": this is an IDX label file, expected images"
                                   : ": this is an IDX image file, expected labels"));
  if (magic != expected_magic)
    throw DataError(path + ": wrong magic number " + hex(magic) + ", expected " + hex(expected_magic) +
                    (images ? " (IDX images of unsigned bytes)" : " (IDX labels)"));
  if (got < header_size) throw truncated();

  IdxContents contents;
  contents.count = big_endian_u32(header + 4);
  if (images) {
    contents.rows = big_endian_u32(header + 8);
    contents.cols = big_endian_u32(header + 12);
    if (contents.rows == 0 || contents.cols == 0 || contents.rows > 4096 || contents.cols > 4096)
      throw DataError(path + ": implausible image size " + std::to_string(contents.rows) + "x" +
                      std::to_string(contents.cols));
  }
  if (contents.count == 0) throw DataError(path + (images ? ": holds no images" : ": holds no labels"));
  // At most 2^32 * 4096 * 4096: no overflow in 64 bits.
  const std::uint64_t body = contents.count * contents.rows * contents.cols;
  const std::string claim = images ? "header claims " + std::to_string(contents.count) + " images of " +
                                         std::to_string(contents.rows) + "x" + std::to_string(contents.cols) + " (" +
                                         describe_bytes(body) + ")"
                                   : "header claims " + std::to_string(contents.count) + " labels";
  if (body > kMaxIdxBytes)
    throw DataError(path + ": " + claim + ", more than the " + describe_bytes(kMaxIdxBytes) + " an IDX file may hold");
  if (!reader.gzip()) {
    const std::uint64_t present = reader.file_size() - header_size;
    if (present < body)
      throw DataError(path + ": truncated: " + claim + " but the file holds " + describe_bytes(present) +
                      (images ? " of pixels" : " of labels"));
    if (present > body)
      throw DataError(path + ": " + std::to_string(present - body) + " unexpected bytes after the last " +
                      (images ? "image" : "label"));
  } else if (body > kRatioFloor && body / kMaxGzipRatio > reader.file_size()) {
    throw DataError(path + ": " + claim + " from " + describe_bytes(reader.file_size()) +
                    " of compressed data; refusing a ratio above " + std::to_string(kMaxGzipRatio) + ":1");
  }
  // Grow with the data actually decompressed, never past what the header claims.
  constexpr std::size_t kChunk = std::size_t(16) << 20;
  while (contents.body.size() < body) {
    const std::size_t before = contents.body.size();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, body - before));
    contents.body.resize(before + want);
    const std::size_t read = reader.read(contents.body.data() + before, want);
    contents.body.resize(before + read);
    if (read < want)
      throw DataError(path + ": truncated: " + claim + " but the file holds " + describe_bytes(contents.body.size()) +
                      (images ? " of pixels" : " of labels"));
  }
  std::uint8_t extra = 0;
  if (reader.read(&extra, 1) != 0)
    throw DataError(path + ": unexpected bytes after the last " + std::string(images ? "image" : "label") + " (" +
                    claim + ")");
  return contents;
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  auto contents = read_idx(path, IdxKind::Images);
  IdxImages images;
  images.count = contents.count;
  images.rows = static_cast<int>(contents.rows);
  images.cols = static_cast<int>(contents.cols);
  images.bytes = std::move(contents.body);
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) { return read_idx(path, IdxKind::Labels).body; }

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
