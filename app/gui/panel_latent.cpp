// Latent space: the test set's latent means in a 2-D plane, coloured by class, drawn by our point
// shader; the cursor that sets z; pan, zoom and hover with the posterior ellipse. A model with
// discrete codes shows its codebook instead (codebook_view.h).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/codebook_view.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/plot_util.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

class LatentPanel : public Panel {
 public:
  explicit LatentPanel(PanelContext& context) : ctx_(context), explorer_(context.explorer), codebook_(context) {}
  void draw() override;

 private:
  void controls();
  void refresh_plane();
  void draw_ellipse(ImDrawList* list, std::size_t index, ImVec2 centre) const;
  void hover_tooltip();
  std::size_t stress() const { return ctx_.diagnostics ? ctx_.diagnostics->scatter_stress() : 0; }

  PanelContext& ctx_;
  Explorer& explorer_;
  PlaneView view_;
  bool fitted_ = false;
  bool auto_fit_ = true;               // refit whenever the codes change, until the user pans or zooms
  float plot_w_ = 300, plot_h_ = 250;  // last inner plot size, for fitting before layout
  float point_size_ = 3.f, alpha_ = 0.55f;
  std::vector<float> plane_xy_;  // the scatter in plane coordinates
  std::uint64_t plane_key_ = 0;  // which codes/plane plane_xy_ was computed for
  std::uint64_t trainer_serial_ = ~0ull;
  ScatterRenderer scatter_;
  int hover_index_ = -1;
  Texture hover_texture_;
  int hover_texture_index_ = -1;
  CodebookView codebook_;
};

void LatentPanel::refresh_plane() {
  if (ctx_.session.trainer_serial() != trainer_serial_) {
    trainer_serial_ = ctx_.session.trainer_serial();
    fitted_ = false;
  }
  const auto& encoded = explorer_.encoded();
  if (!encoded) {
    // A new model or data set: drop the old points rather than show another model's codes.
    if (!plane_xy_.empty()) {
      plane_xy_.clear();
      scatter_.set_points({}, {});
      plane_key_ = 0;
    }
    return;
  }
  const std::uint64_t key =
      hash_mix(hash_mix(explorer_.encoded_serial(), explorer_.plane_key()), std::uint64_t(stress()));
  if (key == plane_key_) return;
  plane_key_ = key;
  const LatentCodes& codes = encoded->codes;
  const std::size_t n = codes.count;
  plane_xy_ = explorer_.plane().project(codes.mu, n, codes.dims);
  std::vector<float> xy = plane_xy_;
  std::vector<int> labels = encoded->labels;
  labels.resize(n, -1);
  // Stress mode (VAE_EXPLORER_SCATTER_STRESS=N): repeat the points with a small jitter up to N, to
  // measure how many the shader keeps fluid. Hover still only looks at the real ones.
  if (stress() > n && n > 0) {
    std::uint64_t h = 7;
    for (std::size_t i = n; i < stress(); ++i) {
      const std::size_t src = i % n;
      h = hash_mix(h, i);
      const float jx = float(double(h & 0xffff) / 65535.0 - 0.5) * 0.1f;
      const float jy = float(double((h >> 16) & 0xffff) / 65535.0 - 0.5) * 0.1f;
      xy.push_back(xy[src * 2] + jx);
      xy.push_back(xy[src * 2 + 1] + jy);
      labels.push_back(labels[src]);
    }
  }
  scatter_.set_points(xy, labels);
  if ((auto_fit_ || !fitted_) && n > 0) {
    view_ = fit_view(plane_xy_, plot_w_, plot_h_);
    fitted_ = true;
  }
}

void LatentPanel::draw_ellipse(ImDrawList* list, std::size_t index, ImVec2 centre) const {
  const LatentCodes& codes = explorer_.encoded()->codes;
  const Ellipse e = projected_ellipse(explorer_.plane(), &codes.logvar[index * std::size_t(codes.dims)], codes.dims);
  const double r1 = e.r1 / view_.units_per_pixel, r2 = e.r2 / view_.units_per_pixel;
  ImVec2 points[48];
  for (int i = 0; i < 48; ++i) {
    const double t = 2 * 3.14159265358979323846 * i / 48;
    const double ex = r1 * std::cos(t), ey = r2 * std::sin(t);
    points[i] = ImVec2(float(centre.x + ex * std::cos(e.angle) - ey * std::sin(e.angle)),
                       float(centre.y - (ex * std::sin(e.angle) + ey * std::cos(e.angle))));
  }
  list->AddPolyline(points, 48, IM_COL32(255, 255, 255, 220), ImDrawFlags_Closed, 1.5f);
}

