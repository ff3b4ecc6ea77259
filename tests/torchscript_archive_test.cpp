// The bounded reader in front of torch::jit::load (core/model/torchscript_archive.h): a module
// saved by LibTorch itself is accepted and loads; damaged or crafted containers are refused with
// the file named, before LibTorch reads them.
#include <gtest/gtest.h>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "core/model/torchscript_archive.h"
#include "core/model/torchscript_vae.h"
#include "core/model/vae.h"
#include "test_util.h"
#include "tiny_torchscript.h"

namespace vae {
namespace {

using testing::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const char* kMetadata = R"({"image_shape": [1, 4, 4], "latent_dim": 2, "likelihood": "bernoulli"})";

std::string saved_module(const std::string& metadata) { return testing::tiny_torchscript_archive(metadata); }

template <typename F>
void expect_refused(F&& call, const std::string& path, const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "accepted";
  } catch (const CheckpointError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message << "\n lacks: " << part;
  }
}

TEST(TorchScriptArchive, ModuleSavedByLibTorchIsAcceptedAndLoads) {
  TempDir dir;
  const std::string path = dir.path() + "/tiny.pt";
  write_bytes(path, saved_module(kMetadata));
  const auto archive = inspect_torchscript_archive(path);
  EXPECT_EQ(archive.config.latent, 2);
  EXPECT_EQ(archive.config.height, 4);
  EXPECT_GT(archive.entries, 3u);
  EXPECT_FALSE(archive.prefix.empty());
  const auto model = load_torchscript_vae(path);
  EXPECT_TRUE(model != nullptr);
}

TEST(TorchScriptArchive, MissingMetadataIsNamed) {
  TempDir dir;
  const std::string path = dir.path() + "/bare.pt";
  write_bytes(path, saved_module(""));
  expect_refused([&] { inspect_torchscript_archive(path); }, path, "no vae_explorer.json");
}

TEST(TorchScriptArchive, EveryTruncationIsRefusedBeforeLibTorch) {
  TempDir dir;
  const std::string whole = saved_module(kMetadata);
  const std::string path = dir.path() + "/cut.pt";
  // Cut at many places: each must be refused by our reader (CheckpointError naming the file).
  for (std::size_t keep = 0; keep < whole.size(); keep += std::max<std::size_t>(1, whole.size() / 97)) {
    write_bytes(path, whole.substr(0, keep));
    expect_refused([&] { load_torchscript_vae(path); }, path, "");
  }
}

TEST(TorchScriptArchive, EntryPointingPastTheEndIsRefused) {
  TempDir dir;
  std::string bytes = saved_module(kMetadata);
  // The first central directory entry's local header offset (46-byte header, offset at 42).
  const std::size_t central = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  for (int i = 0; i < 4; ++i) bytes[central + 42 + i] = '\x7f';
  const std::string path = dir.path() + "/crafted.pt";
  write_bytes(path, bytes);
  expect_refused([&] { load_torchscript_vae(path); }, path, "");
}

TEST(TorchScriptArchive, MetadataOutOfBoundsNamesTheField) {
  TempDir dir;
  const std::string path = dir.path() + "/huge.pt";
  write_bytes(path, saved_module(R"({"image_shape": [1, 4, 4], "latent_dim": 1000000000, "likelihood": "bernoulli"})"));
  expect_refused([&] { inspect_torchscript_archive(path); }, path, "latent_dim");
}

}  // namespace
}  // namespace vae
