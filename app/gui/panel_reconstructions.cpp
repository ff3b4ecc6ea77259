// Reconstructions: a row of test images over their reconstructions, optionally over a heat map
// of the per-pixel error.
#include <algorithm>
#include <cmath>
#include <random>

#include "app/gui/panels.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

Image to_rgb(const Image& image) {
  if (image.channels == 3) return image;
  Image out(3, image.height, image.width);
  const std::size_t plane = std::size_t(image.height) * image.width;
  for (int c = 0; c < 3; ++c)
    std::copy(image.pixels.begin(), image.pixels.begin() + long(plane), out.pixels.begin() + long(c * plane));
  return out;
}

// |x - x_hat| averaged over channels, mapped black -> red -> yellow -> white ("hot").
Image error_heat_map(const Image& original, const Image& reconstruction) {
  Image out(3, original.height, original.width);
  const std::size_t plane = std::size_t(original.height) * original.width;
  for (std::size_t i = 0; i < plane; ++i) {
    float e = 0;
    for (int c = 0; c < original.channels; ++c) {
      e += std::abs(original.pixels[c * plane + i] - reconstruction.pixels[c * plane + i]);
    }
    e /= float(original.channels);
    const float t = std::clamp(e * 2.f, 0.f, 1.f);  // an error of 0.5 already saturates
    out.pixels[i] = std::clamp(t * 3.f, 0.f, 1.f);
    out.pixels[plane + i] = std::clamp(t * 3.f - 1.f, 0.f, 1.f);
    out.pixels[2 * plane + i] = std::clamp(t * 3.f - 2.f, 0.f, 1.f);
  }
  return out;
}

void refresh(AppState& app) {
  ReconstructionPanelState& s = app.reconstructions;
  if (!app.inference || !app.data || app.data->test.count == 0) return;
  const int available = int(app.data->test.count);
  s.count = std::clamp(s.count, 1, available);
  s.first = std::clamp(s.first, 0, available - s.count);
  std::uint64_t key = hash_mix(app.display_serial, std::uint64_t(s.count) * 7 + (s.heat_map ? 1 : 0));
  key = hash_mix(key, std::uint64_t(s.first));
  if (key == s.key || !take_heavy_work_slot(app)) return;
  s.key = key;
  try {
    const std::size_t first = std::size_t(s.first), n = std::size_t(s.count);
    const auto recon = app.inference->reconstruct(app.data->test_image(first), n);
    std::vector<Image> cells;
    for (std::size_t i = 0; i < n; ++i) cells.push_back(app.data->test_picture(first + i));
    for (std::size_t i = 0; i < n; ++i) cells.push_back(recon[i]);
    if (s.heat_map) {
      for (std::size_t i = 0; i < n; ++i) cells.push_back(error_heat_map(cells[i], recon[i]));
      // make_grid wants one shape: grey rows become RGB next to the coloured heat map.
      for (std::size_t i = 0; i < 2 * n; ++i) cells[i] = to_rgb(cells[i]);
    }
    s.grid = make_grid(cells, int(n), 1, 1.0f);
    s.texture.upload(s.grid);
  } catch (const std::exception& e) {
    report(app, std::string("Reconstruction failed: ") + e.what(), true);
  }
}

}  // namespace

void draw_reconstructions_panel(AppState& app, const Snapshot&) {
  ReconstructionPanelState& s = app.reconstructions;
  ImGui::SetNextItemWidth(90);
  ImGui::SliderInt("images", &s.count, 1, 20);
  tip("How many test images to reconstruct.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  ImGui::InputInt("first", &s.first);
  tip("Index of the first test image shown.");
  ImGui::SameLine();
  if (ImGui::Button("Shuffle") && app.data && app.data->test.count > std::size_t(s.count)) {
    static std::mt19937 rng(7);
    s.first = int(rng() % (app.data->test.count - std::size_t(s.count)));
  }
  tip("Show another run of test images.");
  ImGui::Checkbox("error heat map", &s.heat_map);
  tip("Add a row with the per-pixel error |x - x_hat| (black: none, white: 0.5 or more).");
  ImGui::SameLine();
  if (ImGui::Button("Export PNG##recon")) export_png(app, s.grid, "reconstructions.png");
  hot_spot(app, "Reconstructions.Export");
  tip("Write the rows as reconstructions.png in the export folder.");
  refresh(app);
  draw_fitted_image(s.texture);
  hot_spot(app, "Reconstructions.Grid");
  tip("Top: test images. Below: their reconstructions (decoded posterior means)");
}

}  // namespace vae::gui
