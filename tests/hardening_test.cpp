// Hostile inputs and faults (issue 10): every file the probe found a crash, a hang or a huge
// allocation with now ends in a typed error naming the file, quickly and with bounded memory.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/image_decode.h"
#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/io/safe_file.h"
#include "core/model/vae.h"
#include "core/train/session.h"
#include "core/train/trainer.h"
#include "test_util.h"

namespace vae {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::write_bytes;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Runs `call`, expects an exception of type E whose message holds every one of `parts`.
template <typename E, typename F>
void expect_error(F&& call, std::initializer_list<std::string> parts) {
  const auto start = std::chrono::steady_clock::now();
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const E& error) {
    const std::string message = error.what();
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << "\n lacks: " << part;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

// --- files that are not files ---

TEST(HostileFiles, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const auto fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error<CheckpointError>([&] { load_checkpoint(fifo); }, {fifo, "FIFO"});
  expect_error<DataError>([&] { read_idx_images(fifo); }, {fifo, "FIFO"});
  expect_error<DataError>([&] { read_image_file(fifo, 1); }, {fifo, "FIFO"});
  EXPECT_FALSE(looks_like_checkpoint(fifo));
}

TEST(HostileFiles, DevicesAndFoldersAreRefused) {
  expect_error<CheckpointError>([] { load_checkpoint("/dev/zero"); }, {"/dev/zero", "character device"});
  expect_error<DataError>([] { read_idx_labels("/dev/zero"); }, {"/dev/zero", "character device"});
  TempDir dir;
  expect_error<CheckpointError>([&] { load_checkpoint(dir.path()); }, {dir.path(), "folder"});
}

// --- IDX ---

TEST(HostileIdx, HugeFileWithWrongMagicIsNotRead) {
  TempDir dir;
  const auto path = dir.file("train-images-idx3-ubyte");
  {
    std::ofstream out(path, std::ios::binary);
    out << "GARBAGE!";
  }
  std::filesystem::resize_file(path, std::uint64_t(3) << 30);  // sparse: 3 GiB that cost nothing
  expect_error<DataError>([&] { read_idx_images(path); }, {path, "wrong magic number"});
}

TEST(HostileIdx, HeaderClaimingMoreThanTheFileIsRefusedBeforeReading) {
  TempDir dir;
  const auto path = dir.file("x-idx3-ubyte");
  auto bytes = testing::idx_images(10, 28, 28);
  bytes[4] = 0x7f;  // count 2 billion
  write_bytes(path, bytes);
  expect_error<DataError>([&] { read_idx_images(path); }, {path, "more than the"});
  bytes = testing::idx_images(10, 28, 28);
  bytes[7] = 11;  // 11 images claimed, 10 present
  write_bytes(path, bytes);
  expect_error<DataError>([&] { read_idx_images(path); }, {path, "truncated"});
}

TEST(HostileIdx, GzipBombIsRefusedBeforeDecompressing) {
  TempDir dir;
  const auto path = dir.file("bomb-idx3-ubyte.gz");
  // A header claiming 600 MB (600 images of 1000x1000) in a file of a few KB: refused from the
  // claim and the file size alone, before a byte is decompressed.
  gzFile file = gzopen(path.c_str(), "wb9");
  auto header = testing::idx_images(0, 1000, 1000);
  header[4] = 0, header[5] = 0, header[6] = 0x02, header[7] = 0x58;
  gzwrite(file, header.data(), static_cast<unsigned>(header.size()));
  std::vector<std::uint8_t> zeros(1 << 20, 0);
  gzwrite(file, zeros.data(), static_cast<unsigned>(zeros.size()));
  gzclose(file);
  ASSERT_LT(std::filesystem::file_size(path), 1u << 20);
  expect_error<DataError>([&] { read_idx_images(path); }, {path, "ratio"});
}

TEST(HostileIdx, GzipHoldingMoreThanItsHeaderClaimsStopsAtTheClaim) {
  TempDir dir;
  const auto path = dir.file("more-idx3-ubyte.gz");
  auto bytes = testing::idx_images(2, 28, 28);
  std::vector<std::uint8_t> extra(5 << 20, 7);  // 5 MB beyond the claim
  bytes.insert(bytes.end(), extra.begin(), extra.end());
  gzFile file = gzopen(path.c_str(), "wb9");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  expect_error<DataError>([&] { read_idx_images(path); }, {path, "unexpected bytes"});
}

// --- images ---

TEST(HostileImages, ZeroWidthPnmNamedPngIsRefused) {
  // The probe's 11-byte file: stb decodes PNM whatever the name, then the resizer aborted.
  TempDir dir;
  write_text(dir.file("x.png"), "P5\n0 4\n255\n");
  expect_error<DataError>([&] { read_image_file(dir.file("x.png"), 1); },
                          {dir.file("x.png"), "not a PNG, JPEG or BMP"});
}

TEST(HostileImages, SixteenBitPpmIsRefused) {
  TempDir dir;
  write_text(dir.file("p.png"), "P6\n5 4\n65535\n" + std::string(120, '\x7f'));
  expect_error<DataError>([&] { read_image_file(dir.file("p.png"), 1); },
                          {dir.file("p.png"), "not a PNG, JPEG or BMP"});
}

TEST(HostileImages, TgaHeaderClaimingAHugeImageIsRefused) {
  TempDir dir;
  std::string tga(18, '\0');
  tga[2] = 2;  // uncompressed true colour
  tga[12] = char(46000 & 0xff), tga[13] = char(46000 >> 8), tga[14] = char(15000 & 0xff), tga[15] = char(15000 >> 8);
  tga[16] = 24;
  write_text(dir.file("t.png"), tga);
  expect_error<DataError>([&] { read_image_file(dir.file("t.png"), 3); },
                          {dir.file("t.png"), "not a PNG, JPEG or BMP"});
}

// A PNG signature and IHDR chunk only (with a correct CRC): enough for stbi_info.
std::string png_header(std::uint32_t width, std::uint32_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string chunk = "IHDR";
  auto be32 = [](std::string& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
  };
  be32(chunk, width);
  be32(chunk, height);
  chunk += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit grey
  be32(png, 13);
  png += chunk;
  be32(png, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), chunk.size())));
  return png;
}

