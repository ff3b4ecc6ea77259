#pragma once
// A small image in planar (CHW) float layout with values in [0, 1]: the layout tensors use,
// so the engine converts nothing; PNG writers and GUI textures convert once at the edge.
#include <cstddef>
#include <vector>

namespace vae {

struct Image {
  int channels = 1;
  int height = 0;
  int width = 0;
  std::vector<float> pixels;  // channels * height * width, plane after plane

  Image() = default;
  Image(int c, int h, int w) : channels(c), height(h), width(w), pixels(std::size_t(c) * h * w, 0.f) {}
  std::size_t size() const { return pixels.size(); }
  float at(int c, int y, int x) const { return pixels[(std::size_t(c) * height + y) * width + x]; }
  float& at(int c, int y, int x) { return pixels[(std::size_t(c) * height + y) * width + x]; }
};

}  // namespace vae
