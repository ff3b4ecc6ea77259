#pragma once
// Animated GIF export (libcgif, a Debian package) and text labels drawn into images, for
// traversal and interpolation animations. Torch-free.
#include <string>
#include <vector>

#include "core/image.h"

namespace vae {

// Encodes frames of equal shape (1 or 3 channels, at most 65535 pixels a side) as a looping
// animated GIF, `delay_cs` hundredths of a second per frame. Gray frames use a 256-level gray
// palette (exact for 8-bit values); colour frames a fixed 8x8x4 RGB palette. Throws IoError
// naming `what` (the file, for messages) on bad frames.
std::string encode_gif(const std::vector<Image>& frames, int delay_cs = 20, const std::string& what = "GIF");
// encode_gif, then written through a temporary file and renamed.
void write_gif(const std::vector<Image>& frames, const std::string& path, int delay_cs = 20);

// Draws ASCII `text` with its top-left corner at (x, y) in a small built-in bitmap font
// (stb_easy_font), each font pixel `scale` image pixels, in every channel at `value`. Clipped
// to the image. Returns the text's width in image pixels.
int draw_text(Image& image, int x, int y, const std::string& text, int scale = 1, float value = 0.f);
int text_width(const std::string& text, int scale = 1);
int text_height(int scale = 1);  // one line

// An image grown by `left` columns and `top` rows of `background`, the original placed after them.
Image pad_image(const Image& image, int left, int top, float background = 1.f);

}  // namespace vae
