// Manifold: an N x N grid decoded over the current plane (Kingma & Welling 2014, figure 4),
// decoded in the background. Clicking a cell moves z there.
#include <algorithm>
#include <cmath>

#include "app/gui/cached_grid.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

class ManifoldPanel : public Panel {
 public:
  explicit ManifoldPanel(PanelContext& context)
      : ctx_(context), explorer_(context.explorer), grid_(context.grid_worker, context.messages, "Manifold") {}
  void draw() override;

 private:
  void refresh();

  PanelContext& ctx_;
  Explorer& explorer_;
  CachedGrid grid_;
  int n_ = 10;
  int spacing_ = 0;  // 0: inverse Gaussian CDF, 1: linear
  float linear_range_ = 3.f;
  std::vector<std::vector<float>> cell_z_;     // latent code of each shown cell, row-major from the top
  std::vector<std::vector<float>> pending_z_;  // ... of the picture on its way
  std::uint64_t pending_key_ = 0;
  int shown_n_ = 10;
};

void ManifoldPanel::refresh() {
  grid_.poll();
  if (grid_.shown_key() == pending_key_ && !pending_z_.empty()) {
    cell_z_ = std::move(pending_z_);
    pending_z_.clear();
    shown_n_ = int(std::lround(std::sqrt(double(cell_z_.size()))));
  }
  const auto& inference = explorer_.inference();
  if (!inference || explorer_.z().empty()) return;
  const Plane plane = explorer_.plane();
  // The part of z off the plane is what the grid shares; moving the cursor within the plane
  // must not trigger a redecode.
  const std::vector<float> base = plane.place(explorer_.z(), 0, 0);
  std::uint64_t key = hash_floats(explorer_.display_serial(), base);
  key = hash_mix(key, std::uint64_t(n_) * 131 + std::uint64_t(spacing_));
  key = hash_mix(key, std::uint64_t(linear_range_ * 1000));
  key = hash_mix(key, explorer_.plane_key());
  if (!grid_.wanted(key)) return;

  double scale[2] = {1, 1};
  if (plane.uses_pca(base.size())) {
    // Principal components have the spread of the data, not of the prior.
    for (int k = 0; k < 2; ++k) scale[k] = std::sqrt(std::max(1e-6f, plane.pca->variance[std::size_t(k)]));
  }
  const auto us = manifold_axis(n_, spacing_ == 0, linear_range_, scale[0]);
  const auto vs = manifold_axis(n_, spacing_ == 0, linear_range_, scale[1]);
  const std::size_t cells = std::size_t(n_) * std::size_t(n_);
  std::vector<float> batch;
  batch.reserve(cells * base.size());
  pending_z_.clear();
  for (int r = 0; r < n_; ++r) {
    for (int c = 0; c < n_; ++c) {
      auto z = plane.place(base, us[std::size_t(c)], vs[std::size_t(n_ - 1 - r)]);
      batch.insert(batch.end(), z.begin(), z.end());
      pending_z_.push_back(std::move(z));
    }
  }
  pending_key_ = key;
  const int n = n_;
  grid_.request(key, [inference, batch = std::move(batch), cells, n](const CancelToken& cancel) {
    return make_grid(decode_cancellable(*inference, batch, cells, cancel), n, 1, 1.0f);
  });
}

void ManifoldPanel::draw() {
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  ImGui::SetNextItemWidth(6.f * unit);
  ImGui::SliderInt("N", &n_, 3, 30);
  tip("Grid size: N x N decoded images.");
  bar.next(8.5f * unit);
  ImGui::SetNextItemWidth(8.5f * unit);
  ImGui::Combo("##spacing", &spacing_, "Gaussian CDF\0Linear\0");
  tip("Gaussian CDF: cells at equal steps of prior probability (inverse normal CDF of 0.05..0.95), as in "
      "Kingma & Welling's figure 4. Linear: equal steps over +-range.");
  if (spacing_ == 1) {
    bar.next(Toolbar::labelled(5.f * unit, "range"));
    ImGui::SetNextItemWidth(5.f * unit);
    ImGui::SliderFloat("range", &linear_range_, 0.5f, 5.f, "%.1f");
    tip("Half-width of the linear grid in prior standard deviations.");
  }
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##manifold")) export_png(ctx_.session, ctx_.messages, grid_.image(), "manifold.png");
  hot_spot(ctx_.diagnostics, "Manifold.Export");
  tip("Write the grid as manifold.png in the export folder.");
  refresh();

  const Box r = grid_.draw();
  hot_spot(ctx_.diagnostics, "Manifold.Grid");
  const int n = shown_n_;
  if (r.w > 0 && n > 0 && ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int c = std::clamp(int((m.x - r.x) / r.w * float(n)), 0, n - 1);
    const int row = std::clamp(int((m.y - r.y) / r.h * float(n)), 0, n - 1);
    const float cw = r.w / float(n), ch = r.h / float(n);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(r.x + float(c) * cw, r.y + float(row) * ch),
                                        ImVec2(r.x + float(c + 1) * cw, r.y + float(row + 1) * ch),
                                        IM_COL32(255, 240, 60, 255), 0, 0, 2.f);
    const std::size_t cell = std::size_t(row) * std::size_t(n) + std::size_t(c);
    if (cell < cell_z_.size()) {
      if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) explorer_.set_z(cell_z_[cell]);
      const Plane plane = explorer_.plane();
      const auto at = plane.coords(cell_z_[cell]);
      const std::size_t dims = cell_z_[cell].size();
      ImGui::SetTooltip("%s = %.2f, %s = %.2f\nClick to move z here.", plane.axis_name(0, dims).c_str(), at[0],
                        plane.axis_name(1, dims).c_str(), at[1]);
    }
  }
}

VAE_REGISTER_PANEL(ManifoldPanel,
                   {"Manifold", "Manifold grid", "Ctrl+5", {2, 0, 0.39f, 0.52f, 0.6f, 180.f, 160.f}, 50});

}  // namespace vae::gui
