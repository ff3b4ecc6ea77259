#include "app/gui/logic/rgba.h"

#include <algorithm>
#include <cmath>

namespace vae::gui {

std::vector<std::uint8_t> to_rgba8(const Image& image) {
  const std::size_t plane = std::size_t(image.width) * std::size_t(image.height);
  std::vector<std::uint8_t> out(plane * 4, 255);
  if (image.pixels.size() < plane * std::size_t(std::max(1, image.channels))) return out;
  auto byte = [](float v) { return std::uint8_t(std::lround(std::clamp(v, 0.f, 1.f) * 255.f)); };
  for (std::size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const int source = image.channels >= 3 ? c : 0;
      out[i * 4 + std::size_t(c)] = byte(image.pixels[std::size_t(source) * plane + i]);
    }
  }
  return out;
}

float fit_scale(float w, float h, float avail_w, float avail_h, float max_scale) {
  if (w <= 0 || h <= 0 || avail_w <= 0 || avail_h <= 0) return 0.f;
  const float fit = std::min({avail_w / w, avail_h / h, max_scale});
  if (fit < 1.f) return fit;
  // Whole-number zoom when it keeps at least 85% of the fitted size.
  const float whole = std::floor(fit);
  return whole >= 0.85f * fit ? whole : fit;
}

}  // namespace vae::gui
