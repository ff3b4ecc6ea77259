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

// The data spec to score a file or folder with (the Density panel's second data set): a single
// IDX image file is scored on its own ("idx:FILE"); folders as classify_drop reads them; an image
// file stands for its folder. A string that is no existing path is returned as it is (a spec such
// as "synthetic"). Never throws; a bad spec is diagnosed when it is loaded.
std::string scoring_spec_for_path(const std::string& path);

}  // namespace vae::gui
