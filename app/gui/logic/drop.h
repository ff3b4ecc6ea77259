#pragma once
// What a file or folder dropped on the window means: a data set (IDX files, a folder of images)
// or a checkpoint. Anything unrecognised is taken for a checkpoint, so a damaged one gets the
// engine's own diagnosis.
#include <string>

namespace vae::gui {

struct DropAction {
  enum class Kind { Data, Checkpoint, Missing };
  Kind kind = Kind::Missing;
  std::string target;  // Data: a data spec ("idx:DIR", "images:DIR"); otherwise the path
};

DropAction classify_drop(const std::string& path);

}  // namespace vae::gui