void LatentPanel::controls() {
  const int dims = std::max(1, explorer_.latent_dim());
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  int mode = int(explorer_.plane_mode);
  ImGui::SetNextItemWidth(7.5f * unit);
  if (ImGui::Combo("##axes", &mode, "Dimensions\0PCA\0")) explorer_.plane_mode = PlaneMode(mode), fitted_ = false;
  tip("Axes of the plane: two chosen latent dimensions, or the first two principal components of the test set's "
      "latent means (other dimensions keep their slider values).");
  if (explorer_.plane_mode == PlaneMode::Dimensions) {
    bar.next(Toolbar::labelled(5.5f * unit, "x"));
    ImGui::SetNextItemWidth(5.5f * unit);
    if (ImGui::InputInt("x##dimx", &explorer_.dim_x)) fitted_ = false;
    tip("Latent dimension on the horizontal axis.");
    bar.next(Toolbar::labelled(5.5f * unit, "y"));
    ImGui::SetNextItemWidth(5.5f * unit);
    if (ImGui::InputInt("y##dimy", &explorer_.dim_y)) fitted_ = false;
    tip("Latent dimension on the vertical axis.");
  }
  explorer_.dim_x = std::clamp(explorer_.dim_x, 0, dims - 1);
  explorer_.dim_y = std::clamp(explorer_.dim_y, 0, dims - 1);
  bar.next(Toolbar::button("Fit"));
  if (ImGui::Button("Fit")) fitted_ = false, auto_fit_ = true, plane_key_ = 0;
  tip("Zoom to fit the points, and keep fitting as the encoder trains (until you pan or zoom).");
  bar.next(Toolbar::checkbox("live"));
  ImGui::Checkbox("live", &explorer_.live);
  tip("Re-encode the test set while the encoder trains (every epoch and every few seconds).");
  bar.next(Toolbar::button("Re-encode"));
  ImGui::BeginDisabled(explorer_.encoding());
  if (ImGui::Button("Re-encode")) explorer_.request_encode();
  ImGui::EndDisabled();
  tip("Encode the test set with the current weights now.");
  bar.next(Toolbar::labelled(4.f * unit, "size"));
  ImGui::SetNextItemWidth(4.f * unit);
  ImGui::SliderFloat("size", &point_size_, 1.f, 8.f, "%.0f");
  hot_spot(ctx_.diagnostics, "Latent space.Size");
  tip("Point size in pixels.");
}

