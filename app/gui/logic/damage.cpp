#include "app/gui/logic/damage.h"

#include <algorithm>

namespace vae::gui {

DamageRect DamageRect::united(const DamageRect& other) const {
  if (other.empty()) return *this;
  if (empty()) return other;
  return {std::min(x0, other.x0), std::min(y0, other.y0), std::max(x1, other.x1), std::max(y1, other.y1)};
}

DamageRect DamageRect::intersected(const DamageRect& other) const {
  return {std::max(x0, other.x0), std::max(y0, other.y0), std::min(x1, other.x1), std::min(y1, other.y1)};
}

PixelBox PixelBox::intersected(const PixelBox& o) const {
  const int x0 = std::max(x, o.x), y0 = std::max(y, o.y);
  const int x1 = std::min(x + width, o.x + o.width), y1 = std::min(y + height, o.y + o.height);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

PixelBox ScissorMapping::box_of(const DamageRect& clip) const {
  const float min_x = (clip.x0 - origin_x) * scale_x, min_y = (clip.y0 - origin_y) * scale_y;
  const float max_x = (clip.x1 - origin_x) * scale_x, max_y = (clip.y1 - origin_y) * scale_y;
  if (max_x <= min_x || max_y <= min_y) return {};  // the renderer skips the command
  return {int(min_x), int(float(framebuffer_height) - max_y), int(max_x - min_x), int(max_y - min_y)};
}

DamageRect ScissorMapping::clip_of(const PixelBox& box) const {
  if (box.empty()) return {};
  // Framebuffer coordinates chosen a fraction of a pixel inside each truncation step, so float
  // error cannot push a bound to the neighbouring pixel: x = int(min_x) needs min_x in
  // [x, x+1); width = int(max_x - min_x) needs max_x - min_x in [w, w+1); the row of the box's
  // top, y = int(fb_height - max_y), needs max_y in (fb_height - y - 1, fb_height - y]; and
  // height = int(max_y - min_y) needs max_y - min_y in [h, h+1).
  const float min_x = float(box.x) + 0.25f, max_x = float(box.x + box.width) + 0.5f;
  const float max_y = float(framebuffer_height - box.y) - 0.25f, min_y = max_y - float(box.height) - 0.5f;
  return {origin_x + min_x / scale_x, origin_y + min_y / scale_y, origin_x + max_x / scale_x,
          origin_y + max_y / scale_y};
}

float Damage::area() const {
  float sum = 0;
  for (const auto& r : rects) sum += r.area();
  return sum;
}

namespace {

using Vertex = DrawListSignature::Vertex;

DamageRect bounds_of(const std::vector<Vertex>& vertices, std::size_t first, std::size_t last) {  // [first, last)
  DamageRect r;
  for (std::size_t i = first; i < last; ++i) {
    // A point or a line of vertices still covers pixels (the rasteriser rounds): give each one.
    r = r.united({vertices[i].x, vertices[i].y, vertices[i].x + 1, vertices[i].y + 1});
  }
  return r;
}

bool same_vertex(const Vertex& a, const Vertex& b) {
  return a.x == b.x && a.y == b.y && a.u == b.u && a.v == b.v && a.colour == b.colour && a.state == b.state;
}

}  // namespace

DamageRect changed_vertex_bounds(const std::vector<Vertex>& before, const std::vector<Vertex>& now) {
  const std::size_t n_before = before.size(), n_now = now.size();
  std::size_t prefix = 0;
  while (prefix < n_before && prefix < n_now && same_vertex(before[prefix], now[prefix])) ++prefix;
  std::size_t suffix = 0;
  while (suffix < n_before - prefix && suffix < n_now - prefix &&
         same_vertex(before[n_before - 1 - suffix], now[n_now - 1 - suffix]))
    ++suffix;
  return bounds_of(before, prefix, n_before - suffix).united(bounds_of(now, prefix, n_now - suffix));
}

std::vector<DamageRect> merge_rects(std::vector<DamageRect> rects, std::size_t max_rects) {
  rects.erase(std::remove_if(rects.begin(), rects.end(), [](const DamageRect& r) { return r.empty(); }), rects.end());
  max_rects = std::max<std::size_t>(1, max_rects);
  for (;;) {
    // Overlapping rectangles would be painted twice: unite them until none overlap.
    bool merged = false;
    for (std::size_t i = 0; i < rects.size(); ++i)
      for (std::size_t j = i + 1; j < rects.size();)
        if (rects[i].overlaps(rects[j])) {
          rects[i] = rects[i].united(rects[j]);
          rects.erase(rects.begin() + std::ptrdiff_t(j));
          merged = true;
        } else {
          ++j;
        }
    if (merged) continue;  // a union may now overlap one checked before
    if (rects.size() <= max_rects) return rects;
    // Too many: each costs a pass over the draw data, so unite the pair whose union adds least.
    std::size_t best_i = 0, best_j = 1;
    float best_growth = -1;
    for (std::size_t i = 0; i < rects.size(); ++i)
      for (std::size_t j = i + 1; j < rects.size(); ++j) {
        const float growth = rects[i].united(rects[j]).area() - rects[i].area() - rects[j].area();
        if (best_growth < 0 || growth < best_growth) best_growth = growth, best_i = i, best_j = j;
      }
    rects[best_i] = rects[best_i].united(rects[best_j]);
    rects.erase(rects.begin() + std::ptrdiff_t(best_j));
  }
}

Damage compute_damage(const std::vector<DrawListSignature>& previous, const std::vector<DrawListSignature>& current,
                      const std::vector<std::uint64_t>& changed_textures, std::size_t max_rects) {
  Damage damage;
  if (previous.empty() || current.empty()) return damage.full = true, damage;
  // Lists present in both frames must keep their order (a window brought to the front changes
  // what covers what everywhere it overlaps others: start afresh). A list that appeared (a popup,
  // a child window) is damage where it is; one that went, where it was.
  std::vector<DamageRect> rects;
  std::size_t next_before = 0;
  for (const auto& now : current) {
    std::size_t found = next_before;
    while (found < previous.size() && previous[found].list != now.list) ++found;
    if (found == previous.size()) {
      if (std::any_of(previous.begin(), previous.begin() + std::ptrdiff_t(next_before),
                      [&](const DrawListSignature& p) { return p.list == now.list; }))
        return damage.full = true, damage;  // met earlier in the previous frame: reordered
      rects.push_back(now.bounds);          // new
      continue;
    }
    for (std::size_t gone = next_before; gone < found; ++gone) rects.push_back(previous[gone].bounds);
    next_before = found + 1;
    const auto& before = previous[found];
    for (const auto& use : now.textures)
      if (std::find(changed_textures.begin(), changed_textures.end(), use.texture) != changed_textures.end())
        rects.push_back(use.bounds);
    if (before.content == now.content) continue;
    DamageRect changed = changed_vertex_bounds(before.vertices, now.vertices).intersected(before.clip.united(now.clip));
    // Same vertices (and states) but other indices or commands: where it was and where it is.
    if (changed.empty()) changed = before.bounds.united(now.bounds);
    rects.push_back(changed);
  }
  for (std::size_t gone = next_before; gone < previous.size(); ++gone) rects.push_back(previous[gone].bounds);
  damage.rects = merge_rects(std::move(rects), max_rects);
  return damage;
}

}  // namespace vae::gui
