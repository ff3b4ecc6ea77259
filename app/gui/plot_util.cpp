#include "app/gui/plot_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vae::gui {

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalised = raw / magnitude;
  const double step = (normalised < 1.5 ? 1 : normalised < 3 ? 2 : normalised < 7 ? 5 : 10) * magnitude;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (ticks.size() > 100) break;
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (hi - lo < 1.0) return nice_ticks(lo, hi, 4);
  std::vector<double> ticks;
  const int stride = std::max(1, int((hi - lo) / 6));
  for (double d = std::ceil(lo); d <= hi; d += stride) ticks.push_back(d);
  return ticks;
}

std::string format_tick(double value, double step) {
  char text[32];
  const double a = std::abs(value);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) {
    std::snprintf(text, sizeof text, "%.0e", value);
  } else {
    const int decimals = step >= 1 ? 0 : std::min(4, int(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text;
}

PlotFrame make_plot_frame(ImVec2 outer0, ImVec2 outer1) {
  PlotFrame f;
  f.outer0 = outer0;
  f.outer1 = outer1;
  const float line = ImGui::GetTextLineHeight();
  f.inner0 = ImVec2(outer0.x + 3.2f * line + 6, outer0.y + 4);
  f.inner1 = ImVec2(outer1.x - 6, outer1.y - 2 * line - 6);
  if (f.inner1.x < f.inner0.x + 10) f.inner1.x = f.inner0.x + 10;
  if (f.inner1.y < f.inner0.y + 10) f.inner1.y = f.inner0.y + 10;
  return f;
}

void draw_axes(ImDrawList* list, const PlotFrame& f, const char* x_label, const char* y_label) {
  const ImU32 grid = IM_COL32(255, 255, 255, 28);
  const ImU32 axis = IM_COL32(200, 200, 210, 255);
  const ImU32 text = IM_COL32(210, 210, 220, 255);
  const float line = ImGui::GetTextLineHeight();
  // No background fill: the window behind is already dark, and on llvmpipe every filled pixel
  // costs frame time that training would rather have.

  const auto xt = nice_ticks(f.x0, f.x1, std::max(2, int((f.inner1.x - f.inner0.x) / 70)));
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : xt) {
    const float px = f.to_px_x(t);
    list->AddLine(ImVec2(px, f.inner0.y), ImVec2(px, f.inner1.y), grid);
    list->AddLine(ImVec2(px, f.inner1.y), ImVec2(px, f.inner1.y + 4), axis);
    const std::string label = format_tick(t, xstep);
    const float w = ImGui::CalcTextSize(label.c_str()).x;
    list->AddText(ImVec2(px - w / 2, f.inner1.y + 5), text, label.c_str());
  }
  const int ytarget = std::max(2, int((f.inner1.y - f.inner0.y) / 40));
  const auto yt = f.log_y ? log_ticks(f.y0, f.y1) : nice_ticks(f.y0, f.y1, ytarget);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : yt) {
    const float py = f.to_px_y(t);
    if (py < f.inner0.y - 1 || py > f.inner1.y + 1) continue;
    list->AddLine(ImVec2(f.inner0.x, py), ImVec2(f.inner1.x, py), grid);
    list->AddLine(ImVec2(f.inner0.x - 4, py), ImVec2(f.inner0.x, py), axis);
    std::string label;
    if (f.log_y) {
      const double v = std::pow(10.0, t);
      label = format_tick(v, v >= 1 ? 1 : v / 10);
    } else {
      label = format_tick(t, ystep);
    }
    const ImVec2 size = ImGui::CalcTextSize(label.c_str());
    list->AddText(ImVec2(f.inner0.x - 6 - size.x, py - size.y / 2), text, label.c_str());
  }
  list->AddRect(f.inner0, f.inner1, axis);
  if (x_label) {
    const float w = ImGui::CalcTextSize(x_label).x;
    list->AddText(ImVec2((f.inner0.x + f.inner1.x - w) / 2, f.inner1.y + line + 4), text, x_label);
  }
  if (y_label) {
    // ImGui 1.86 cannot rotate text cheaply: the y title sits above the tick labels instead.
    list->AddText(ImVec2(f.outer0.x, f.inner1.y + line + 4), text, y_label);
  }
}

void draw_legend(ImDrawList* list, const PlotFrame& f, const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  const float line = ImGui::GetTextLineHeight();
  float width = 0;
  for (const auto& e : entries) width = std::max(width, ImGui::CalcTextSize(e.label.c_str()).x);
  const float box_w = width + 30, box_h = entries.size() * line + 8;
  const ImVec2 b0(f.inner1.x - box_w - 6, f.inner0.y + 6);
  list->AddRectFilled(b0, ImVec2(b0.x + box_w, b0.y + box_h), IM_COL32(10, 10, 14, 200), 3);
  list->AddRect(b0, ImVec2(b0.x + box_w, b0.y + box_h), IM_COL32(120, 120, 130, 160), 3);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const float y = b0.y + 4 + i * line;
    if (entries[i].dashed_marker) {
      list->AddCircleFilled(ImVec2(b0.x + 12, y + line / 2), 3.5f, entries[i].color);
    } else {
      list->AddLine(ImVec2(b0.x + 5, y + line / 2), ImVec2(b0.x + 20, y + line / 2), entries[i].color, 2.5f);
    }
    list->AddText(ImVec2(b0.x + 25, y), IM_COL32(230, 230, 235, 255), entries[i].label.c_str());
  }
}

const ImVec4* class_palette(int* size) {
  static const ImVec4 palette[10] = {
      {0.122f, 0.467f, 0.706f, 1}, {1.000f, 0.498f, 0.055f, 1}, {0.173f, 0.627f, 0.173f, 1},
      {0.839f, 0.153f, 0.157f, 1}, {0.580f, 0.404f, 0.741f, 1}, {0.549f, 0.337f, 0.294f, 1},
      {0.890f, 0.467f, 0.761f, 1}, {0.498f, 0.498f, 0.498f, 1}, {0.737f, 0.741f, 0.133f, 1},
      {0.090f, 0.745f, 0.812f, 1},
  };
  if (size) *size = 10;
  return palette;
}

ImU32 class_color(int label, float alpha) {
  int n = 0;
  const ImVec4* p = class_palette(&n);
  if (label < 0) return ImGui::ColorConvertFloat4ToU32(ImVec4(0.55f, 0.55f, 0.6f, alpha));
  ImVec4 c = p[label % n];
  c.w = alpha;
  return ImGui::ColorConvertFloat4ToU32(c);
}

}  // namespace vae::gui
