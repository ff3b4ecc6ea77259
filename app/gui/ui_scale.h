#pragma once
// HiDPI: the UI scale (the monitor's content scale unless the user sets one in View), a TrueType
// UI font rasterised at that scale (DejaVu Sans from fonts-dejavu-core; Dear ImGui's bitmap font
// only as a fallback) and the style's sizes scaled to match.
#include <string>

struct GLFWwindow;

namespace vae::gui {

class UiScale {
 public:
  // The monitor's content scale (1 on a classic display, 2 on a typical HiDPI one).
  static float content_scale(GLFWwindow* window);
  // Loads fonts and scales the style for `scale` when it differs from what is applied. Call
  // between frames (before ImGui::NewFrame).
  void apply(float scale);
  float applied() const { return applied_; }
  // The TrueType font file in use; empty when the bitmap fallback is.
  const std::string& font_file() const { return font_file_; }

 private:
  float applied_ = 0.f;
  bool style_saved_ = false;
  bool device_objects_ = false;  // the GL backend made its font texture
  std::string font_file_;
};

}  // namespace vae::gui