TEST(HostileImages, HugePngIsRefusedBeforeDecoding) {
  TempDir dir;
  write_text(dir.file("big.png"), png_header(20000, 20000));
  expect_error<DataError>([&] { read_image_file(dir.file("big.png"), 1); },
                          {dir.file("big.png"), "20000x20000", "megapixels"});
}

TEST(HostileImages, ZeroSizedPngIsRefused) {
  TempDir dir;
  write_text(dir.file("zero.png"), png_header(0, 5));
  expect_error<DataError>([&] { read_image_file(dir.file("zero.png"), 1); }, {dir.file("zero.png")});
}

TEST(HostileImages, JpegHuffmanTableWithTooManyCodesIsRefused) {
  // fuzz_image's finding: stb_image 2.27 indexes past its 257-entry table for such a table.
  std::string jpeg = "\xFF\xD8";                                     // SOI
  std::string dht = std::string("\x00", 1) + std::string(16, '\0');  // class 0, id 0, counts
  dht[16] = static_cast<char>(200);                                  // 200 codes of 16 bits ...
  dht[15] = static_cast<char>(100);                                  // ... and 100 of 15: 300 > 256
  dht += std::string(300, '\x01');
  const std::size_t length = dht.size() + 2;
  jpeg += "\xFF\xC4";
  jpeg += static_cast<char>(length >> 8);
  jpeg += static_cast<char>(length & 0xff);
  jpeg += dht + "\xFF\xD9";
  expect_error<DataError>([&] { decode_image(jpeg, "h.jpg", 1); }, {"h.jpg", "corrupt JPEG", "Huffman table"});
}

// A grey PNG of width x height whose IDAT holds `stream` (zlib), with valid chunk CRCs.
std::string png_with_stream(std::uint32_t width, std::uint32_t height, const std::string& stream) {
  auto be = [](std::uint32_t v) {
    std::string out;
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
    return out;
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    return be(std::uint32_t(data.size())) + body +
           be(std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
  };
  const std::string ihdr = be(width) + be(height) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", stream) + chunk("IEND", "");
}

std::string zlib_compress(const std::string& raw) {
  uLongf size = compressBound(uLong(raw.size()));
  std::string out(size, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()));
  out.resize(size);
  return out;
}

