#include "app/gui/logic/tiling.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace vae::gui {

std::vector<float> distribute(float total, const std::vector<float>& weights, const std::vector<float>& minimums) {
  const std::size_t n = weights.size();
  std::vector<float> sizes(n, 0.f);
  if (n == 0 || total <= 0) return sizes;
  std::vector<double> w(n), mins(n);
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = std::max(1e-6, double(weights[i]));
    mins[i] = i < minimums.size() ? std::max(0.0, double(minimums[i])) : 0.0;
  }
  const double min_sum = std::accumulate(mins.begin(), mins.end(), 0.0);
  std::vector<double> exact(n);
  if (min_sum >= total) {
    // Not even the minimums fit: shrink them together.
    for (std::size_t i = 0; i < n; ++i) exact[i] = min_sum > 0 ? mins[i] * total / min_sum : double(total) / double(n);
  } else {
    // Items whose weighted share falls below their minimum get the minimum; the others share
    // what is left by weight. Repeats until no share is below its minimum (at most n rounds).
    std::vector<bool> pinned(n, false);
    for (std::size_t round = 0; round <= n; ++round) {
      double left = total, weight = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (pinned[i]) {
          left -= mins[i];
        } else {
          weight += w[i];
        }
      }
      bool changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        exact[i] = pinned[i] ? mins[i] : (weight > 0 ? left * w[i] / weight : 0.0);
        if (!pinned[i] && exact[i] < mins[i]) pinned[i] = changed = true;
      }
      if (!changed) break;
    }
  }
  // Whole-pixel edges from rounded prefix sums: the sizes add up exactly to floor(total).
  double prefix = 0;
  float previous_edge = 0;
  for (std::size_t i = 0; i < n; ++i) {
    prefix += exact[i];
    const float edge = i + 1 == n ? std::floor(total) : std::floor(float(prefix) + 0.5f);
    sizes[i] = std::max(0.f, edge - previous_edge);
    previous_edge = std::max(previous_edge, edge);
  }
  return sizes;
}

std::vector<Box> compute_tiling(const std::vector<Tile>& tiles, const Box& area, float scale) {
  std::vector<Box> boxes(tiles.size());
  if (tiles.empty()) return boxes;
  // column -> row -> tile indices, in the given order within a row.
  std::map<int, std::map<int, std::vector<std::size_t>>> grid;
  for (std::size_t i = 0; i < tiles.size(); ++i) grid[tiles[i].column][tiles[i].row].push_back(i);

  std::vector<float> column_weights, column_mins;
  for (const auto& [column, rows] : grid) {
    float weight = 0, min_width = 0;
    for (const auto& [row, members] : rows) {
      float row_min = 0;
      for (std::size_t i : members) {
        weight = std::max(weight, tiles[i].column_share);
        row_min += tiles[i].min_width * scale;
      }
      min_width = std::max(min_width, row_min);
    }
    column_weights.push_back(weight);
    column_mins.push_back(min_width);
  }
  const auto widths = distribute(area.w, column_weights, column_mins);

  float x = area.x;
  std::size_t c = 0;
  for (const auto& [column, rows] : grid) {
    const float width = widths[c++];
    std::vector<float> row_weights, row_mins;
    for (const auto& [row, members] : rows) {
      float weight = 0, min_height = 0;
      for (std::size_t i : members) {
        weight = std::max(weight, tiles[i].row_share);
        min_height = std::max(min_height, tiles[i].min_height * scale);
      }
      row_weights.push_back(weight);
      row_mins.push_back(min_height);
    }
    const auto heights = distribute(area.h, row_weights, row_mins);
    float y = area.y;
    std::size_t r = 0;
    for (const auto& [row, members] : rows) {
      const float height = heights[r++];
      std::vector<float> shares, mins;
      for (std::size_t i : members) {
        shares.push_back(tiles[i].share);
        mins.push_back(tiles[i].min_width * scale);
      }
      const auto member_widths = distribute(width, shares, mins);
      float mx = x;
      for (std::size_t k = 0; k < members.size(); ++k) {
        boxes[members[k]] = Box{mx, y, member_widths[k], height};
        mx += member_widths[k];
      }
      y += height;
    }
    x += width;
  }
  return boxes;
}

bool contains(const Box& bounds, const Box& a, float tolerance) {
  return a.x >= bounds.x - tolerance && a.y >= bounds.y - tolerance && a.right() <= bounds.right() + tolerance &&
         a.bottom() <= bounds.bottom() + tolerance;
}

bool overlaps(const Box& a, const Box& b, float tolerance) {
  return a.x + tolerance < b.right() && b.x + tolerance < a.right() && a.y + tolerance < b.bottom() &&
         b.y + tolerance < a.bottom();
}

}  // namespace vae::gui
