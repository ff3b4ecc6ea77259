// IDX and image-folder readers on good and corrupt files made here, and the synthetic set.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "test_util.h"

namespace vae {
namespace {

using testing::TempDir;

void expect_data_error(const std::function<void()>& action, const std::string& must_mention, const std::string& what) {
  try {
    action();
    FAIL() << "expected a DataError mentioning '" << must_mention << "' and '" << what << "'";
  } catch (const DataError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(must_mention), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  }
}

void write_gzip(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

void write_idx_set(const TempDir& dir, std::uint32_t train, std::uint32_t test, bool gzip) {
  auto put = [&](const std::string& name, const std::vector<std::uint8_t>& bytes) {
    if (gzip)
      write_gzip(dir.file(name + ".gz"), bytes);
    else
      testing::write_bytes(dir.file(name), bytes);
  };
  put("train-images-idx3-ubyte", testing::idx_images(train, 28, 28));
  put("train-labels-idx1-ubyte", testing::idx_labels(train));
  put("t10k-images-idx3-ubyte", testing::idx_images(test, 28, 28));
  put("t10k-labels-idx1-ubyte", testing::idx_labels(test));
}

TEST(Idx, ReadsRawAndGzipFolders) {
  for (bool gzip : {false, true}) {
    TempDir dir;
    write_idx_set(dir, 30, 12, gzip);
    const Dataset data = load_idx_folder(dir.path());
    EXPECT_EQ(data.train.count, 30u);
    EXPECT_EQ(data.test.count, 12u);
    EXPECT_EQ(data.height, 28);
    ASSERT_EQ(data.train.labels.size(), 30u);
    EXPECT_EQ(data.train.labels[13], 3);
    // Pixel (image 2, y 1, x 3) was written as (2 + 1 + 3) % 256 = 6.
    EXPECT_FLOAT_EQ(data.train.pixels[2 * 784 + 1 * 28 + 3], 6 / 255.0f);
    EXPECT_EQ(data.class_names.size(), 10u);
  }
}

TEST(Idx, WrongMagicNamesTheFile) {
  TempDir dir;
  auto bytes = testing::idx_images(2, 28, 28);
  bytes[3] = 0x05;
  testing::write_bytes(dir.file("x.idx"), bytes);
  expect_data_error([&] { read_idx_images(dir.file("x.idx")); }, dir.file("x.idx"), "wrong magic");
}

TEST(Idx, LabelFileGivenAsImages) {
  TempDir dir;
  testing::write_bytes(dir.file("l.idx"), testing::idx_labels(5));
  expect_data_error([&] { read_idx_images(dir.file("l.idx")); }, "l.idx", "label file");
}

TEST(Idx, TruncatedHeader) {
  TempDir dir;
  testing::write_bytes(dir.file("short"), {0, 0, 8, 3, 0, 0});
  expect_data_error([&] { read_idx_images(dir.file("short")); }, "short", "truncated IDX header");
}

TEST(Idx, TruncatedPixels) {
  TempDir dir;
  auto bytes = testing::idx_images(10, 28, 28);
  bytes.resize(bytes.size() - 100);
  testing::write_bytes(dir.file("cut"), bytes);
  expect_data_error([&] { read_idx_images(dir.file("cut")); }, "cut", "truncated");
}

TEST(Idx, LyingHeaderDoesNotAllocateItsClaim) {
  // Claims 4 billion images of 4096x4096; holds 16 bytes of pixels. Must fail fast and clearly.
  TempDir dir;
  std::vector<std::uint8_t> bytes;
  testing::put_u32_be(bytes, 0x00000803);
  testing::put_u32_be(bytes, 0xFFFFFFFFu);
  testing::put_u32_be(bytes, 4096);
  testing::put_u32_be(bytes, 4096);
  bytes.resize(bytes.size() + 16, 7);
  testing::write_bytes(dir.file("liar"), bytes);
  expect_data_error([&] { read_idx_images(dir.file("liar")); }, "liar", "header claims 4294967295 images");
}

TEST(Idx, TruncatedGzip) {
  TempDir dir;
  write_gzip(dir.file("full.gz"), testing::idx_images(50, 28, 28));
  auto bytes = testing::read_bytes(dir.file("full.gz"));
  bytes.resize(bytes.size() / 2);
  testing::write_bytes(dir.file("half.gz"), bytes);
  expect_data_error([&] { read_idx_images(dir.file("half.gz")); }, "half.gz", "truncated");
}

TEST(Idx, LabelCountMismatch) {
  TempDir dir;
  write_idx_set(dir, 20, 10, false);
  testing::write_bytes(dir.file("train-labels-idx1-ubyte"), testing::idx_labels(19));
  expect_data_error([&] { load_idx_folder(dir.path()); }, "train-labels-idx1-ubyte", "19 labels for 20 images");
}

TEST(Idx, ImageSizesThatDisagree) {
  TempDir dir;
  write_idx_set(dir, 20, 10, false);
  testing::write_bytes(dir.file("t10k-images-idx3-ubyte"), testing::idx_images(10, 32, 32));
  expect_data_error([&] { load_idx_folder(dir.path()); }, "t10k-images-idx3-ubyte", "32x32");
}

TEST(Idx, MissingFolderAndFiles) {
  expect_data_error([] { load_idx_folder("/nonexistent/mnist"); }, "/nonexistent/mnist", "not a folder");
  TempDir dir;
  expect_data_error([&] { load_idx_folder(dir.path()); }, dir.path(), "train-images");
}

void write_png_file(const std::string& path, int w, int h, int channels, unsigned char value) {
  std::vector<unsigned char> pixels(std::size_t(w) * h * channels, value);
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels));
}

TEST(ImageFolder, ClassesResizeAndSplit) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("cats"));
  std::filesystem::create_directory(dir.file("dogs"));
  for (int i = 0; i < 10; ++i) {
    write_png_file(dir.file("cats/c" + std::to_string(i) + ".png"), 40, 30, 3, 200);
    write_png_file(dir.file("dogs/d" + std::to_string(i) + ".png"), 16, 16, 1, 50);
  }
  DataSpec spec;
  spec.kind = DataSpec::Kind::ImageFolder;
  spec.path = dir.path();
  spec.image_size = 32;
  spec.test_fraction = 0.2;
  const Dataset data = load_image_folder(spec);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"cats", "dogs"}));
  EXPECT_EQ(data.train.count, 16u);
  EXPECT_EQ(data.test.count, 4u);
  EXPECT_EQ(data.height, 32);
  EXPECT_EQ(data.channels, 1);
  // Uniform images stay uniform through the resize.
  for (std::size_t i = 0; i < data.train.count; ++i) {
    const float expected = data.train.labels[i] == 0 ? 200 / 255.f : 50 / 255.f;
    EXPECT_NEAR(data.train_image(i)[500], expected, 2 / 255.f);
  }
  spec.rgb = true;
  EXPECT_EQ(load_image_folder(spec).channels, 3);
}