TEST(HostileImages, PngStreamThatInflatesWithoutBoundIsRefused) {
  // fuzz_image's finding: an 83-byte 6x5 PNG whose damaged IDAT made stb 2.27 inflate into a
  // buffer doubled without limit (450 MB at peak, 2.3 s for three decodes under ASan).
  const std::string bytes(
      "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x06\x00\x00\x00\x05"
      "\x08\x00\x00\x00\x00\x43\x19\x33\x00\x3a\x00\xc2\x00\x49\x44\x41\x54\x78\x5e\x63\x64\xe0\x06\x01"
      "\x46\x27\x30\xc5\x02\xa1\x18\x8f\x41\x04\x2f\x39\xc0\x14\x00\x29\x6a\x02\x6e\xa5\x14\xd3\xa8\x00"
      "\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
      83);  // tests/fuzz/regressions/image/png-idat-inflates-without-bound.png
  expect_error<DataError>([&] { decode_image(bytes, "z.png", 1); }, {"z.png", "corrupt PNG"});
  // More pixel data than 6x5 needs, and a stream cut short: refused before stb inflates them.
  expect_error<DataError>(
      [&] { decode_image(png_with_stream(6, 5, zlib_compress(std::string(100000, '\0'))), "l.png", 1); },
      {"l.png", "expands beyond"});
  const std::string whole = zlib_compress(std::string(5 * 7, '\0'));
  expect_error<DataError>([&] { decode_image(png_with_stream(6, 5, whole.substr(0, whole.size() - 6)), "t.png", 1); },
                          {"t.png", "corrupt PNG"});
  // The exact stream decodes.
  const auto image = decode_image(png_with_stream(6, 5, whole), "ok.png", 1);
  EXPECT_EQ(image.width, 6);
  EXPECT_EQ(image.height, 5);
}

TEST(HostileImages, JpegScanWithAnUndefinedHuffmanTableIsRefused) {
  // fuzz_image's finding: a progressive JPEG whose AC scan uses a table no DHT defined made stb
  // 2.27 read its uninitialised table (SEGV under ASan).
  const std::string jpeg(
      "\xff\xd8\xff\xe9\x00\x10\x4a\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10"
      "\x10\xff\xc2\x00\x11\x08\x00\x05\x00\x06\x03\x01\x11\x00\x02\x11\x01\x03\x11\x01\xff\xc4\x00\x14"
      "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\xff\xc4\x00\x15\x01\x01"
      "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\x07\xff\xda\x00\x0c\x03\x01\x00"
      "\x02\x10\x03\x10\x00\x00\x01\x0e\xb1\x22\xff\xc4\x00\x16\x10\x00\x03\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x61\xa1\xd1\xff\xda\x00\x08\x01\x03\x01\x01\x3f\x10\x7d\x61\xff\xc4"
      "\x00\x17\x11\x00\x03\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2c\x0f\xff"
      "\xda\x00\x08\x09\x02\x01\x01\x3f\x10\xd1\x29\xff\xc4\x00\x16\x10\x00\x03\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x61\xa1\xff\xda\x00\x08\x01\x01\x00\x01\x3f\x10\x65\x1f\xff"
      "\xd9",
      217);  // tests/fuzz/regressions/image/jpeg-progressive-undefined-ac-table.jpg
  expect_error<DataError>([&] { decode_image(jpeg, "p.jpg", 1); }, {"p.jpg", "corrupt JPEG", "never defined"});
}

TEST(HostileImages, ImageFolderWithAPnmNamesTheFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("a"));
  Image ok(1, 8, 8);
  write_png(ok, dir.file("a/1.png"));
  write_png(ok, dir.file("a/2.png"));
  write_text(dir.file("a/3.png"), "P5\n0 4\n255\n");
  DataSpec spec;
  spec.kind = DataSpec::Kind::ImageFolder;
  spec.path = dir.path();
  spec.image_size = 8;
  expect_error<DataError>([&] { load_image_folder(spec); }, {"3.png", "not a PNG, JPEG or BMP"});
}

// --- checkpoints ---

std::shared_ptr<const Dataset> small_data() {
  static auto data = [] {
    Dataset d = make_synthetic(300, 50, 5);
    d.spec = "synthetic";
    return std::make_shared<const Dataset>(std::move(d));
  }();
  return data;
}

ModelConfig small_model() {
  ModelConfig model;
  model.hidden = {32};
  model.latent = 2;
  return model;
}

TrainConfig small_train() {
  TrainConfig train;
  train.batch_size = 50;  // 6 steps an epoch
  train.epochs = 3;
  train.seed = 4;
  return train;
}

