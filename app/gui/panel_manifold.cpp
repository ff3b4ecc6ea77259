// Manifold: an N x N grid decoded over the current plane (Kingma & Welling 2014, figure 4),
// decoded in the background. Clicking a cell moves z there. Conditional models: the grid for the
// chosen class, or one row per class walking the plane's first axis (the same z in each column).
#include <algorithm>
#include <cmath>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/grid_panel.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

class ManifoldPanel : public GridPanel {
 public:
  explicit ManifoldPanel(PanelContext& context) : GridPanel(context, "Manifold", "manifold.png") {}
  void draw() override;

 private:
  void refresh();

  int n_ = 10;
  int spacing_ = 0;  // 0: inverse Gaussian CDF, 1: linear
  float linear_range_ = 3.f;
  std::vector<std::vector<float>> cell_z_;       // latent code of each shown cell, row-major from the top
  std::vector<std::vector<float>> pending_z_;    // ... of the picture on its way
  std::vector<int> cell_class_, pending_class_;  // conditional, one row per class: each cell's class
  std::uint64_t pending_key_ = 0;
  int shown_n_ = 10;        // columns of the shown picture
  int shown_rows_ = 10;     // rows of the shown picture
  bool per_class_ = false;  // conditional: one row per class
  int pending_columns_ = 10;
};

void ManifoldPanel::refresh() {
  grid_.poll();
  if (grid_.shown_key() == pending_key_ && !pending_z_.empty()) {
    cell_z_ = std::move(pending_z_);
    cell_class_ = std::move(pending_class_);
    pending_z_.clear();
    pending_class_.clear();
    shown_rows_ = int(cell_z_.size()) / std::max(1, pending_columns_);
    shown_n_ = pending_columns_;
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
  const bool per_class = per_class_;
  // One row per class walks the first axis at the cursor's place on the second.
  const double cursor_v = plane.coords(explorer_.z())[1];
  if (per_class) key = hash_mix(key, 0x5eed + std::uint64_t(std::llround(cursor_v * 1e4)));
  if (!grid_.wanted(key)) return;

  double scale[2] = {1, 1};
  if (plane.uses_pca(base.size())) {
    // Principal components have the spread of the data, not of the prior.
    for (int k = 0; k < 2; ++k) scale[k] = std::sqrt(std::max(1e-6f, plane.pca->variance[std::size_t(k)]));
  }
  const auto us = manifold_axis(n_, spacing_ == 0, linear_range_, scale[0]);
  const auto vs = manifold_axis(n_, spacing_ == 0, linear_range_, scale[1]);
  const int rows = per_class ? explorer_.num_classes() : n_;
  const std::size_t cells = std::size_t(rows) * std::size_t(n_);
  std::vector<float> batch;
  batch.reserve(cells * base.size());
  pending_z_.clear();
  pending_class_.clear();
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < n_; ++c) {
      auto z = plane.place(base, us[std::size_t(c)], per_class ? cursor_v : vs[std::size_t(n_ - 1 - r)]);
      batch.insert(batch.end(), z.begin(), z.end());
      pending_z_.push_back(std::move(z));
      if (per_class) pending_class_.push_back(r);
    }
  }
  pending_key_ = key;
  pending_columns_ = n_;
  const int n = n_;
  grid_.request(key,
                [inference, batch = std::move(batch), cells, n, labels = pending_class_](const CancelToken& cancel) {
                  return make_grid(decode_cancellable(*inference, batch, cells, cancel, labels), n, 1, 1.0f);
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
  per_class_ = class_mode_combo(
      bar,
      "Chosen class: the N x N grid for the class picked beside the Decoder. One row per class: each row is a "
      "class, each column the same z (N steps along the first axis at the cursor's height): what y controls "
      "and what z controls.");
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##manifold")) export_picture();
  hot_spot(ctx_.diagnostics, "Manifold.Export");
  tip("Write the grid as manifold.png in the export folder.");
  if (explorer_.discrete()) {
    ImGui::TextWrapped(
        "Not available for a %s: the manifold walks a continuous plane of latent space, and this "
        "model's latent is a grid of discrete codes. Edit codes in the Codes panel instead.",
        explorer_.inference()->capabilities().family.c_str());
    return;
  }
  refresh();

  const Box r = grid_.draw();
  hot_spot(ctx_.diagnostics, "Manifold.Grid");
  const int n = shown_n_, rows = shown_rows_;
  if (r.w > 0 && n > 0 && rows > 0 && ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int c = std::clamp(int((m.x - r.x) / r.w * float(n)), 0, n - 1);
    const int row = std::clamp(int((m.y - r.y) / r.h * float(rows)), 0, rows - 1);
    const float cw = r.w / float(n), ch = r.h / float(rows);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(r.x + float(c) * cw, r.y + float(row) * ch),
                                        ImVec2(r.x + float(c + 1) * cw, r.y + float(row + 1) * ch),
                                        IM_COL32(255, 240, 60, 255), 0, 0, 2.f);
    const std::size_t cell = std::size_t(row) * std::size_t(n) + std::size_t(c);
    if (cell < cell_z_.size()) {
      const int label = cell < cell_class_.size() ? cell_class_[cell] : -1;
      if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
        explorer_.set_z(cell_z_[cell]);
        if (label >= 0) explorer_.set_chosen_class(label);
      }
      const Plane plane = explorer_.plane();
      const auto at = plane.coords(cell_z_[cell]);
      const std::size_t dims = cell_z_[cell].size();
      const std::string cls = label >= 0 ? "\nclass " + explorer_.class_name(label) : std::string();
      ImGui::SetTooltip("%s = %.2f, %s = %.2f%s\nClick to move z here.", plane.axis_name(0, dims).c_str(), at[0],
                        plane.axis_name(1, dims).c_str(), at[1], cls.c_str());
    }
  }
}

VAE_REGISTER_PANEL(ManifoldPanel,
                   {"Manifold", "Manifold grid", "Ctrl+5", {2, 0, 0.39f, 0.52f, 0.6f, 180.f, 160.f}, 50});

}  // namespace vae::gui
