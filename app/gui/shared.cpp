// Helpers shared by the panels.
//
// The 2-D plane through latent space that the scatter, the cursor and the manifold share: two
// chosen dimensions, or the first two principal components of the test set's latent means.
// Moving in the plane keeps every other coordinate of z where its slider left it.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "app/gui/app_state.h"
#include "app/gui/desktop_shell.h"
#include "app/gui/panels.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

int latent_dim(const AppState& app) { return app.inference ? app.inference->latent_dim() : int(app.z.size()); }

bool plane_uses_pca(const AppState& app) {
  return app.latent.mode == PlaneMode::Pca && app.encoded && app.encoded->has_pca &&
         app.encoded->pca.dims == int(app.z.size());
}

std::array<double, 2> plane_coords(const AppState& app, const std::vector<float>& z) {
  if (plane_uses_pca(app)) {
    const auto p = app.encoded->pca.project(z, 1);
    return {p.size() > 0 ? p[0] : 0.0, p.size() > 1 ? p[1] : 0.0};
  }
  const int n = int(z.size());
  const int dx = app.latent.dim_x, dy = app.latent.dim_y;
  return {dx < n ? z[dx] : 0.0, dy < n ? z[dy] : 0.0};
}

std::vector<float> z_on_plane(const AppState& app, const std::vector<float>& z, double u, double v) {
  std::vector<float> out = z;
  if (plane_uses_pca(app)) {
    // Axes are orthonormal: shifting z along each one by the difference of coordinates moves its
    // projection to (u, v) and leaves the orthogonal complement untouched.
    const Pca& pca = app.encoded->pca;
    const auto now = plane_coords(app, z);
    const double delta[2] = {u - now[0], v - now[1]};
    for (int k = 0; k < 2 && k < pca.components; ++k) {
      for (int d = 0; d < pca.dims; ++d) out[d] += float(delta[k] * pca.axes[std::size_t(k) * pca.dims + d]);
    }
    return out;
  }
  const int n = int(out.size());
  if (app.latent.dim_x < n) out[app.latent.dim_x] = float(u);
  if (app.latent.dim_y < n && app.latent.dim_y != app.latent.dim_x) out[app.latent.dim_y] = float(v);
  return out;
}

std::string plane_axis_name(const AppState& app, int axis) {
  if (plane_uses_pca(app)) return axis == 0 ? "PC1" : "PC2";
  return "z" + std::to_string(axis == 0 ? app.latent.dim_x : app.latent.dim_y);
}

void set_z(AppState& app, std::vector<float> z) {
  if (z == app.z) return;
  app.z = std::move(z);
  app.z_serial++;
}

std::vector<Image> decode_many(AppState& app, const std::vector<float>& z, std::size_t count) {
  if (!app.inference || count == 0) return {};
  try {
    return app.inference->decode(z, count);
  } catch (const std::exception& e) {
    report(app, std::string("Decoding failed: ") + e.what(), true);
    return {};
  }
}

bool take_heavy_work_slot(AppState& app) {
  if (app.heavy_work_done) return false;
  app.heavy_work_done = true;
  return true;
}

std::uint64_t hash_mix(std::uint64_t seed, std::uint64_t value) {
  // splitmix64 finaliser: enough to key caches on a handful of settings.
  std::uint64_t x = seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t hash_floats(std::uint64_t seed, const std::vector<float>& values) {
  std::uint64_t h = hash_mix(seed, values.size());
  for (float v : values) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    h = hash_mix(h, bits);
  }
  return h;
}

void hot_spot(AppState& app, const std::string& name) {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  app.hot_spots[name] = Rect{a.x, a.y, b.x - a.x, b.y - a.y};
}

void tip(const char* text) {
  if (tooltip_due()) ImGui::SetTooltip("%s", text);
}

// --- image grids ---
Rect draw_fitted_image(const Texture& texture, float max_scale, float reserve_below) {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (!texture.valid()) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(std::max(avail.x, 10.f), 20));
    ImGui::GetWindowDrawList()->AddText(p, IM_COL32(200, 200, 200, 255), "(nothing decoded yet)");
    return Rect{p.x, p.y, 0, 0};
  }
  const float w = float(texture.width()), h = float(texture.height());
  float scale = std::min({avail.x / w, (avail.y - reserve_below) / h, max_scale});
  // Whole-number zoom keeps every source pixel the same size on screen.
  if (scale >= 1.f) scale = std::floor(scale);
  scale = std::max(scale, 0.25f);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::Image(texture.imgui_id(), ImVec2(w * scale, h * scale));
  return Rect{p.x, p.y, w * scale, h * scale};
}

void export_png(AppState& app, const Image& grid, const std::string& file_name) {
  if (grid.pixels.empty()) {
    report(app, "Nothing to export yet", true);
    return;
  }
  const std::string path = export_path(app, file_name);
  try {
    write_png(grid, path);
    report(app, "Wrote " + path + " (" + std::to_string(grid.width) + "x" + std::to_string(grid.height) + ")", false);
  } catch (const std::exception& e) {
    report(app, e.what(), true);
  }
}

}  // namespace vae::gui