// A checkpoint taken mid-epoch (so it has an epoch order and moments), saved to `path`.
Checkpoint save_mid_epoch(const std::string& path) {
  TrainingSession session(small_data(), small_model(), small_train());
  for (int i = 0; i < 8; ++i)
    if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
  auto checkpoint = session.make_checkpoint();
  save_checkpoint(checkpoint, path);
  return checkpoint;
}

// The parts of a checkpoint file, to craft hostile ones with a valid CRC.
struct Parts {
  std::uint32_t version = 0;
  json header;
  std::string blobs;
};

Parts split_file(const std::string& path) {
  const std::string file = read_regular_file(path, 1u << 30, "checkpoint");
  Parts parts;
  std::memcpy(&parts.version, file.data() + 8, 4);
  std::uint64_t header_size = 0, blob_size = 0;
  std::memcpy(&header_size, file.data() + 12, 8);
  parts.header = json::parse(file.substr(20, header_size));
  std::memcpy(&blob_size, file.data() + 20 + header_size, 8);
  parts.blobs = file.substr(28 + header_size, blob_size);
  return parts;
}

void join_file(const Parts& parts, const std::string& path) {
  const std::string header = parts.header.dump();
  std::string file = "VAEXCKPT";
  auto put = [&](const void* p, std::size_t n) { file.append(static_cast<const char*>(p), n); };
  put(&parts.version, 4);
  const std::uint64_t header_size = header.size(), blob_size = parts.blobs.size();
  put(&header_size, 8);
  file += header;
  put(&blob_size, 8);
  file += parts.blobs;
  const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(file.data()), file.size()));
  put(&crc, 4);
  write_text(path, file);
}

class HostileCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("m.ckpt");
    save_mid_epoch(path_);
    parts_ = split_file(path_);
  }
  void expect_refused(std::initializer_list<std::string> parts) {
    join_file(parts_, path_);
    std::vector<std::string> all(parts);
    all.push_back(path_);
    const auto start = std::chrono::steady_clock::now();
    try {
      load_checkpoint(path_);
      ADD_FAILURE() << "loaded";
    } catch (const CheckpointError& error) {
      for (const auto& part : all) EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  }
  TempDir dir_;
  std::string path_;
  Parts parts_;
};

TEST_F(HostileCheckpoint, HugeLayersAreRefusedBeforeTheModelIsBuilt) {
  parts_.header["model"]["hidden"] = std::vector<int>(8, 8192);  // 3.4 GB of weights in a small file
  expect_refused({"needs at least"});
}

TEST_F(HostileCheckpoint, OutOfRangeNumbers) {
  const Parts original = parts_;
  parts_.header["model"]["latent"] = 1e300;
  expect_refused({"whole number"});
  parts_ = original;
  parts_.header["model"]["channels"] = 1ll << 40;
  expect_refused({"out of range"});
  parts_ = original;
  parts_.header["train"]["learning_rate"] = -1;
  expect_refused({"learning rate"});
}

TEST_F(HostileCheckpoint, DuplicateTensorIsRefused) {
  auto& tensors = parts_.header["tensors"];
  tensors[1]["name"] = tensors[0]["name"];
  expect_refused({"appears twice"});
}

TEST_F(HostileCheckpoint, MissingTensorIsRefused) {
  parts_.header["tensors"].erase(parts_.header["tensors"].size() - 1);
  expect_refused({"weight tensors"});
}

TEST_F(HostileCheckpoint, TensorOutsideTheFileIsRefused) {
  parts_.header["tensors"][0]["offset"] = parts_.blobs.size();
  expect_refused({"outside the file"});
}

TEST_F(HostileCheckpoint, BadEpochOrderIsRefused) {
  auto order = parts_.header["progress"]["epoch_order"].get<std::vector<std::int64_t>>();
  order[3] = order[4];
  parts_.header["progress"]["epoch_order"] = order;
  expect_refused({"not a permutation"});
}

TEST_F(HostileCheckpoint, NegativeStepInEpochIsRefused) {
  parts_.header["progress"]["step_in_epoch"] = -3;
  expect_refused({"step within the epoch"});
}

TEST_F(HostileCheckpoint, StepInEpochPastTheEpochIsRefused) {
  parts_.header["progress"]["step_in_epoch"] = 1000;
  expect_refused({"stopped at step 1000"});
}

TEST_F(HostileCheckpoint, ShortGeneratorStateIsRefused) {
  parts_.header["rng"]["bytes"] = 100;
  expect_refused({"generator state"});
}

