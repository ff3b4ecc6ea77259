// libFuzzer target: the TorchScript model path up to torch::jit::load: our bounded reader of the
// zip container (end record, ZIP64, central directory, local headers, deflated entries) and the
// vae_explorer.json metadata it hands to parse_torchscript_metadata. Inputs that start like JSON
// also go to the metadata parser directly. Only CheckpointError may come out.
#include "core/errors.h"
#include "core/model/torchscript_archive.h"
#include "core/model/torchscript_vae.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0 && data[0] == '{') {
    try {
      const auto config =
          vae::parse_torchscript_metadata(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
      if (config.latent < 1 || config.channels < 1 || config.height < 1 || config.width < 1) __builtin_trap();
    } catch (const vae::CheckpointError&) {
    }
  }
  const vae::fuzz::MemoryFile file(data, size);
  try {
    const auto archive = vae::inspect_torchscript_archive(file.path());
    if (archive.prefix.empty() || archive.entries == 0) __builtin_trap();
  } catch (const vae::CheckpointError&) {
  }
  return 0;
}
