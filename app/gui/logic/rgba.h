#pragma once
// Converting engine images for display, and fitting them into panels. Pure, unit tested.
#include <cstdint>
#include <vector>

#include "core/image.h"

namespace vae::gui {

// CHW floats in [0, 1] to interleaved RGBA8; 1-channel images become gray.
std::vector<std::uint8_t> to_rgba8(const Image& image);

// The zoom that shows a w x h image as large as fits in avail_w x avail_h, at most `max_scale`.
// Whole-number zoom (every source pixel the same size on screen) when that loses little of the
// fit, fractional otherwise; below 1 the image shrinks as far as needed: it never overflows.
float fit_scale(float w, float h, float avail_w, float avail_h, float max_scale = 16.f);

}  // namespace vae::gui
