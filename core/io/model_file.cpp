#include "core/io/model_file.h"

#include "core/errors.h"
#include "core/io/safe_file.h"

#include "core/model/torchscript_vae.h"
#include "core/model/vae.h"

namespace vae {

Checkpoint load_model_file(const std::string& path) {
  // Only regular files: /dev/zero or a FIFO must not reach the TorchScript reader either.
  try {
    RegularFile check(path, "model file");
  } catch (const DataError& error) {
    throw CheckpointError(error.what());
  }
  if (looks_like_checkpoint(path)) return load_checkpoint(path);
  Checkpoint checkpoint;
  checkpoint.model = load_torchscript_vae(path);
  checkpoint.model_config = checkpoint.model->config();
  checkpoint.class_names = checkpoint.model_config.class_names;
  checkpoint.history.term_names.clear();
  return checkpoint;
}

bool looks_like_model_file(const std::string& path) {
  return looks_like_checkpoint(path) || looks_like_zip_archive(path);
}

}  // namespace vae
