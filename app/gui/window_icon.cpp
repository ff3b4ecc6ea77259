#include "app/gui/window_icon.h"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <stb/stb_image.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

void set_window_icon(GLFWwindow* window) {
  const fs::path installed = executable_dir() / ".." / "share" / "icons" / "hicolor";
  std::vector<GLFWimage> images;
  std::vector<stbi_uc*> pixels;
  for (int size : {16, 32, 48, 64, 128}) {
    const std::string name = std::to_string(size) + "x" + std::to_string(size);
    std::vector<fs::path> candidates = {installed / name / "apps" / "vae-explorer.png"};
#ifdef VAE_ASSET_DIR
    candidates.push_back(fs::path(VAE_ASSET_DIR) / "icons" / ("vae-explorer-" + std::to_string(size) + ".png"));
#endif
    for (const auto& path : candidates) {
      std::error_code ec;
      if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > (1u << 20)) continue;
      int w = 0, h = 0, channels = 0;
      stbi_uc* data = stbi_load(path.c_str(), &w, &h, &channels, 4);
      if (!data) continue;
      if (w != size || h != size) {
        stbi_image_free(data);
        continue;
      }
      pixels.push_back(data);
      images.push_back(GLFWimage{w, h, data});
      break;
    }
  }
  if (!images.empty()) glfwSetWindowIcon(window, int(images.size()), images.data());
  for (stbi_uc* p : pixels) stbi_image_free(p);
}

}  // namespace vae::gui
