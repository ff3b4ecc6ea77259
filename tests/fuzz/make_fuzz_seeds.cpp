// make_fuzz_seeds DIR: writes the seed corpora of the fuzz targets (DIR/idx, DIR/image,
// DIR/checkpoint, DIR/resume, DIR/torchscript), made by the code under test itself, plus the inputs of the
// issue-10 probe that used to crash, hang or allocate without bound (as regression seeds).
#include <zlib.h>

#include <stb/stb_image_write.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/io/export.h"
#include "core/train/session.h"
#include "tests/tiny_torchscript.h"

namespace fs = std::filesystem;
using namespace vae;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string be32(std::uint32_t v) {
  std::string out;
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
  return out;
}

std::string gzip(const std::string& raw) {
  uLongf size = compressBound(raw.size()) + 64;
  std::string out(size, '\0');
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  stream.avail_in = static_cast<uInt>(raw.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void idx_seeds(const fs::path& dir) {
  std::string images = be32(0x803) + be32(3) + be32(4) + be32(5);
  for (int i = 0; i < 3 * 4 * 5; ++i) images += static_cast<char>(i * 7);
  std::string labels = be32(0x801) + be32(3) + std::string("\x01\x02\x03", 3);
  write(dir / "images.idx", images);
  write(dir / "labels.idx", labels);
  write(dir / "images.idx.gz", gzip(images));
  write(dir / "labels.idx.gz", gzip(labels));
  // Probe: a header claiming 2^32-1 images; a gzip bomb's header (600 x 1000 x 1000).
  write(dir / "regression-huge-count.idx", be32(0x803) + be32(0xffffffff) + be32(28) + be32(28));
  write(dir / "regression-bomb.idx.gz",
        gzip(be32(0x803) + be32(600) + be32(1000) + be32(1000) + std::string(1 << 16, '\0')));
}

void image_seeds(const fs::path& dir) {
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
  };
  unsigned char pixels[6 * 5 * 3];
  for (int i = 0; i < 90; ++i) pixels[i] = static_cast<unsigned char>(i * 11);
  std::string png, png_grey, bmp, jpg;
  stbi_write_png_to_func(append, &png, 6, 5, 3, pixels, 18);
  stbi_write_png_to_func(append, &png_grey, 6, 5, 1, pixels, 6);
  stbi_write_bmp_to_func(append, &bmp, 6, 5, 3, pixels);
  stbi_write_jpg_to_func(append, &jpg, 6, 5, 3, pixels, 80);
  write(dir / "rgb.png", png);
  write(dir / "grey.png", png_grey);
  write(dir / "rgb.bmp", bmp);
  write(dir / "rgb.jpg", jpg);
  // Probe: a zero-width PNM, a 16-bit PPM, a TGA claiming 46000 x 15000 (all named .png).
  write(dir / "regression-zero-width.pnm", "P5\n0 4\n255\n");
  write(dir / "regression-16bit.ppm", "P6\n5 4\n65535\n" + std::string(120, '\x7f'));
  std::string tga(18, '\0');
  tga[2] = 2, tga[12] = char(46000 & 0xff), tga[13] = char(46000 >> 8), tga[14] = char(15000 & 0xff);
  tga[15] = char(15000 >> 8), tga[16] = 24;
  write(dir / "regression-huge.tga", tga);
}

// A mid-epoch checkpoint of a 1x4x4 MLP on 12 random images: small enough to fuzz quickly.
void checkpoint_seeds(const fs::path& dir, const fs::path& resume_dir) {
  Dataset d;
  d.name = "fuzz";
  d.height = d.width = 4;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> unit(0, 1);
  for (auto* split : {&d.train, &d.test}) {
    split->count = 12;
    for (int i = 0; i < 12 * 16; ++i) split->pixels.push_back(unit(rng));
  }
  auto data = std::make_shared<const Dataset>(std::move(d));
  ModelConfig model;
  model.height = model.width = 4;
  model.hidden = {3};
  model.latent = 1;
  TrainConfig train;
  train.batch_size = 5;  // 3 steps an epoch
  train.epochs = 3;
  TrainingSession session(data, model, train);
  const fs::path fresh = dir / "fresh.ckpt";
  save_checkpoint(session.make_checkpoint(), fresh.string());
  for (int i = 0; i < 4; ++i)
    if (session.train_step() == TrainingSession::StepResult::EpochFinished) session.evaluate_epoch(nullptr);
  save_checkpoint(session.make_checkpoint(), (dir / "mid-epoch.ckpt").string());
  model.likelihood = Likelihood::Gaussian;
  model.learn_variance = true;
  TrainingSession gaussian(data, model, train);
  gaussian.train_step();
  save_checkpoint(gaussian.make_checkpoint(), (dir / "gaussian.ckpt").string());
  // Overwriting: a second run in the same build folder finds the inputs the fuzzers added.
  for (const auto& entry : fs::directory_iterator(dir))
    fs::copy_file(entry.path(), resume_dir / entry.path().filename(), fs::copy_options::overwrite_existing);
  // Probe: the optimiser blob with one byte changed would have reached torch::jit::load in
  // version 1; here the same file as version 1 (its optimiser blob is never parsed).
  std::string v1 = read(dir / "mid-epoch.ckpt");
  v1[8] = 1;
  write(dir / "regression-version1.ckpt", v1);
}

// A zip archive written by hand (stored or raw-deflated entries, no ZIP64): the layout the
// bounded reader must accept besides LibTorch's own.
std::string zip(const std::vector<std::pair<std::string, std::string>>& files, bool deflated) {
  auto le = [](std::uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  };
  std::string body, directory;
  for (const auto& [name, data] : files) {
    std::string stored = data;
    if (deflated) {
      stored.assign(compressBound(data.size()) + 64, '\0');
      z_stream z{};
      deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z.avail_in = static_cast<uInt>(data.size());
      z.next_out = reinterpret_cast<Bytef*>(stored.data());
      z.avail_out = static_cast<uInt>(stored.size());
      deflate(&z, Z_FINISH);
      stored.resize(z.total_out);
      deflateEnd(&z);
    }
    const std::uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    const std::string common = le(20, 2) + le(0, 2) + le(deflated ? 8 : 0, 2) + le(0, 4) + le(crc, 4) +
                               le(stored.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2);
    directory +=
        le(0x02014b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(body.size(), 4) + name;
    body += le(0x04034b50, 4) + common + name + stored;
  }
  return body + directory + le(0x06054b50, 4) + le(0, 4) + le(files.size(), 2) + le(files.size(), 2) +
         le(directory.size(), 4) + le(body.size(), 4) + le(0, 2);
}

// TorchScript archives: one saved by LibTorch itself (encode/decode on 1x4x4 images, latent 2),
// and hand-made ones (stored, deflated, metadata alone).
void torchscript_seeds(const fs::path& dir) {
  const std::string metadata =
      R"({"image_shape": [1, 4, 4], "latent_dim": 2, "likelihood": "bernoulli", "class_names": ["a", "b"]})";
  write(dir / "libtorch.pt", testing::tiny_torchscript_archive(metadata));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"m/data.pkl", std::string("\x80\x02}q\x00.", 6)},
      {"m/code/__torch__.py", "def encode(self, x):\n    return x\n"},
      {"m/version", "3\n"},
      {"m/extra/vae_explorer.json", metadata}};
  write(dir / "stored.zip", zip(files, false));
  write(dir / "deflated.zip", zip(files, true));
  write(dir / "metadata.json", metadata);
  write(dir / "conditional.json",
        R"({"image_shape": [3, 8, 8], "latent_dim": 4, "likelihood": "gaussian", "sigma": 0.1, )"
        R"("conditional": true, "class_names": ["x", "y", "z"]})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds DIR\n";
    return 2;
  }
  const fs::path root(argv[1]);
  for (const char* target : {"idx", "image", "checkpoint", "resume", "torchscript"})
    fs::create_directories(root / target);
  idx_seeds(root / "idx");
  image_seeds(root / "image");
  checkpoint_seeds(root / "checkpoint", root / "resume");
  torchscript_seeds(root / "torchscript");
  std::cout << "seeds written to " << root.string() << "\n";
  return 0;
}
