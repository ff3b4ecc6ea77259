#include "app/gui/logic/column_reduce.h"

#include <algorithm>
#include <cmath>

namespace vae::gui {

namespace {
bool finite(const PlotPoint& p) { return std::isfinite(p.x) && std::isfinite(p.y); }
}  // namespace

std::vector<ColumnSpan> column_spans(const std::vector<PlotPoint>& points) {
  std::vector<ColumnSpan> spans;
  bool connected = false;  // the previous point was finite: the next column joins it
  float last_y = 0;
  for (const PlotPoint& p : points) {
    if (!finite(p)) {
      connected = false;
      continue;
    }
    const float column = std::floor(p.x);
    if (connected && spans.back().x == column) {
      spans.back().lo = std::min(spans.back().lo, p.y);
      spans.back().hi = std::max(spans.back().hi, p.y);
    } else {
      ColumnSpan span{column, p.y, p.y};
      if (connected) span.lo = std::min(span.lo, last_y), span.hi = std::max(span.hi, last_y);
      spans.push_back(span);
    }
    last_y = p.y;
    connected = true;
  }
  return spans;
}

std::vector<std::vector<PlotPoint>> column_points(const std::vector<PlotPoint>& points) {
  std::vector<std::vector<PlotPoint>> runs;
  bool in_run = false;
  for (const PlotPoint& p : points) {
    if (!finite(p)) {
      in_run = false;
      continue;
    }
    if (!in_run) {
      runs.emplace_back();
      in_run = true;
    } else if (runs.back().size() >= 2 && std::floor(runs.back().back().x) == std::floor(p.x)) {
      runs.back().back() = p;  // the column's later point replaces its earlier one
      continue;
    }
    runs.back().push_back(p);
  }
  return runs;
}

}  // namespace vae::gui
