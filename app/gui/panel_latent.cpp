// Latent space: the test set's latent means in a 2-D plane, coloured by class, drawn by our point
// shader; the cursor that sets z; pan, zoom and hover with the posterior ellipse.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/panels.h"
#include "app/gui/plot_util.h"
#include "imgui.h"

namespace vae::gui {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Recomputes the plane coordinates of the encoded test set when the codes or the plane change.
void refresh_plane(AppState& app) {
  LatentPanelState& s = app.latent;
  if (!app.encoded) {
    // A new model or data set: drop the old points rather than show another model's codes.
    if (!s.plane_xy.empty()) {
      s.plane_xy.clear();
      s.scatter.set_points({}, {});
      s.plane_key = 0;
    }
    return;
  }
  std::uint64_t key = hash_mix(app.encoded_serial, std::uint64_t(plane_uses_pca(app)));
  key = hash_mix(hash_mix(key, std::uint64_t(s.dim_x)), std::uint64_t(s.dim_y));
  key = hash_mix(key, app.scatter_stress);
  if (key == s.plane_key) return;
  s.plane_key = key;
  const LatentCodes& codes = app.encoded->codes;
  const std::size_t n = codes.count;
  std::vector<float> xy;
  if (plane_uses_pca(app)) {
    xy = app.encoded->pca.project(codes.mu, n);
  } else {
    xy.resize(n * 2);
    const int d = codes.dims;
    for (std::size_t i = 0; i < n; ++i) {
      xy[i * 2] = s.dim_x < d ? codes.mu[i * d + s.dim_x] : 0.f;
      xy[i * 2 + 1] = s.dim_y < d ? codes.mu[i * d + s.dim_y] : 0.f;
    }
  }
  s.plane_xy = xy;
  std::vector<int> labels = app.encoded->labels;
  labels.resize(n, -1);
  // Stress mode (VAE_EXPLORER_SCATTER_STRESS=N): repeat the points with a small jitter up to N, to
  // measure how many the shader keeps fluid. Hover still only looks at the real ones.
  if (app.scatter_stress > n && n > 0) {
    std::uint64_t h = 7;
    for (std::size_t i = n; i < app.scatter_stress; ++i) {
      const std::size_t src = i % n;
      h = hash_mix(h, i);
      const float jx = float((h & 0xffff) / 65535.0 - 0.5) * 0.1f;
      const float jy = float(((h >> 16) & 0xffff) / 65535.0 - 0.5) * 0.1f;
      xy.push_back(xy[src * 2] + jx);
      xy.push_back(xy[src * 2 + 1] + jy);
      labels.push_back(labels[src]);
    }
  }
  s.scatter.set_points(xy, labels);
  if ((s.auto_fit || !s.fitted) && n > 0) {
    // Fit the 1st..99th percentile so a few outliers do not shrink the clusters to a dot.
    std::vector<float> xs(n), ys(n);
    for (std::size_t i = 0; i < n; ++i) xs[i] = s.plane_xy[i * 2], ys[i] = s.plane_xy[i * 2 + 1];
    auto pct = [](std::vector<float>& v, double q) {
      const std::size_t k = std::min(v.size() - 1, std::size_t(q * (v.size() - 1)));
      std::nth_element(v.begin(), v.begin() + k, v.end());
      return double(v[k]);
    };
    const double x0 = pct(xs, 0.01), x1 = pct(xs, 0.99), y0 = pct(ys, 0.01), y1 = pct(ys, 0.99);
    s.cx = (x0 + x1) / 2;
    s.cy = (y0 + y1) / 2;
    s.units_per_pixel = std::max({(x1 - x0) / (0.8 * s.plot_w), (y1 - y0) / (0.8 * s.plot_h), 1e-4});
    s.fitted = true;
  }
}

void draw_ellipse(ImDrawList* list, const AppState& app, std::size_t index, ImVec2 centre, double units_per_pixel) {
  const LatentCodes& codes = app.encoded->codes;
  const int d = codes.dims;
  // Covariance of q(z|x) projected onto the plane: A diag(sigma^2) A^T with A the two axis rows.
  double a[2][256] = {};
  for (int k = 0; k < 2; ++k) {
    if (plane_uses_pca(app)) {
      for (int j = 0; j < d && j < 256; ++j) a[k][j] = app.encoded->pca.axes[std::size_t(k) * d + j];
    } else {
      const int dim = k == 0 ? app.latent.dim_x : app.latent.dim_y;
      if (dim < d && dim < 256) a[k][dim] = 1;
    }
  }
  double c[2][2] = {};
  for (int j = 0; j < d && j < 256; ++j) {
    const double var = std::exp(double(codes.logvar[index * d + j]));
    for (int p = 0; p < 2; ++p)
      for (int q = 0; q < 2; ++q) c[p][q] += a[p][j] * a[q][j] * var;
  }
  const double tr = c[0][0] + c[1][1], det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
  const double disc = std::sqrt(std::max(0.0, tr * tr / 4 - det));
  const double l1 = tr / 2 + disc, l2 = std::max(0.0, tr / 2 - disc);
  const double angle =
      std::abs(c[0][1]) > 1e-12 ? std::atan2(l1 - c[0][0], c[0][1]) : (c[0][0] >= c[1][1] ? 0 : kPi / 2);
  const double r1 = std::sqrt(l1) / units_per_pixel, r2 = std::sqrt(l2) / units_per_pixel;
  ImVec2 points[48];
  for (int i = 0; i < 48; ++i) {
    const double t = 2 * kPi * i / 48;
    const double ex = r1 * std::cos(t), ey = r2 * std::sin(t);
    points[i] = ImVec2(float(centre.x + ex * std::cos(angle) - ey * std::sin(angle)),
                       float(centre.y - (ex * std::sin(angle) + ey * std::cos(angle))));
  }
  list->AddPolyline(points, 48, IM_COL32(255, 255, 255, 220), ImDrawFlags_Closed, 1.5f);
}

void controls(AppState& app) {
  LatentPanelState& s = app.latent;
  const int dims = std::max(1, latent_dim(app));
  int mode = int(s.mode);
  ImGui::SetNextItemWidth(110);
  if (ImGui::Combo("##axes", &mode, "Dimensions\0PCA\0")) s.mode = PlaneMode(mode), s.fitted = false;
  tip("Axes of the plane: two chosen latent dimensions, or the first two principal components of the test set's "
      "latent means (other dimensions keep their slider values).");
  if (s.mode == PlaneMode::Dimensions) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    if (ImGui::InputInt("x##dimx", &s.dim_x)) s.fitted = false;
    tip("Latent dimension on the horizontal axis.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    if (ImGui::InputInt("y##dimy", &s.dim_y)) s.fitted = false;
    tip("Latent dimension on the vertical axis.");
  }
  s.dim_x = std::clamp(s.dim_x, 0, dims - 1);
  s.dim_y = std::clamp(s.dim_y, 0, dims - 1);
  ImGui::SameLine();
  if (ImGui::Button("Fit")) s.fitted = false, s.auto_fit = true, s.plane_key = 0;
  tip("Zoom to fit the points, and keep fitting as the encoder trains (until you pan or zoom).");
  ImGui::SameLine();
  ImGui::Checkbox("live", &s.live);
  tip("Re-encode the test set while the encoder trains (every epoch and every few seconds).");
  ImGui::SameLine();
  ImGui::BeginDisabled(app.encoding.valid());
  if (ImGui::Button("Re-encode")) app.encode_requested = true;
  ImGui::EndDisabled();
  tip("Encode the test set with the current weights now.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(60);
  ImGui::SliderFloat("size", &s.point_size, 1.f, 8.f, "%.0f");
  tip("Point size in pixels.");
}

}  // namespace

void draw_latent_panel(AppState& app, const Snapshot&) {
  LatentPanelState& s = app.latent;
  controls(app);
  refresh_plane(app);

  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 100.f);
  size.y = std::max(size.y, 100.f);
  ImGui::InvisibleButton(
      "latent_plot", size,
      ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  PlotFrame f = make_plot_frame(p0, ImVec2(p0.x + size.x, p0.y + size.y));
  const float w = f.inner1.x - f.inner0.x, h = f.inner1.y - f.inner0.y;
  s.plot_w = w;
  s.plot_h = h;
  app.hot_spots["Latent space.Plot"] = Rect{f.inner0.x, f.inner0.y, w, h};

  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0) {
    // Zoom about the point under the mouse so it stays put.
    const double mx = s.cx + (io.MousePos.x - (f.inner0.x + w / 2)) * s.units_per_pixel;
    const double my = s.cy - (io.MousePos.y - (f.inner0.y + h / 2)) * s.units_per_pixel;
    const double factor = std::pow(0.85, io.MouseWheel);
    s.cx = mx - (mx - s.cx) * factor;
    s.cy = my - (my - s.cy) * factor;
    s.units_per_pixel = std::clamp(s.units_per_pixel * factor, 1e-6, 1e3);
    s.auto_fit = false;
  }
  if (active && (ImGui::IsMouseDown(ImGuiMouseButton_Right) || ImGui::IsMouseDown(ImGuiMouseButton_Middle))) {
    s.cx -= io.MouseDelta.x * s.units_per_pixel;
    s.cy += io.MouseDelta.y * s.units_per_pixel;
    if (io.MouseDelta.x != 0 || io.MouseDelta.y != 0) s.auto_fit = false;
  }
  f.x0 = s.cx - w / 2 * s.units_per_pixel;
  f.x1 = s.cx + w / 2 * s.units_per_pixel;
  f.y0 = s.cy - h / 2 * s.units_per_pixel;
  f.y1 = s.cy + h / 2 * s.units_per_pixel;
  const bool inside = f.contains(io.MousePos);
  if (active && ImGui::IsMouseDown(ImGuiMouseButton_Left) && !app.z.empty()) {
    // Follows the mouse even outside the frame while the button is held, like a slider.
    set_z(app, z_on_plane(app, app.z, f.from_px_x(io.MousePos.x), f.from_px_y(io.MousePos.y)));
  }

