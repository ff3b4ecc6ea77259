#include "app/gui/logic/drop.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace vae::gui {

namespace fs = std::filesystem;

DropAction classify_drop(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    bool idx = false;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      // A folder of test files only (t10k-*) is an IDX set too: it can be scored, and loading it
      // for training says plainly that it has no training images.
      const std::string name = entry.path().filename().string();
      if (name.rfind("train-images-idx3-ubyte", 0) == 0 || name.rfind("t10k-images-idx3-ubyte", 0) == 0) idx = true;
    }
    return {DropAction::Kind::Data, (idx ? "idx:" : "images:") + path};
  }
  if (!fs::exists(p, ec)) return {DropAction::Kind::Missing, path};
  const std::string name = p.filename().string();
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
  if (name.find("idx3-ubyte") != std::string::npos || name.find("idx1-ubyte") != std::string::npos)
    return {DropAction::Kind::Data, "idx:" + parent};
  if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp")
    return {DropAction::Kind::Data, "images:" + parent};
  return {DropAction::Kind::Checkpoint, path};
}

std::string scoring_spec_for_path(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) return path;
  if (fs::is_regular_file(p, ec) && p.filename().string().find("idx3-ubyte") != std::string::npos) return "idx:" + path;
  const DropAction action = classify_drop(path);
  return action.kind == DropAction::Kind::Data ? action.target : path;
}

}  // namespace vae::gui
