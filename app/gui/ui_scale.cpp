#include "app/gui/ui_scale.h"

#include <GLFW/glfw3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "imgui.h"
#include "imgui_impl_opengl3.h"

namespace vae::gui {

namespace {
// Pixel size of the UI font at scale 1: DejaVu Sans at 14 px reads like the 13 px bitmap font
// with proper hinting and real glyph shapes.
constexpr float kFontPixels = 14.f;
const char* const kFontFiles[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",      // fonts-dejavu-core
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",  // fonts-noto-core
};
ImGuiStyle g_base_style;
}  // namespace

float UiScale::content_scale(GLFWwindow* window) {
  float x = 1.f, y = 1.f;
  glfwGetWindowContentScale(window, &x, &y);
  const float scale = std::max(x, y);
  return std::isfinite(scale) && scale >= 0.5f && scale <= 4.f ? scale : 1.f;
}

void UiScale::apply(float scale) {
  scale = std::clamp(scale, 0.5f, 4.f);
  if (std::abs(scale - applied_) < 1e-3f) return;
  ImGuiIO& io = ImGui::GetIO();
  if (!style_saved_) {
    g_base_style = ImGui::GetStyle();
    style_saved_ = true;
  }
  io.Fonts->Clear();
  font_file_.clear();
  ImFont* font = nullptr;
  for (const char* file : kFontFiles) {
    if (::access(file, R_OK) != 0) continue;
    ImFontConfig config;
    config.OversampleH = 2;  // crisp enough horizontally, half the atlas of the default 3
    config.OversampleV = 1;
    font = io.Fonts->AddFontFromFileTTF(file, std::round(kFontPixels * scale), &config);
    if (font) {
      font_file_ = file;
      break;
    }
  }
  if (!font) {
    ImFontConfig config;
    config.SizePixels = std::round(13.f * scale);
    io.Fonts->AddFontDefault(&config);
  }
  ImGuiStyle& style = ImGui::GetStyle();
  style = g_base_style;
  style.ScaleAllSizes(scale);
  // Once the backend has its font texture, it must be rebuilt for the new atlas; before the
  // first frame the backend builds it itself.
  if (device_objects_) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
  }
  device_objects_ = true;
  applied_ = scale;
}

}  // namespace vae::gui