TEST_F(HostileCheckpoint, CorruptOptimiserMomentsAreRefused) {
  // The probe's crash: one byte of the optimiser blob changed, CRC recomputed. In our own
  // format it is a float that is checked, never a LibTorch archive.
  const auto offset = parts_.header["optimizer"]["parameters"][0]["exp_avg_sq"]["offset"].get<std::size_t>();
  const float nan = -1.0f;
  std::memcpy(parts_.blobs.data() + offset, &nan, sizeof nan);
  expect_refused({"optimiser state", "invalid values"});
}

TEST_F(HostileCheckpoint, NanWeightIsRefused) {
  // fuzz_resume's finding: a NaN weight reached the fused step's exp (undefined behaviour in its
  // float-to-int conversion under UBSan). Training never saves one.
  const auto offset = parts_.header["tensors"][2]["offset"].get<std::size_t>();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(parts_.blobs.data() + offset, &nan, sizeof nan);
  expect_refused({"NaN or infinite"});
}

TEST_F(HostileCheckpoint, OptimiserStateOfAnotherSizeIsRefused) {
  parts_.header["optimizer"]["parameters"][0]["exp_avg"]["bytes"] = 4;
  expect_refused({"first moment"});
}

TEST_F(HostileCheckpoint, VersionOneOptimiserBlobIsNeverParsed) {
  // A version-1 file whose optimiser blob is garbage: it loads (weights and all), says that
  // Adam restarts, and resumes.
  parts_.version = 1;
  const std::string garbage = "PK\x03\x04 not really a LibTorch archive";
  parts_.header["optimizer"] = {{"offset", parts_.blobs.size()}, {"bytes", garbage.size()}};
  parts_.blobs += garbage;
  join_file(parts_, path_);
  const Checkpoint loaded = load_checkpoint(path_);
  EXPECT_TRUE(loaded.optimizer_state.empty());
  EXPECT_NE(loaded.load_note.find("not read"), std::string::npos);
  TrainingSession session(small_data(), loaded, small_train());
  EXPECT_NE(session.data_warning().find("fresh moments"), std::string::npos);
  EXPECT_NE(session.train_step(), TrainingSession::StepResult::NonFinite);
}

