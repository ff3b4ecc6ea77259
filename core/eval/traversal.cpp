#include "core/eval/traversal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/errors.h"
#include "core/eval/posterior_health.h"
#include "core/io/export.h"
#include "core/io/gif.h"

namespace vae {

namespace {

constexpr int kPadding = 2;

std::string format_kl(double kl) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", kl);
  return text;
}

std::string format_offset(double offset) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f", offset);
  return text;
}

void blit(Image& target, const Image& source, int top, int left) {
  for (int c = 0; c < source.channels; ++c)
    for (int y = 0; y < source.height; ++y)
      for (int x = 0; x < source.width; ++x) target.at(c, top + y, left + x) = source.at(c, y, x);
}

}  // namespace

Traversal compute_traversal(const Inference& inference, const TraversalOptions& options) {
  const int dims = inference.latent_dim();
  if (options.steps < 2 || options.steps > 256) throw ConfigError("traversal steps must be between 2 and 256");
  if (!(options.range > 0) || options.range > 100) throw ConfigError("traversal range must be in (0, 100]");
  if (!options.center.empty() && options.center.size() != std::size_t(dims))
    throw ConfigError("traversal centre has " + std::to_string(options.center.size()) + " values for " +
                      std::to_string(dims) + " latent dimensions");
  const bool know_kl = options.kl_per_dim.size() == std::size_t(dims);
  const bool know_activity = options.activity.size() == std::size_t(dims);
  Traversal t;
  t.steps = options.steps;
  t.center = options.center.empty() ? std::vector<float>(dims, 0.f) : options.center;
  for (int s = 0; s < t.steps; ++s) t.offsets.push_back(-options.range + 2 * options.range * s / (t.steps - 1));
  std::vector<int> order(dims);
  std::iota(order.begin(), order.end(), 0);
  if (options.sort_by_kl && know_kl)
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return options.kl_per_dim[a] > options.kl_per_dim[b]; });
  for (int d : order) {
    const bool active = !know_activity || is_active_unit(options.activity[d]);
    if (options.skip_inactive && !active) continue;
    t.dims.push_back(d);
    t.kl.push_back(know_kl ? options.kl_per_dim[d] : std::nan(""));
    t.active.push_back(active);
  }
  if (t.dims.empty()) throw ConfigError("no latent dimension is active: nothing to traverse");
  std::vector<float> z;
  z.reserve(t.dims.size() * t.steps * dims);
  for (int d : t.dims)
    for (double offset : t.offsets) {
      std::vector<float> code = t.center;
      code[d] = static_cast<float>(code[d] + offset);
      z.insert(z.end(), code.begin(), code.end());
    }
  t.cells = inference.decode(z, t.dims.size() * t.steps);
  return t;
}

Image upscale(const Image& image, int factor) {
  if (factor <= 1) return image;
  Image out(image.channels, image.height * factor, image.width * factor);
  for (int c = 0; c < image.channels; ++c)
    for (int y = 0; y < out.height; ++y)
      for (int x = 0; x < out.width; ++x) out.at(c, y, x) = image.at(c, y / factor, x / factor);
  return out;
}

Image traversal_sheet(const Traversal& traversal, int zoom) {
  if (traversal.cells.empty()) throw ConfigError("empty traversal");
  std::vector<Image> tiles;
  tiles.reserve(traversal.cells.size());
  for (const Image& cell : traversal.cells) tiles.push_back(upscale(cell, zoom));
  const Image grid = make_grid(tiles, traversal.steps, kPadding);
  const int tile_h = tiles.front().height, tile_w = tiles.front().width;
  std::vector<std::string> labels;
  int label_width = 0;
  for (std::size_t r = 0; r < traversal.dims.size(); ++r) {
    std::string label = "z" + std::to_string(traversal.dims[r]);
    if (!std::isnan(traversal.kl[r])) label += " KL " + format_kl(traversal.kl[r]);
    if (!traversal.active[r]) label += " (inactive)";
    label_width = std::max(label_width, text_width(label));
    labels.push_back(label);
  }
  const int left = label_width + 2 * kPadding, top = text_height() + 2 * kPadding;
  Image sheet = pad_image(grid, left, top);
  for (std::size_t r = 0; r < labels.size(); ++r) {
    const int y = top + kPadding + static_cast<int>(r) * (tile_h + kPadding) + (tile_h - text_height()) / 2;
    draw_text(sheet, kPadding, y, labels[r]);
  }
  for (int s = 0; s < traversal.steps; ++s) {
    const std::string label = format_offset(traversal.offsets[s]);
    const int x = left + kPadding + s * (tile_w + kPadding) + (tile_w - text_width(label)) / 2;
    draw_text(sheet, std::max(left, x), kPadding, label);
  }
  return sheet;
}

std::vector<Image> traversal_frames(const Traversal& traversal, int zoom, int columns) {
  if (traversal.cells.empty()) throw ConfigError("empty traversal");
  const int rows = static_cast<int>(traversal.dims.size());
  if (columns <= 0) columns = std::max(1, static_cast<int>(std::ceil(std::sqrt(double(rows)))));
  columns = std::min(columns, rows);
  const int grid_rows = (rows + columns - 1) / columns;
  const Image first = upscale(traversal.cells.front(), zoom);
  const int label_h = text_height() + 2;
  const int cell_w = first.width + kPadding, cell_h = first.height + label_h + kPadding;
  const int caption_h = text_height() + 2 * kPadding;
  std::vector<Image> frames;
  for (int s = 0; s < traversal.steps; ++s) {
    Image frame(first.channels, caption_h + grid_rows * cell_h + kPadding, columns * cell_w + kPadding);
    std::fill(frame.pixels.begin(), frame.pixels.end(), 1.f);
    draw_text(frame, kPadding, kPadding, "offset " + format_offset(traversal.offsets[s]));
    for (int r = 0; r < rows; ++r) {
      const int top = caption_h + (r / columns) * cell_h, left = kPadding + (r % columns) * cell_w;
      blit(frame, upscale(traversal.cell(r, s), zoom), top, left);
      draw_text(frame, left, top + first.height + 1, "z" + std::to_string(traversal.dims[r]));
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::vector<Image> interpolation_frames(const Inference& inference, const std::vector<float>& from,
                                        const std::vector<float>& to, int steps, bool spherical, int zoom) {
  const std::size_t dims = inference.latent_dim();
  if (from.size() != dims || to.size() != dims)
    throw ConfigError("interpolation end points need " + std::to_string(dims) + " values");
  if (steps < 2 || steps > 1000) throw ConfigError("interpolation steps must be between 2 and 1000");
  const auto path = interpolate(from, to, steps, spherical);
  std::vector<Image> frames;
  for (const Image& image : inference.decode(path, steps)) frames.push_back(upscale(image, zoom));
  return frames;
}

}  // namespace vae
