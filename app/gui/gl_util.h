#pragma once
// Small OpenGL helpers for the window: textures made from engine images and the scatter renderer.
// Everything here runs on the UI thread, which owns the GL context.
#include <glad/gl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/gui/logic/rgba.h"
#include "core/image.h"
#include "imgui.h"

namespace vae::gui {

// Textures whose pixels changed behind ImGui's back (uploads, the scatter's re-rendered points)
// since the last call, as ImTextureID values: with the draw data they tell the frame loop which
// parts of the window changed. Each id appears once.
std::vector<std::uint64_t> take_changed_textures();

// A texture that follows an engine image. Nearest filtering keeps 28x28 pixels crisp when enlarged.
class Texture {
 public:
  Texture() = default;
  ~Texture();
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;

  void upload(const Image& image);
  void upload_rgba(const std::uint8_t* rgba, int width, int height);
  bool valid() const { return id_ != 0 && width_ > 0; }
  int width() const { return width_; }
  int height() const { return height_; }
  ImTextureID imgui_id() const { return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(id_)); }

 private:
  GLuint id_ = 0;
  int width_ = 0;
  int height_ = 0;
};

// Gives `texture` RGBA8 storage of width x height (nearest filtering) and attaches it as the colour
// buffer of `framebuffer`, which stays bound. Returns whether the framebuffer is complete.
bool attach_color_target(GLuint framebuffer, GLuint texture, int width, int height);

// Compiles and links a vertex + fragment program; throws std::runtime_error with the GL log.
GLuint build_program(const char* vertex_source, const char* fragment_source);

// Draws many coloured points with one draw call of our point shader into an offscreen texture,
// which ImGui then shows as an image. ImGui's own renderer would need a quad of vertices per
// point; and the cache means frames where only the cursor moves cost one textured quad, however
// many points there are. The texture reaches half a panel beyond each edge, so panning within
// that margin is a textured quad too; the points are re-rendered only when they, the zoom, the
// size or the style change, or a pan leaves the margin.
class ScatterRenderer {
 public:
  ScatterRenderer() = default;
  ~ScatterRenderer();
  ScatterRenderer(const ScatterRenderer&) = delete;
  ScatterRenderer& operator=(const ScatterRenderer&) = delete;

  // xy: 2 floats per point in data units; classes: one per point (-1 = unlabelled).
  void set_points(const std::vector<float>& xy, const std::vector<int>& classes);
  std::size_t count() const { return count_; }

  // Shows the points in the rectangle [p0, p1] of the screen, with a view that maps data (cx, cy)
  // to the rectangle's centre and `units_per_pixel` data units to one pixel. `force` re-renders
  // even when nothing changed (measurements).
  void draw(ImDrawList* list, ImVec2 p0, ImVec2 p1, double cx, double cy, double units_per_pixel, float point_size,
            float alpha, const ImVec4* palette, int palette_size, bool force = false);
  std::uint64_t renders() const { return renders_; }

 private:
  void ensure_gl();
  void render_to_texture(int width, int height);

  GLuint program_ = 0;
  GLuint vao_ = 0;
  GLuint vbo_ = 0;
  GLuint fbo_ = 0;
  GLuint color_ = 0;
  int fbo_width_ = 0, fbo_height_ = 0;
  std::size_t count_ = 0;
  bool points_changed_ = true;
  double render_cx_ = 0, render_cy_ = 0;  // the data point at the cached texture's centre
  std::uint64_t renders_ = 0;
  std::vector<float> staging_;

  // What the cached texture shows; compared byte for byte to decide whether to re-render.
  struct View {
    int width = 0, height = 0;
    float scale[2] = {1, 1};
    float offset[2] = {0, 0};
    float point_size = 3;
    float alpha = 1;
    float palette[16 * 4] = {};
    int palette_size = 0;
  } view_;
};

}  // namespace vae::gui