void LatentPanel::draw() {
  if (explorer_.discrete()) {
    codebook_.draw();
    return;
  }
  controls();
  refresh_plane();

  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 60.f);
  size.y = std::max(size.y, 60.f);
  ImGui::InvisibleButton(
      "latent_plot", size,
      ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  PlotFrame f = make_plot_frame(p0, ImVec2(p0.x + size.x, p0.y + size.y));
  const float w = f.inner1.x - f.inner0.x, h = f.inner1.y - f.inner0.y;
  plot_w_ = w;
  plot_h_ = h;
  if (ctx_.diagnostics) {
    ctx_.diagnostics->record("Latent space.Plot", Box{f.inner0.x, f.inner0.y, w, h});
    ctx_.diagnostics->stats().scatter_points = scatter_.count();
  }

  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0) {
    // Zoom about the point under the mouse so it stays put.
    view_ = zoom_about(view_, io.MousePos.x - (f.inner0.x + w / 2), io.MousePos.y - (f.inner0.y + h / 2),
                       std::pow(0.85, io.MouseWheel));
    auto_fit_ = false;
  }
  if (active && (ImGui::IsMouseDown(ImGuiMouseButton_Right) || ImGui::IsMouseDown(ImGuiMouseButton_Middle))) {
    view_.cx -= io.MouseDelta.x * view_.units_per_pixel;
    view_.cy += io.MouseDelta.y * view_.units_per_pixel;
    if (io.MouseDelta.x != 0 || io.MouseDelta.y != 0) auto_fit_ = false;
  }
  f.x0 = view_.cx - w / 2 * view_.units_per_pixel;
  f.x1 = view_.cx + w / 2 * view_.units_per_pixel;
  f.y0 = view_.cy - h / 2 * view_.units_per_pixel;
  f.y1 = view_.cy + h / 2 * view_.units_per_pixel;
  const Plane plane = explorer_.plane();
  const bool inside = f.contains(io.MousePos);
  if (active && ImGui::IsMouseDown(ImGuiMouseButton_Left) && !explorer_.z().empty()) {
    // Follows the mouse even outside the frame while the button is held, like a slider.
    explorer_.set_z(plane.place(explorer_.z(), f.from_px_x(io.MousePos.x), f.from_px_y(io.MousePos.y)));
  }

  ImDrawList* list = ImGui::GetWindowDrawList();
  const std::size_t dims = explorer_.z().size();
  const std::string xname = plane.axis_name(0, dims), yname = plane.axis_name(1, dims);
  draw_axes(list, f, xname.c_str(), yname.c_str());
  int palette_size = 0;
  const ImVec4* palette = class_palette(&palette_size);
  scatter_.draw(list, f.inner0, f.inner1, view_.cx, view_.cy, view_.units_per_pixel, point_size_, alpha_, palette,
                palette_size, ctx_.diagnostics && ctx_.diagnostics->always_render_scatter());

  list->PushClipRect(f.inner0, f.inner1, true);
  // Hover: the nearest real point within a few pixels.
  hover_index_ = -1;
  if (hovered && inside && explorer_.encoded() && !active) {
    double best = 7.0 * 7.0;
    const std::size_t n = plane_xy_.size() / 2;
    for (std::size_t i = 0; i < n; ++i) {
      const double dx = f.to_px_x(plane_xy_[i * 2]) - io.MousePos.x,
                   dy = f.to_px_y(plane_xy_[i * 2 + 1]) - io.MousePos.y;
      const double d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2, hover_index_ = int(i);
    }
  }
  if (hover_index_ >= 0) {
    const std::size_t i = std::size_t(hover_index_);
    const ImVec2 c(f.to_px_x(plane_xy_[i * 2]), f.to_px_y(plane_xy_[i * 2 + 1]));
    // The posterior's spread only where the model has one (not for discrete codes).
    if (!explorer_.encoded()->codes.logvar.empty()) draw_ellipse(list, i, c);
    list->AddCircle(c, point_size_ + 2, IM_COL32(255, 255, 255, 255), 12, 1.5f);
  }
  if (!explorer_.z().empty()) {
    const auto zc = plane.coords(explorer_.z());
    const ImVec2 c(f.to_px_x(zc[0]), f.to_px_y(zc[1]));
    const ImU32 col = IM_COL32(255, 240, 60, 255);
    list->AddCircle(c, 7, IM_COL32(0, 0, 0, 200), 20, 4.f);
    list->AddCircle(c, 7, col, 20, 2.f);
    list->AddLine(ImVec2(c.x - 12, c.y), ImVec2(c.x - 4, c.y), col, 2.f);
    list->AddLine(ImVec2(c.x + 4, c.y), ImVec2(c.x + 12, c.y), col, 2.f);
    list->AddLine(ImVec2(c.x, c.y - 12), ImVec2(c.x, c.y - 4), col, 2.f);
    list->AddLine(ImVec2(c.x, c.y + 4), ImVec2(c.x, c.y + 12), col, 2.f);
  }
  list->PopClipRect();

  if (!explorer_.inference()) {
    centred_note(list, f.inner0, f.inner1, "No model yet");
  } else if (!explorer_.encoded()) {
    centred_note(list, f.inner0, f.inner1, "Encoding the test set ...");
  }
  const auto& data = ctx_.session.data();
  if (data && !data->class_names.empty() && explorer_.encoded()) {
    std::vector<LegendEntry> legend;
    for (std::size_t k = 0; k < data->class_names.size(); ++k)
      legend.push_back({data->class_names[k], class_color(int(k)), true});
    draw_legend(list, f, legend);
  }
  if (explorer_.encoded()) {
    char info[96];
    std::snprintf(info, sizeof info, "%zu points%s, encoded in %.0f ms", plane_xy_.size() / 2,
                  stress() > plane_xy_.size() / 2 ? " (stress x)" : "", explorer_.encoded()->seconds * 1e3);
    list->AddText(ImVec2(f.inner0.x + 4, f.inner0.y + 2), IM_COL32(180, 180, 190, 200), info);
  }

  if (hover_index_ >= 0 && data) {
    hover_tooltip();
  } else if (hovered && inside && !active) {
    ImGui::SetTooltip("Left-click or drag: move z in this plane.\nRight/middle-drag: pan.  Wheel: zoom.");
  }
}

void LatentPanel::hover_tooltip() {
  const auto& data = ctx_.session.data();
  const std::size_t i = std::size_t(hover_index_);
  if (hover_texture_index_ != hover_index_) {
    hover_texture_.upload(data->test_picture(i));
    hover_texture_index_ = hover_index_;
  }
  ImGui::BeginTooltip();
  const float side = 8.f * ImGui::GetFontSize();
  ImGui::Image(hover_texture_.imgui_id(),
               ImVec2(side, side * float(hover_texture_.height()) / float(std::max(1, hover_texture_.width()))));
  const auto& labels = explorer_.encoded()->labels;
  const int label = i < labels.size() ? labels[i] : -1;
  const std::string cls = label >= 0 && std::size_t(label) < data->class_names.size()
                              ? data->class_names[std::size_t(label)]
                              : std::string("unlabelled");
  ImGui::Text("test image %zu: %s", i, cls.c_str());
  ImGui::TextDisabled("ellipse: posterior mean +- 1 sigma");
  ImGui::TextDisabled("left-click moves the cursor here");
  ImGui::EndTooltip();
}

VAE_REGISTER_PANEL(LatentPanel,
                   {"Latent space", "Latent space", "Ctrl+3", {1, 0, 0.37f, 0.58f, 1.f, 260.f, 200.f}, 30});

}  // namespace vae::gui
