// Interpolation: decodes K points on the path between two latent codes, each either the cursor
// or the posterior mean of a test image; linear or spherical.
#include <algorithm>

#include "app/gui/panels.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

std::vector<float> endpoint(AppState& app, int which) {
  const InterpolationPanelState& s = app.interpolation;
  if (s.source[which] == 0 || !app.data || app.data->test.count == 0) return app.z;
  const std::size_t index = std::min<std::size_t>(std::size_t(std::max(0, s.index[which])), app.data->test.count - 1);
  return app.inference->encode(app.data->test_image(index), 1).mu;
}

void refresh(AppState& app) {
  InterpolationPanelState& s = app.interpolation;
  if (!app.inference || app.z.empty()) return;
  std::uint64_t key = hash_mix(app.display_serial, std::uint64_t(s.steps) * 2 + (s.spherical ? 1 : 0));
  for (int k = 0; k < 2; ++k) {
    key = hash_mix(key, std::uint64_t(s.source[k]) * 1000003 + std::uint64_t(s.index[k]));
    if (s.source[k] == 0) key = hash_mix(key, app.z_serial);
  }
  if (key == s.key || !take_heavy_work_slot(app)) return;
  s.key = key;
  try {
    const auto a = endpoint(app, 0), b = endpoint(app, 1);
    const auto path = interpolate(a, b, s.steps, s.spherical);
    const auto images = app.inference->decode(path, path.size() / a.size());
    if (images.empty()) return;
    s.grid = make_grid(images, int(images.size()), 1, 1.0f);
    s.texture.upload(s.grid);
  } catch (const std::exception& e) {
    report(app, std::string("Interpolation failed: ") + e.what(), true);
  }
}

void endpoint_controls(AppState& app, int which) {
  InterpolationPanelState& s = app.interpolation;
  const int count = app.data ? int(app.data->test.count) : 1;
  ImGui::PushID(which);
  ImGui::TextUnformatted(which == 0 ? "from" : "to");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  ImGui::Combo("##src", &s.source[which], "cursor z\0test image\0");
  tip("An end point: the current cursor z, or the posterior mean of a test image.");
  if (s.source[which] == 1) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(85);
    ImGui::InputInt("##idx", &s.index[which]);
    s.index[which] = std::clamp(s.index[which], 0, std::max(0, count - 1));
    tip("Index of the test image.");
  }
  ImGui::PopID();
}

}  // namespace

void draw_interpolation_panel(AppState& app, const Snapshot&) {
  InterpolationPanelState& s = app.interpolation;
  endpoint_controls(app, 0);
  ImGui::SameLine(0, 16);
  endpoint_controls(app, 1);
  ImGui::SetNextItemWidth(90);
  ImGui::SliderInt("steps", &s.steps, 2, 24);
  tip("Number of images along the path, end points included.");
  ImGui::SameLine();
  ImGui::Checkbox("spherical", &s.spherical);
  tip("Spherical interpolation (slerp) keeps the norm typical of N(0, I) samples instead of cutting through the "
      "low-density centre of the prior.");
  ImGui::SameLine();
  if (ImGui::Button("Export PNG##interp")) export_png(app, s.grid, "interpolation.png");
  hot_spot(app, "Interpolation.Export");
  tip("Write the row as interpolation.png in the export folder.");
  refresh(app);
  draw_fitted_image(s.texture);
  hot_spot(app, "Interpolation.Row");
  tip("Decoded path from the first end point (left) to the second (right).");
}

}  // namespace vae::gui
