// Posterior health over training: KL(q(z_d|x) || N(0, 1)) of every latent dimension at the end of
// every epoch as a dimensions x epochs heat map (rows by the latest KL, inactive cells hatched),
// and the number of active units over time - one rule for "active" everywhere
// (core/eval/posterior_health.h). Shows posterior collapse as it happens: rows fading to black.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/logic/health_map.h"
#include "app/gui/panel.h"
#include "app/gui/plot_util.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

namespace {

ImU32 kl_colour(float t) {  // 0..1 -> black .. orange .. pale yellow
  t = std::clamp(t, 0.f, 1.f);
  const float r = std::min(1.f, 2.f * t), g = std::clamp(1.6f * t - 0.3f, 0.f, 1.f),
              b = std::clamp(2.f * t - 1.2f, 0.f, 1.f);
  return ImGui::GetColorU32(ImVec4(0.08f + 0.92f * r, 0.08f + 0.9f * g, 0.1f + 0.7f * b, 1.f));
}

const ImU32 kActiveColour = IM_COL32(90, 210, 110, 255);

}  // namespace

class HealthPanel : public Panel {
 public:
  explicit HealthPanel(PanelContext& context) : ctx_(context) {}
  void draw() override;

 private:
  void draw_heat_map(const HealthMap& map, ImVec2 size);
  void draw_active_units(const HealthMap& map, ImVec2 size);

  PanelContext& ctx_;
  // The map is rebuilt when the history gains an epoch (or the trainer changes), not every frame.
  HealthMap map_;
  std::size_t built_epochs_ = ~std::size_t(0);
  std::uint64_t built_trainer_ = ~0ull;
};

void HealthPanel::draw_heat_map(const HealthMap& map, ImVec2 size) {
  const float label_w = ImGui::CalcTextSize("z000 ").x;
  const float axis_h = ImGui::GetTextLineHeight() + 2;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("heat", size);
  hot_spot(ctx_.diagnostics, "Health.HeatMap");
  ImDrawList* list = ImGui::GetWindowDrawList();
  const std::size_t columns = map.epochs.size();
  const float x0 = p0.x + label_w, y0 = p0.y;
  const float cell_w = (size.x - label_w) / float(columns), cell_h = (size.y - axis_h) / float(map.dims);
  const float scale = map.max_kl > 0 ? map.max_kl : 1.f;
  for (int r = 0; r < map.dims; ++r) {
    const int d = map.order[std::size_t(r)];
    const float y = y0 + float(r) * cell_h;
    for (std::size_t e = 0; e < columns; ++e) {
      const float x = x0 + float(e) * cell_w;
      const float kl = map.at(e, d);
      // Square root: small KLs (the ones that matter for collapse) stay visible next to big ones.
      const ImU32 colour = std::isnan(kl) ? IM_COL32(50, 50, 60, 255) : kl_colour(std::sqrt(std::max(0.f, kl) / scale));
      list->AddRectFilled(ImVec2(x, y), ImVec2(x + cell_w, y + cell_h), colour);
      if (map.active_at(e, d) == 0 && cell_w > 3 && cell_h > 3)  // inactive: a grey diagonal
        list->AddLine(ImVec2(x, y + cell_h), ImVec2(x + cell_w, y), IM_COL32(150, 150, 150, 160));
    }
    if (cell_h >= ImGui::GetTextLineHeight() * 0.9f || r == 0 || r == map.dims - 1) {
      char text[16];
      std::snprintf(text, sizeof text, "z%d", d);
      list->AddText(ImVec2(p0.x, y + (cell_h - ImGui::GetTextLineHeight()) / 2), IM_COL32(200, 200, 200, 255), text);
    }
  }
  // Epoch labels under the first and the last column, and under the middle one when there is room.
  auto epoch_label = [&](std::size_t e) {
    char text[16];
    std::snprintf(text, sizeof text, "%d", map.epochs[e]);
    const float w = ImGui::CalcTextSize(text).x;
    const float x = std::clamp(x0 + (float(e) + 0.5f) * cell_w - w / 2, x0, p0.x + size.x - w);
    list->AddText(ImVec2(x, y0 + size.y - axis_h + 2), IM_COL32(170, 170, 170, 255), text);
  };
  epoch_label(0);
  if (columns > 1) epoch_label(columns - 1);
  if (columns > 4 && size.x > 200) epoch_label(columns / 2);
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetMousePos();
    const int e = int((m.x - x0) / cell_w), r = int((m.y - y0) / cell_h);
    if (e >= 0 && std::size_t(e) < columns && r >= 0 && r < map.dims) {
      const int d = map.order[std::size_t(r)];
      const signed char a = map.active_at(std::size_t(e), d);
      ImGui::SetTooltip(
          "z%d after epoch %d: KL %.3f nats%s\nRows: dimensions by KL at the latest epoch. Hatched: not "
          "an active unit (Cov_x(E[z_d | x]) <= 0.01).",
          d, map.epochs[std::size_t(e)], double(map.at(std::size_t(e), d)),
          a == 1   ? ", active"
          : a == 0 ? ", inactive"
                   : "");
    }
  }
}

