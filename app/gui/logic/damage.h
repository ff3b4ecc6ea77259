#pragma once
// Which parts of the window must be rasterised again. On a software rasteriser (Mesa's llvmpipe,
// what Xvfb and many VMs give) repainting the whole window costs 10-30 ms of CPU per frame, and
// while training most frames change only the loss plot, a few numbers and the status bar. The
// frame loop keeps the last picture in an offscreen buffer and repaints only damaged rectangles:
//  - a draw list (one ImGui window, popup or overlay) whose commands are the same but whose
//    vertices differ is damaged where the differing vertices lie: ImGui emits a window's widgets
//    in order with absolute positions, so the vertices before the first and after the last change
//    are the unchanged widgets, even when a changed label shifted their indices;
//    Each vertex carries the state it is drawn with (clip rectangle, texture, blend callback), so
//    a command that appears or goes (a small mark over a picture) damages only its own vertices;
//  - a list whose vertices are the same but whose indices or commands changed is damaged where
//    it was and where it is; a list that appears or goes, where it is or was;
//  - a texture whose pixels changed damages the commands that sample it.
// Pure and GL-free, so it is unit tested.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vae::gui {

struct DamageRect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // window coordinates, x1/y1 exclusive
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  float area() const { return empty() ? 0.f : (x1 - x0) * (y1 - y0); }
  // The smallest rectangle holding both (an empty one adds nothing).
  DamageRect united(const DamageRect& other) const;
  DamageRect intersected(const DamageRect& other) const;
  bool overlaps(const DamageRect& other) const { return !intersected(other).empty(); }
};

// What one draw list put on screen this frame.
struct DrawListSignature {
  const void* list = nullptr;  // identity: ImGui keeps a window's draw list across frames
  std::uint64_t content = 0;   // hash of everything drawn: vertices, indices, commands
  std::uint64_t commands = 0;  // hash of the command sequence alone: clip rectangles, textures, callbacks
  std::uint64_t offsets = 0;   // hash of where the commands' vertices and indices are (the caller's)
  DamageRect bounds;           // where its vertices lie, within its clip rectangles
  DamageRect clip;             // the union of its clip rectangles
  struct TextureUse {
    std::uint64_t texture = 0;
    DamageRect bounds;  // where the commands sampling it draw
  };
  std::vector<TextureUse> textures;
  // Its vertices in order (ImGui's ImDrawVert without ImGui), to find which widgets changed.
  struct Vertex {
    float x, y;  // position
    float u, v;  // texture coordinates: a changed digit may keep its quad and change only these
    std::uint32_t colour;
    std::uint32_t state;  // hash of how the command drawing it draws: clip, texture, blending
  };
  std::vector<Vertex> vertices;
  std::vector<unsigned char> raw_vertices, indices;  // the caller's, to tell whether anything changed
};

struct Damage {
  bool full = false;              // repaint everything: the first frame, or windows reordered
  std::vector<DamageRect> rects;  // otherwise these, disjoint after merging; empty = nothing changed
  float area() const;
};

// Bounds of the vertices that differ between two vertex sequences: the middle left when the
// longest common prefix and suffix are taken off, in both the old and the new sequence. Empty when
// the sequences are equal.
DamageRect changed_vertex_bounds(const std::vector<DrawListSignature::Vertex>& before,
                                 const std::vector<DrawListSignature::Vertex>& now);

// `changed_textures`: ids whose pixels changed since the previous frame was drawn. At most
// `max_rects` rectangles come back (more are merged, the pair that grows least first).
Damage compute_damage(const std::vector<DrawListSignature>& previous, const std::vector<DrawListSignature>& current,
                      const std::vector<std::uint64_t>& changed_textures, std::size_t max_rects = 8);

// A GL scissor box in framebuffer pixels, rows counted from the bottom as GL does.
struct PixelBox {
  int x = 0, y = 0, width = 0, height = 0;
  bool empty() const { return width <= 0 || height <= 0; }
  PixelBox intersected(const PixelBox& other) const;
  bool operator==(const PixelBox& o) const { return x == o.x && y == o.y && width == o.width && height == o.height; }
};

// How ImGui's OpenGL3 renderer turns a command's clip rectangle into a scissor box: scaled to the
// framebuffer and truncated to whole pixels (imgui_impl_opengl3.cpp, RenderDrawData).
struct ScissorMapping {
  float origin_x = 0, origin_y = 0;  // ImDrawData::DisplayPos
  float scale_x = 1, scale_y = 1;    // ImDrawData::FramebufferScale
  int framebuffer_height = 0;
  PixelBox box_of(const DamageRect& clip) const;
  // A clip rectangle that the renderer turns into exactly `box` (empty box: one it skips). A
  // repaint narrows each command to the damage this way, so it covers exactly the pixels a full
  // repaint would inside the damage: narrowing the rectangle itself would truncate differently.
  DamageRect clip_of(const PixelBox& box) const;
};

// Merges overlapping rectangles, then the closest pairs until at most `max_rects` remain.
std::vector<DamageRect> merge_rects(std::vector<DamageRect> rects, std::size_t max_rects);

}  // namespace vae::gui
