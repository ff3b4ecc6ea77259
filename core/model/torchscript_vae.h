#pragma once
// VAEs trained in PyTorch, explored here: a TorchScript module saved with torch.jit.save that
// follows the contract in README.md ("Models trained in PyTorch"). Torch-free header.
#include <memory>
#include <string>

#include "core/model/config.h"

namespace vae {

class ModelState;

// The metadata entry of the archive's _extra_files.
constexpr const char* kTorchScriptMetadataName = "vae_explorer.json";

// Parses and bounds-checks the metadata JSON into a model configuration (family TorchScript).
// Throws CheckpointError naming `path` and the field at fault.
ModelConfig parse_torchscript_metadata(const std::string& json_text, const std::string& path);

// Loads the module read-only and checks the contract on a small probe batch: methods encode and
// decode, output shapes, metadata. Throws CheckpointError naming the file and what is missing.
std::shared_ptr<const ModelState> load_torchscript_vae(const std::string& path);

// Does the file start like a zip archive (torch.jit.save, and torch.save since PyTorch 1.6)?
bool looks_like_zip_archive(const std::string& path);

}  // namespace vae