void HealthPanel::draw_active_units(const HealthMap& map, ImVec2 size) {
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("active", size);
  hot_spot(ctx_.diagnostics, "Health.ActiveUnits");
  ImDrawList* list = ImGui::GetWindowDrawList();
  PlotFrame f = make_plot_frame(p0, ImVec2(p0.x + size.x, p0.y + size.y));
  f.x0 = map.epochs.front() - 0.5;
  f.x1 = map.epochs.back() + 0.5;
  f.y0 = 0;
  f.y1 = std::max(1, map.dims) + 0.5;
  draw_axes(list, f, "epoch", "active units");
  std::vector<ImVec2> points;
  for (std::size_t e = 0; e < map.epochs.size(); ++e)
    if (map.active_units[e] >= 0) points.emplace_back(f.to_px_x(map.epochs[e]), f.to_px_y(map.active_units[e]));
  if (points.size() >= 2) list->AddPolyline(points.data(), int(points.size()), kActiveColour, 0, 2.f);
  for (const auto& p : points) list->AddCircleFilled(p, 3.f, kActiveColour);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Active units after each epoch: dimensions whose posterior mean moves with the input, "
        "Cov_x(E[z_d | x]) > 0.01 (Burda et al. 2016), out of %d.",
        map.dims);
}

void HealthPanel::draw() {
  const auto& inference = ctx_.explorer.inference();
  const ImVec2 p0 = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
  if (inference && !inference->capabilities().posterior_variance) {
    ImGui::TextWrapped(
        "Posterior health does not apply to this %s: its posterior has no variance, so there is no "
        "KL per latent dimension and no active-unit statistic.",
        inference->capabilities().family.c_str());
    return;
  }
  const Snapshot& snap = ctx_.session.snapshot();
  const auto& epochs = snap.history.epochs;
  if (built_epochs_ != epochs.size() || built_trainer_ != ctx_.session.trainer_serial()) {
    map_ = posterior_health_map(std::vector<EpochMetrics>(epochs.begin(), epochs.end()));  // a few per run
    built_epochs_ = epochs.size();
    built_trainer_ = ctx_.session.trainer_serial();
  }
  if (map_.epochs.empty()) {
    centred_note(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + avail.x, p0.y + avail.y),
                 !inference       ? "no model yet"
                 : epochs.empty() ? "KL per dimension appears after the first epoch"
                                  : "this run's history has no per-dimension KL (saved by an older version)");
    return;
  }
  const int latest = map_.active_units.back();
  ImGui::Text("%d epochs, %d dimensions; %s active units after epoch %d; colour: KL 0 .. %.2f nats (sqrt)",
              int(map_.epochs.size()), map_.dims, latest >= 0 ? std::to_string(latest).c_str() : "?",
              map_.epochs.back(), double(map_.max_kl));
  tip("KL(q(z_d|x) || N(0, 1)) of each latent dimension over the test set after every epoch. A row that fades to "
      "black is a dimension collapsing onto the prior (posterior collapse): the decoder ignores it.");
  if (ctx_.diagnostics) {
    ctx_.diagnostics->record_value("Health.epochs", double(map_.epochs.size()));
    ctx_.diagnostics->record_value("Health.active_units", double(latest));
  }
  const ImVec2 rest = ImGui::GetContentRegionAvail();
  const float chart_h = std::clamp(rest.y * 0.3f, 50.f, 140.f);
  draw_heat_map(map_,
                ImVec2(std::max(60.f, rest.x), std::max(40.f, rest.y - chart_h - ImGui::GetStyle().ItemSpacing.y)));
  draw_active_units(map_, ImVec2(std::max(60.f, rest.x), chart_h));
}

VAE_REGISTER_PANEL(HealthPanel, {"Posterior health",
                                 "Posterior health over time",
                                 "Ctrl+Shift+H",
                                 {3, 2, 0.45f, 0.8f, 1.f, 200.f, 150.f},
                                 94,
                                 false});

}  // namespace vae::gui
