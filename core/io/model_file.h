#pragma once
// Reading a model from any file the explorer accepts: one of our checkpoints, or a TorchScript
// archive trained in PyTorch (read-only; see README.md for the contract).
#include <string>

#include "core/io/checkpoint.h"

namespace vae {

// A checkpoint as is; a TorchScript module as a checkpoint with its weights, model settings and
// class names but no training state (empty history, no data spec). Throws CheckpointError naming
// the file and what is wrong or missing.
Checkpoint load_model_file(const std::string& path);

// Cheap test used for drag-and-drop: our checkpoint magic or a zip archive (TorchScript).
bool looks_like_model_file(const std::string& path);

}  // namespace vae