// The bounded history's optional fields (core/train/step_history.h) are checked like the rest:
// a crafted file cannot claim an unbounded history or rows that break its invariants.
TEST_F(HostileCheckpoint, ThinnedHistoryFieldsAreValidated) {
  const Parts original = parts_;
  auto& steps = parts_.header["history"]["steps"];
  ASSERT_TRUE(steps.contains("steps_covered"));
  steps["max_rows"] = 1ll << 40;
  expect_refused({"history", "row bound"});
  parts_ = original;
  parts_.header["history"]["steps"]["stride"] = 3;
  expect_refused({"history", "power of two"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"][0] = 0;
  expect_refused({"history", "covers 0 steps"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"].erase(0);
  expect_refused({"steps_covered", "wrong length"});
  parts_ = original;
  parts_.header["history"]["steps"]["step"][1] = 0;
  expect_refused({"history", "do not increase"});
  parts_ = original;
  parts_.header["history"]["steps"]["steps_covered"][2] = -1;
  expect_refused({"out of range"});
}

// A file written before the history was bounded (no steps_covered, stride, max_rows) loads as a
// row per step; more rows than the bound are thinned as a live run would have been.
TEST_F(HostileCheckpoint, HistoryWithoutTheNewFieldsLoadsAsOneRowPerStep) {
  auto& steps = parts_.header["history"]["steps"];
  for (const char* key : {"steps_covered", "stride", "max_rows"}) steps.erase(key);
  join_file(parts_, path_);
  const Checkpoint loaded = load_checkpoint(path_);
  ASSERT_EQ(loaded.history.steps.size(), 8u);
  EXPECT_EQ(loaded.history.steps.stride(), 1u);
  EXPECT_EQ(loaded.history.steps.max_rows(), StepHistory::kMaxRows);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(loaded.history.steps[i].step, std::int64_t(i + 1));
  EXPECT_EQ(loaded.history.steps.latest().step, 8);
}

TEST(Checkpoint2, AdamStateRoundTripResumesBitExactly) {
  TempDir dir;
  // Straight: 14 steps. Split: 8 steps, save, load, 6 more steps.
  TrainingSession straight(small_data(), small_model(), small_train());
  for (int i = 0; i < 14; ++i)
    if (straight.train_step() == TrainingSession::StepResult::EpochFinished) straight.evaluate_epoch(nullptr);
  save_mid_epoch(dir.file("a.ckpt"));
  const Checkpoint loaded = load_checkpoint(dir.file("a.ckpt"));
  ASSERT_FALSE(loaded.optimizer_state.empty());
  EXPECT_EQ(loaded.optimizer_state.step, 8);
  TrainingSession resumed(small_data(), loaded, small_train());
  EXPECT_EQ(resumed.export_adam_state().exp_avg, loaded.optimizer_state.exp_avg);
  for (int i = 0; i < 6; ++i)
    if (resumed.train_step() == TrainingSession::StepResult::EpochFinished) resumed.evaluate_epoch(nullptr);
  const auto a = named_weights(straight.model()), b = named_weights(resumed.model());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  EXPECT_EQ(straight.export_adam_state().exp_avg_sq, resumed.export_adam_state().exp_avg_sq);
}

TEST(Checkpoint2, NamesThatAreNotUtf8SurviveSaveAndLoad) {
  TempDir dir;
  auto checkpoint = save_mid_epoch(dir.file("a.ckpt"));
  checkpoint.data_spec = "images:/data/caf\xe9";  // Latin-1, not UTF-8
  checkpoint.class_names = {"ok", "\xff\xfe", "na\xefve"};
  checkpoint.data_identity = "x\x80y";
  save_checkpoint(checkpoint, dir.file("b.ckpt"));
  const auto loaded = load_checkpoint(dir.file("b.ckpt"));
  EXPECT_EQ(loaded.data_spec, checkpoint.data_spec);
  EXPECT_EQ(loaded.class_names, checkpoint.class_names);
  EXPECT_EQ(loaded.data_identity, checkpoint.data_identity);
}

// --- writes ---

TEST(AtomicWrite, StaleTemporariesOfDeadProcessesAreRemoved) {
  TempDir dir;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now a pid of no process
  const auto target = dir.file("m.ckpt");
  const auto dead = target + ".tmp-" + std::to_string(child);
  const auto alive = target + ".tmp-1";  // init never dies
  const auto other = dir.file("other.ckpt.tmp-" + std::to_string(child));
  for (const auto& p : {dead, alive, other}) write_text(p, "partial");
  write_file_atomically(target, "new contents");
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(alive));
  EXPECT_TRUE(std::filesystem::exists(other));  // another file's temporaries are not ours to judge
  EXPECT_EQ(read_regular_file(target, 100, "file"), "new contents");
}

TEST(AtomicWrite, DiskFullKeepsThePreviousFile) {
  TempDir dir;
  const auto target = dir.file("m.ckpt");
  write_file_atomically(target, "old contents");
  // A file size limit (as ulimit -f) in a child process: the write fails, the old file stays.
  const pid_t child = ::fork();
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomically(target, std::string(100000, 'x'));
      ::_exit(3);
    } catch (const IoError& error) {
      ::_exit(std::string(error.what()).find("previous file is unchanged") != std::string::npos ? 0 : 4);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_regular_file(target, 100, "file"), "old contents");
  EXPECT_FALSE(std::filesystem::exists(target + ".tmp-" + std::to_string(child)));
}

TEST(AtomicWrite, CheckWritableNamesTheProblem) {
  TempDir dir;
  expect_error<IoError>([&] { check_writable(dir.file("no/such/m.ckpt")); }, {"does not exist"});
  expect_error<IoError>([&] { check_writable(dir.path()); }, {"is a folder"});
  check_writable(dir.file("fine.ckpt"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the probe file is gone
}

TEST(AtomicWrite, FailedAutosavePausesTrainingAtOnce) {
  TempDir dir;
  auto train = small_train();
  train.epochs = 3;
  Trainer trainer(small_data(), small_model(), train);
  trainer.set_autosave_path(dir.file("gone/m.ckpt"));  // the folder does not exist
  trainer.start();
  trainer.wait_until_done();
  const auto snap = trainer.snapshot();
  EXPECT_EQ(snap->state, TrainerState::Paused);
  EXPECT_TRUE(snap->message_is_error);
  EXPECT_NE(snap->message.find("autosave failed"), std::string::npos) << snap->message;
  EXPECT_EQ(snap->epoch, 1);  // stopped after the first epoch's failed save, not at the end
}

}  // namespace
}  // namespace vae
