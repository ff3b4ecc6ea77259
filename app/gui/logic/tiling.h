#pragma once
// The default arrangement of the panels, computed from the window's size every frame (Dear ImGui
// 1.86 has no docking). Panels sit in columns; a column is a stack of rows; a row holds one or
// more panels side by side. Shares are weights, minimums are honoured while they fit and scaled
// down together when they cannot. Edges are whole pixels: tiles never overlap and never leave a
// gap. Pure maths, unit tested.
#include <vector>

namespace vae::gui {

// Where a panel goes in the tiling. Panels with the same column/row share that row.
struct Tile {
  int column = 0;            // left to right
  int row = 0;               // top to bottom within the column
  float column_share = 1.f;  // width weight of the column (the largest of its panels counts)
  float row_share = 1.f;     // height weight of the row within the column (the largest counts)
  float share = 1.f;         // width weight of the panel within its row
  float min_width = 0.f;     // pixels at UI scale 1
  float min_height = 0.f;
};

struct Box {
  float x = 0, y = 0, w = 0, h = 0;
  float right() const { return x + w; }
  float bottom() const { return y + h; }
};

// One box per tile, in the order given, filling `area`. Minimum sizes are multiplied by `scale`.
std::vector<Box> compute_tiling(const std::vector<Tile>& tiles, const Box& area, float scale = 1.f);

// Splits `total` pixels among items by weight, giving each at least its minimum while the
// minimums fit; returns whole-pixel sizes that add up to `total` (rounded down).
std::vector<float> distribute(float total, const std::vector<float>& weights, const std::vector<float>& minimums);

// For layout checks: a lies within `bounds` (with `tolerance` pixels to spare); a and b share
// more than `tolerance` pixels in both directions.
bool contains(const Box& bounds, const Box& a, float tolerance = 0.5f);
bool overlaps(const Box& a, const Box& b, float tolerance = 0.5f);

}  // namespace vae::gui
