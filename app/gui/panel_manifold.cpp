// Manifold: an N x N grid decoded over the current plane (Kingma & Welling 2014, figure 4).
// Clicking a cell moves z there.
#include <algorithm>
#include <cmath>

#include "app/gui/panels.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

// Coordinates of the grid lines along one axis of the plane.
std::vector<double> axis_values(const ManifoldPanelState& s, double axis_scale) {
  std::vector<double> values(std::size_t(s.n));
  for (int k = 0; k < s.n; ++k) {
    const double t = s.n > 1 ? double(k) / (s.n - 1) : 0.5;
    // Equal steps of probability mass under the prior, as in the paper's figure, rather than
    // equal steps of distance: the grid is dense where the data is.
    values[std::size_t(k)] =
        s.spacing == 0 ? normal_quantile(0.05 + 0.9 * t) * axis_scale : (-1.0 + 2.0 * t) * s.linear_range * axis_scale;
  }
  return values;
}

void refresh(AppState& app) {
  ManifoldPanelState& s = app.manifold;
  if (!app.inference || app.z.empty()) return;
  // The part of z off the plane is what the grid shares; moving the cursor within the plane
  // must not trigger a redecode.
  const std::vector<float> base = z_on_plane(app, app.z, 0, 0);
  std::uint64_t key = hash_floats(app.display_serial, base);
  key = hash_mix(key, std::uint64_t(s.n) * 131 + std::uint64_t(s.spacing));
  key = hash_mix(key, std::uint64_t(s.linear_range * 1000));
  key = hash_mix(key, plane_uses_pca(app) ? app.encoded_serial + 1 : 0);
  key = hash_mix(key, std::uint64_t(app.latent.dim_x) * 1000 + std::uint64_t(app.latent.dim_y));
  if (key == s.key || !take_heavy_work_slot(app)) return;
  s.key = key;

  double scale[2] = {1, 1};
  if (plane_uses_pca(app)) {
    // Principal components have the spread of the data, not of the prior.
    for (int k = 0; k < 2; ++k) scale[k] = std::sqrt(std::max(1e-6f, app.encoded->pca.variance[std::size_t(k)]));
  }
  const auto us = axis_values(s, scale[0]), vs = axis_values(s, scale[1]);
  const std::size_t dims = app.z.size();
  std::vector<float> batch;
  batch.reserve(std::size_t(s.n) * s.n * dims);
  s.cell_z.clear();
  for (int r = 0; r < s.n; ++r) {
    for (int c = 0; c < s.n; ++c) {
      auto z = z_on_plane(app, base, us[std::size_t(c)], vs[std::size_t(s.n - 1 - r)]);
      batch.insert(batch.end(), z.begin(), z.end());
      s.cell_z.push_back(std::move(z));
    }
  }
  const auto images = decode_many(app, batch, std::size_t(s.n) * s.n);
  if (images.empty()) return;
  s.grid = make_grid(images, s.n, 1, 1.0f);
  s.texture.upload(s.grid);
}

}  // namespace

void draw_manifold_panel(AppState& app, const Snapshot&) {
  ManifoldPanelState& s = app.manifold;
  ImGui::SetNextItemWidth(90);
  ImGui::SliderInt("N", &s.n, 3, 30);
  tip("Grid size: N x N decoded images.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  ImGui::Combo("##spacing", &s.spacing, "Gaussian CDF\0Linear\0");
  tip("Gaussian CDF: cells at equal steps of prior probability (inverse normal CDF of 0.05..0.95), as in "
      "Kingma & Welling's figure 4. Linear: equal steps over +-range.");
  if (s.spacing == 1) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    ImGui::SliderFloat("range", &s.linear_range, 0.5f, 5.f, "%.1f");
    tip("Half-width of the linear grid in prior standard deviations.");
  }
  ImGui::SameLine();
  if (ImGui::Button("Export PNG##manifold")) export_png(app, s.grid, "manifold.png");
  hot_spot(app, "Manifold.Export");
  tip("Write the grid as manifold.png in the export folder.");
  refresh(app);

  const Rect r = draw_fitted_image(s.texture);
  hot_spot(app, "Manifold.Grid");
  if (r.w > 0 && ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int c = std::clamp(int((m.x - r.x) / r.w * s.n), 0, s.n - 1);
    const int row = std::clamp(int((m.y - r.y) / r.h * s.n), 0, s.n - 1);
    const float cw = r.w / s.n, ch = r.h / s.n;
    ImGui::GetWindowDrawList()->AddRect(ImVec2(r.x + c * cw, r.y + row * ch),
                                        ImVec2(r.x + (c + 1) * cw, r.y + (row + 1) * ch), IM_COL32(255, 240, 60, 255),
                                        0, 0, 2.f);
    const std::size_t cell = std::size_t(row) * s.n + c;
    if (ImGui::IsItemClicked(ImGuiMouseButton_Left) && cell < s.cell_z.size()) set_z(app, s.cell_z[cell]);
    ImGui::SetTooltip("%s = %.2f, %s = %.2f\nClick to move z here.", plane_axis_name(app, 0).c_str(),
                      cell < s.cell_z.size() ? plane_coords(app, s.cell_z[cell])[0] : 0.0,
                      plane_axis_name(app, 1).c_str(),
                      cell < s.cell_z.size() ? plane_coords(app, s.cell_z[cell])[1] : 0.0);
  }
}

}  // namespace vae::gui
