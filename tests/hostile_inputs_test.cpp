// Hostile data files (issue 10): FIFOs and devices, IDX files and images that the probe found a
// crash, a hang or a huge allocation with now end in a typed error naming the file, quickly and
// with bounded memory. Hostile checkpoints and write faults: hardening_test.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/data/dataset.h"
#include "core/data/image_decode.h"
#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "test_util.h"

namespace vae {
namespace {

using testing::expect_error;
using testing::TempDir;
using testing::write_bytes;
using testing::write_text;

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

}  // namespace
}  // namespace vae