TEST(ImageFolder, UndecodableImageNamed) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("a"));
  write_png_file(dir.file("a/good.png"), 8, 8, 1, 1);
  testing::write_bytes(dir.file("a/broken.png"), {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3});
  DataSpec spec;
  spec.kind = DataSpec::Kind::ImageFolder;
  spec.path = dir.path();
  expect_data_error([&] { load_image_folder(spec); }, "broken.png", "cannot read the PNG header");
}

TEST(ImageFolder, EmptyFolders) {
  TempDir dir;
  DataSpec spec;
  spec.kind = DataSpec::Kind::ImageFolder;
  spec.path = dir.path();
  expect_data_error([&] { load_image_folder(spec); }, dir.path(), "holds no PNG");
  std::filesystem::create_directory(dir.file("empty"));
  expect_data_error([&] { load_image_folder(spec); }, "empty", "holds no PNG");
}

TEST(Synthetic, DeterministicLabelledAndInRange) {
  const Dataset a = make_synthetic(200, 50, 7), b = make_synthetic(200, 50, 7), c = make_synthetic(200, 50, 8);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_NE(a.train.pixels, c.train.pixels);
  EXPECT_EQ(a.identity(), b.identity());
  EXPECT_NE(a.identity(), c.identity());
  ASSERT_EQ(a.train.labels.size(), 200u);
  std::vector<int> per_class(a.class_names.size(), 0);
  for (int label : a.train.labels) ++per_class.at(label);
  for (int n : per_class) EXPECT_GT(n, 10);
  double ink = 0;
  for (float v : a.train.pixels) {
    ASSERT_GE(v, 0.f);
    ASSERT_LE(v, 1.f);
    ink += v;
  }
  // Every image has a shape on it: between 2% and 60% of the canvas.
  const double mean = ink / a.train.pixels.size();
  EXPECT_GT(mean, 0.02);
  EXPECT_LT(mean, 0.6);
}

TEST(DataSpec, ParsesEveryForm) {
  EXPECT_EQ(DataSpec::parse("fashion-mnist").kind, DataSpec::Kind::FashionMnist);
  EXPECT_EQ(DataSpec::parse("synthetic").kind, DataSpec::Kind::Synthetic);
  EXPECT_EQ(DataSpec::parse("idx:/d").path, "/d");
  EXPECT_EQ(DataSpec::parse("images:/p").kind, DataSpec::Kind::ImageFolder);
  EXPECT_EQ(DataSpec::parse("images:/p").to_string(), "images:/p");
  EXPECT_THROW(DataSpec::parse("mnist"), ConfigError);
  EXPECT_THROW(DataSpec::parse("idx:"), ConfigError);
}

}  // namespace
}  // namespace vae