  ImDrawList* list = ImGui::GetWindowDrawList();
  const std::string xname = plane_axis_name(app, 0), yname = plane_axis_name(app, 1);
  draw_axes(list, f, xname.c_str(), yname.c_str());
  int palette_size = 0;
  const ImVec4* palette = class_palette(&palette_size);
  s.scatter.draw(list, f.inner0, f.inner1, s.cx, s.cy, s.units_per_pixel, s.point_size, s.alpha, palette, palette_size,
                 app.always_render_scatter);

  list->PushClipRect(f.inner0, f.inner1, true);
  // Hover: the nearest real point within a few pixels.
  s.hover_index = -1;
  if (hovered && inside && app.encoded && !active) {
    double best = 7.0 * 7.0;
    const std::size_t n = s.plane_xy.size() / 2;
    for (std::size_t i = 0; i < n; ++i) {
      const double dx = f.to_px_x(s.plane_xy[i * 2]) - io.MousePos.x,
                   dy = f.to_px_y(s.plane_xy[i * 2 + 1]) - io.MousePos.y;
      const double d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2, s.hover_index = int(i);
    }
  }
  if (s.hover_index >= 0) {
    const std::size_t i = std::size_t(s.hover_index);
    const ImVec2 c(f.to_px_x(s.plane_xy[i * 2]), f.to_px_y(s.plane_xy[i * 2 + 1]));
    // The posterior's spread only where the model has one (not for discrete codes).
    if (!app.encoded->codes.logvar.empty()) draw_ellipse(list, app, i, c, s.units_per_pixel);
    list->AddCircle(c, s.point_size + 2, IM_COL32(255, 255, 255, 255), 12, 1.5f);
  }
  if (!app.z.empty()) {
    const auto zc = plane_coords(app, app.z);
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

  const char* status = nullptr;
  if (!app.inference) {
    status = "No model yet";
  } else if (!app.encoded) {
    status = "Encoding the test set ...";
  }
  if (status) {
    const ImVec2 ts = ImGui::CalcTextSize(status);
    list->AddText(ImVec2((f.inner0.x + f.inner1.x - ts.x) / 2, (f.inner0.y + f.inner1.y - ts.y) / 2),
                  IM_COL32(220, 220, 220, 255), status);
  }
  if (app.data && !app.data->class_names.empty() && app.encoded) {
    std::vector<LegendEntry> legend;
    for (std::size_t k = 0; k < app.data->class_names.size(); ++k) {
      legend.push_back({app.data->class_names[k], class_color(int(k)), true});
    }
    draw_legend(list, f, legend);
  }
  if (app.encoded) {
    char info[96];
    std::snprintf(info, sizeof info, "%zu points%s, encoded in %.0f ms", s.plane_xy.size() / 2,
                  app.scatter_stress > s.plane_xy.size() / 2 ? " (stress x)" : "", app.encoded->seconds * 1e3);
    list->AddText(ImVec2(f.inner0.x + 4, f.inner0.y + 2), IM_COL32(180, 180, 190, 200), info);
  }

  if (s.hover_index >= 0 && app.data) {
    const std::size_t i = std::size_t(s.hover_index);
    if (s.hover_texture_index != s.hover_index) {
      s.hover_texture.upload(app.data->test_picture(i));
      s.hover_texture_index = s.hover_index;
    }
    ImGui::BeginTooltip();
    ImGui::Image(s.hover_texture.imgui_id(),
                 ImVec2(112, 112 * float(s.hover_texture.height()) / std::max(1, s.hover_texture.width())));
    const auto& labels = app.encoded->labels;
    const int label = i < labels.size() ? labels[i] : -1;
    const std::string cls = label >= 0 && std::size_t(label) < app.data->class_names.size()
                                ? app.data->class_names[std::size_t(label)]
                                : std::string("unlabelled");
    ImGui::Text("test image %zu: %s", i, cls.c_str());
    ImGui::TextDisabled("ellipse: posterior mean +- 1 sigma");
    ImGui::TextDisabled("left-click moves the cursor here");
    ImGui::EndTooltip();
  } else if (hovered && inside && !active) {
    ImGui::SetTooltip("Left-click or drag: move z in this plane.\nRight/middle-drag: pan.  Wheel: zoom.");
  }
}

}  // namespace vae::gui
