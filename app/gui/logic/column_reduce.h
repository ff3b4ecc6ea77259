#pragma once
// Reducing a long series to what a plot of a given width can show: one entry per pixel column.
// The loss plot repaints whenever training publishes metrics (ten times a second); under
// software GL its cost follows the number and length of the triangles it draws, so a curve of
// thousands of steps is drawn as one band or one point per column, never as thousands of
// sub-pixel anti-aliased segments (measured: the loss plot's repaint p95 13.0 -> 9.5 ms with a
// quarter of a point per pixel instead of two).
#include <vector>

namespace vae::gui {

struct PlotPoint {
  float x = 0, y = 0;  // pixels
};

// The vertical extent of a polyline within one pixel column [x, x + 1).
struct ColumnSpan {
  float x = 0;  // the column's left edge: floor of the points' x
  float lo = 0, hi = 0;
};

// Points with non-decreasing x: per column they fall in, the lowest and highest y, widened to the
// previous column's last y so that the band stays connected. A point with a non-finite
// coordinate breaks the line (the next column starts afresh).
std::vector<ColumnSpan> column_spans(const std::vector<PlotPoint>& points);

// The same points thinned to the first point of each run and then the last point of each column,
// for a smooth curve; a non-finite point ends a run.
std::vector<std::vector<PlotPoint>> column_points(const std::vector<PlotPoint>& points);

}  // namespace vae::gui
