#pragma once
// Plot axes drawn with ImDrawList (ImPlot is not packaged in Debian): tick placement, frames,
// labels, legends. Shared by the loss curves and the latent scatter.
#include <string>
#include <vector>

#include "imgui.h"

namespace vae::gui {

// "Nice" tick positions (1, 2, 5 x 10^k steps) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target);
// Decade ticks for a log10 axis; falls back to nice ticks when the range is under a decade.
std::vector<double> log_ticks(double lo, double hi);
std::string format_tick(double value, double step);

// A plot area: the outer rectangle of the widget and the inner one where data is drawn.
struct PlotFrame {
  ImVec2 outer0, outer1;
  ImVec2 inner0, inner1;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // data range shown (y in axis units, log10 when log_y)
  bool log_y = false;

  float to_px_x(double x) const { return float(inner0.x + (x - x0) / (x1 - x0) * (inner1.x - inner0.x)); }
  float to_px_y(double y) const { return float(inner1.y - (y - y0) / (y1 - y0) * (inner1.y - inner0.y)); }
  double from_px_x(float px) const { return x0 + (px - inner0.x) / double(inner1.x - inner0.x) * (x1 - x0); }
  double from_px_y(float py) const { return y0 + (inner1.y - py) / double(inner1.y - inner0.y) * (y1 - y0); }
  bool contains(ImVec2 p) const { return p.x >= inner0.x && p.x <= inner1.x && p.y >= inner0.y && p.y <= inner1.y; }
};

// Lays out a plot in the rectangle [outer0, outer1], leaving margins for tick labels.
PlotFrame make_plot_frame(ImVec2 outer0, ImVec2 outer1);
// Background, grid, ticks with labels and axis titles. Call before drawing the data.
void draw_axes(ImDrawList* list, const PlotFrame& frame, const char* x_label, const char* y_label);

struct LegendEntry {
  std::string label;
  ImU32 color;
  bool dashed_marker = false;  // drawn as a dot instead of a line
};
// A small box listing the entries, in the top-right corner of the inner plot area.
void draw_legend(ImDrawList* list, const PlotFrame& frame, const std::vector<LegendEntry>& entries);

// Ten distinguishable colours (the "tab10" palette), indexed by class.
const ImVec4* class_palette(int* size);
ImU32 class_color(int label, float alpha = 1.f);

}  // namespace vae::gui
