#pragma once
// The zip container of a TorchScript module (torch.jit.save), checked by our own bounded reader
// before LibTorch sees a byte: torch::jit::load trusts the archive's offsets and sizes, so a
// crafted or truncated file must be refused here, with a message naming it. Torch-free.
#include <cstdint>
#include <string>

#include "core/model/config.h"

namespace vae {

struct TorchScriptArchive {
  std::string prefix;            // the archive's top folder ("model" in "model/data.pkl")
  std::size_t entries = 0;       // files in the central directory
  std::uint64_t data_bytes = 0;  // their uncompressed sizes, summed
  ModelConfig config;            // from <prefix>/extra/vae_explorer.json
};

// Reads only the end-of-central-directory record, the central directory and the metadata entry
// (each bounded, whatever the file's size claims), and checks: the zip (and ZIP64) records, every
// entry's local header and data inside the file, stored or deflated entries only, no duplicate
// names, one top folder with data.pkl, TorchScript code (code/...), and the metadata, which is
// parsed by parse_torchscript_metadata. Throws CheckpointError naming `path` and what is wrong.
TorchScriptArchive inspect_torchscript_archive(const std::string& path);

}  // namespace vae
