#include "app/gui/logic/plane.h"

#include <algorithm>
#include <cmath>

#include "app/gui/logic/hash.h"

namespace vae::gui {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

bool Plane::uses_pca(std::size_t dims) const {
  return mode == PlaneMode::Pca && pca && pca->components >= 2 && pca->dims == int(dims);
}

std::array<double, 2> Plane::coords(const std::vector<float>& z) const {
  if (uses_pca(z.size())) {
    const auto p = pca->project(z, 1);
    return {p.size() > 0 ? p[0] : 0.0, p.size() > 1 ? p[1] : 0.0};
  }
  const int n = int(z.size());
  return {dim_x >= 0 && dim_x < n ? z[std::size_t(dim_x)] : 0.0, dim_y >= 0 && dim_y < n ? z[std::size_t(dim_y)] : 0.0};
}

std::vector<float> Plane::place(const std::vector<float>& z, double u, double v) const {
  std::vector<float> out = z;
  if (uses_pca(z.size())) {
    // Axes are orthonormal: shifting z along each one by the difference of coordinates moves its
    // projection to (u, v) and leaves the orthogonal complement untouched.
    const auto now = coords(z);
    const double delta[2] = {u - now[0], v - now[1]};
    for (int k = 0; k < 2; ++k)
      for (int d = 0; d < pca->dims; ++d)
        out[std::size_t(d)] += float(delta[k] * pca->axes[std::size_t(k) * std::size_t(pca->dims) + std::size_t(d)]);
    return out;
  }
  const int n = int(out.size());
  if (dim_x >= 0 && dim_x < n) out[std::size_t(dim_x)] = float(u);
  if (dim_y >= 0 && dim_y < n && dim_y != dim_x) out[std::size_t(dim_y)] = float(v);
  return out;
}

std::string Plane::axis_name(int axis, std::size_t dims) const {
  if (uses_pca(dims)) return axis == 0 ? "PC1" : "PC2";
  return "z" + std::to_string(axis == 0 ? dim_x : dim_y);
}

std::vector<float> Plane::project(const std::vector<float>& codes, std::size_t count, int dims) const {
  if (uses_pca(std::size_t(dims))) return pca->project(codes, count);
  std::vector<float> xy(count * 2);
  for (std::size_t i = 0; i < count; ++i) {
    xy[i * 2] = dim_x >= 0 && dim_x < dims ? codes[i * std::size_t(dims) + std::size_t(dim_x)] : 0.f;
    xy[i * 2 + 1] = dim_y >= 0 && dim_y < dims ? codes[i * std::size_t(dims) + std::size_t(dim_y)] : 0.f;
  }
  return xy;
}

std::uint64_t Plane::key(std::size_t dims, std::uint64_t pca_serial) const {
  std::uint64_t k = hash_mix(uses_pca(dims) ? pca_serial + 1 : 0, std::uint64_t(dims));
  return hash_mix(hash_mix(k, std::uint64_t(dim_x) + 1), std::uint64_t(dim_y) + 1);
}

Ellipse projected_ellipse(const Plane& plane, const float* logvar, int dims) {
  // Covariance projected onto the plane: A diag(sigma^2) A^T with A the two axis rows.
  const bool pca = plane.uses_pca(std::size_t(dims));
  double c[2][2] = {};
  for (int j = 0; j < dims; ++j) {
    double a[2];
    for (int k = 0; k < 2; ++k) {
      if (pca) {
        a[k] = plane.pca->axes[std::size_t(k) * std::size_t(dims) + std::size_t(j)];
      } else {
        a[k] = (k == 0 ? plane.dim_x : plane.dim_y) == j ? 1.0 : 0.0;
      }
    }
    const double var = std::exp(double(logvar[j]));
    for (int p = 0; p < 2; ++p)
      for (int q = 0; q < 2; ++q) c[p][q] += a[p] * a[q] * var;
  }
  const double tr = c[0][0] + c[1][1], det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
  const double disc = std::sqrt(std::max(0.0, tr * tr / 4 - det));
  const double l1 = tr / 2 + disc, l2 = std::max(0.0, tr / 2 - disc);
  Ellipse e;
  e.angle = std::abs(c[0][1]) > 1e-12 ? std::atan2(l1 - c[0][0], c[0][1]) : (c[0][0] >= c[1][1] ? 0 : kPi / 2);
  e.r1 = std::sqrt(l1);
  e.r2 = std::sqrt(l2);
  return e;
}

PlaneView fit_view(const std::vector<float>& xy, double width_px, double height_px) {
  PlaneView view;
  const std::size_t n = xy.size() / 2;
  if (n == 0) return view;
  std::vector<float> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = xy[i * 2], ys[i] = xy[i * 2 + 1];
  auto pct = [](std::vector<float>& v, double q) {
    const std::size_t k = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return double(v[k]);
  };
  const double x0 = pct(xs, 0.01), x1 = pct(xs, 0.99), y0 = pct(ys, 0.01), y1 = pct(ys, 0.99);
  view.cx = (x0 + x1) / 2;
  view.cy = (y0 + y1) / 2;
  view.units_per_pixel =
      std::max({(x1 - x0) / (0.8 * std::max(width_px, 1.0)), (y1 - y0) / (0.8 * std::max(height_px, 1.0)), 1e-4});
  return view;
}

PlaneView zoom_about(const PlaneView& view, double dx, double dy, double factor) {
  const double mx = view.cx + dx * view.units_per_pixel;
  const double my = view.cy - dy * view.units_per_pixel;
  PlaneView out;
  out.units_per_pixel = std::clamp(view.units_per_pixel * factor, 1e-6, 1e3);
  const double applied = out.units_per_pixel / view.units_per_pixel;
  out.cx = mx - (mx - view.cx) * applied;
  out.cy = my - (my - view.cy) * applied;
  return out;
}

std::vector<double> manifold_axis(int n, bool gaussian, double linear_range, double axis_scale) {
  std::vector<double> values(std::size_t(std::max(n, 0)));
  for (int k = 0; k < n; ++k) {
    const double t = n > 1 ? double(k) / (n - 1) : 0.5;
    values[std::size_t(k)] =
        gaussian ? normal_quantile(0.05 + 0.9 * t) * axis_scale : (-1.0 + 2.0 * t) * linear_range * axis_scale;
  }
  return values;
}

}  // namespace vae::gui
