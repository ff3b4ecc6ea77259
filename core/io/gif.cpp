#include "core/io/gif.h"

#include <cgif.h>
// stb_easy_font is all static functions; the ones not called here are not a problem.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/errors.h"
#include "core/io/export.h"

namespace vae {

namespace {

std::uint8_t to_byte(float v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(std::isnan(v) ? 0.f : v, 0.f, 1.f) * 255.f));
}

int write_chunk(void* context, const std::uint8_t* data, const std::size_t size) {
  static_cast<std::string*>(context)->append(reinterpret_cast<const char*>(data), size);
  return CGIF_OK;
}

// Palette index of an RGB colour in the 8 x 8 x 4 cube: 3 bits red, 3 green, 2 blue.
std::uint8_t cube_index(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  return static_cast<std::uint8_t>(((r >> 5) << 5) | ((g >> 5) << 2) | (b >> 6));
}

}  // namespace

std::string encode_gif(const std::vector<Image>& frames, int delay_cs, const std::string& what) {
  if (frames.empty()) throw IoError(what + ": no frames to write");
  const Image& first = frames.front();
  if (first.channels != 1 && first.channels != 3) throw IoError(what + ": GIF export takes 1 or 3 channels");
  if (first.width <= 0 || first.height <= 0 || first.width > 65535 || first.height > 65535)
    throw IoError(what + ": frame size " + std::to_string(first.width) + "x" + std::to_string(first.height) +
                  " is outside what GIF can hold");
  for (const Image& f : frames)
    if (f.channels != first.channels || f.width != first.width || f.height != first.height)
      throw IoError(what + ": frames of different shapes");
  const bool gray = first.channels == 1;
  std::vector<std::uint8_t> palette(256 * 3);
  for (int i = 0; i < 256; ++i) {
    if (gray) {
      palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = static_cast<std::uint8_t>(i);
    } else {
      // Centre of each cube cell, so rounding errors stay within half a cell.
      palette[3 * i] = static_cast<std::uint8_t>(((i >> 5) & 7) * 32 + 16);
      palette[3 * i + 1] = static_cast<std::uint8_t>(((i >> 2) & 7) * 32 + 16);
      palette[3 * i + 2] = static_cast<std::uint8_t>((i & 3) * 64 + 32);
    }
  }
  std::string bytes;
  CGIF_Config config{};
  config.pGlobalPalette = palette.data();
  config.attrFlags = CGIF_ATTR_IS_ANIMATED;
  config.width = static_cast<std::uint16_t>(first.width);
  config.height = static_cast<std::uint16_t>(first.height);
  config.numGlobalPaletteEntries = 256;
  config.numLoops = CGIF_INFINITE_LOOP;
  config.pWriteFn = write_chunk;
  config.pContext = &bytes;
  CGIF* gif = cgif_newgif(&config);
  if (!gif) throw IoError(what + ": the GIF encoder could not start (out of memory?)");
  std::vector<std::uint8_t> indices(std::size_t(first.width) * first.height);
  for (const Image& f : frames) {
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x) {
        const std::size_t i = std::size_t(y) * f.width + x;
        indices[i] = gray ? to_byte(f.at(0, y, x))
                          : cube_index(to_byte(f.at(0, y, x)), to_byte(f.at(1, y, x)), to_byte(f.at(2, y, x)));
      }
    CGIF_FrameConfig frame{};
    frame.pImageData = indices.data();
    frame.delay = static_cast<std::uint16_t>(std::clamp(delay_cs, 1, 65535));
    if (cgif_addframe(gif, &frame) != CGIF_OK) {
      cgif_close(gif);
      throw IoError(what + ": GIF encoding failed");
    }
  }
  if (cgif_close(gif) != CGIF_OK) throw IoError(what + ": GIF encoding failed");
  return bytes;
}

void write_gif(const std::vector<Image>& frames, const std::string& path, int delay_cs) {
  write_file_atomically(path, encode_gif(frames, delay_cs, path));
}

int text_width(const std::string& text, int scale) {
  std::string copy = text;
  return stb_easy_font_width(copy.data()) * std::max(1, scale);
}

int text_height(int scale) { return 7 * std::max(1, scale); }  // stb_easy_font's glyphs, without descenders

int draw_text(Image& image, int x, int y, const std::string& text, int scale, float value) {
  scale = std::max(1, scale);
  std::string copy = text;
  // About 270 bytes per character according to stb_easy_font; 16 bytes per vertex, 4 per quad.
  std::vector<char> buffer(300 * (copy.size() + 1));
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  struct Vertex {
    float x, y, z;
    unsigned char color[4];
  };
  const auto* vertices = reinterpret_cast<const Vertex*>(buffer.data());
  for (int q = 0; q < quads; ++q) {
    const Vertex* v = vertices + 4 * q;  // axis-aligned: corners 0 and 2 are opposite
    const int x0 = x + static_cast<int>(std::lround(std::min(v[0].x, v[2].x) * scale));
    const int x1 = x + static_cast<int>(std::lround(std::max(v[0].x, v[2].x) * scale));
    const int y0 = y + static_cast<int>(std::lround(std::min(v[0].y, v[2].y) * scale));
    const int y1 = y + static_cast<int>(std::lround(std::max(v[0].y, v[2].y) * scale));
    for (int c = 0; c < image.channels; ++c)
      for (int py = std::max(0, y0); py < std::min(image.height, y1); ++py)
        for (int px = std::max(0, x0); px < std::min(image.width, x1); ++px) image.at(c, py, px) = value;
  }
  return text_width(text, scale);
}

Image pad_image(const Image& image, int left, int top, float background) {
  Image out(image.channels, image.height + top, image.width + left);
  std::fill(out.pixels.begin(), out.pixels.end(), background);
  for (int c = 0; c < image.channels; ++c)
    for (int y = 0; y < image.height; ++y)
      for (int x = 0; x < image.width; ++x) out.at(c, y + top, x + left) = image.at(c, y, x);
  return out;
}

}  // namespace vae
