#pragma once
// The 2-D plane through latent space that the scatter, the cursor and the manifold share: two
// chosen dimensions, or the first two principal components of the test set's latent means.
// Moving in the plane keeps every other coordinate of z where it was. Pure maths, unit tested.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/eval/inference.h"

namespace vae::gui {

enum class PlaneMode { Dimensions = 0, Pca = 1 };

struct Plane {
  PlaneMode mode = PlaneMode::Pca;
  int dim_x = 0, dim_y = 1;
  const Pca* pca = nullptr;  // principal axes of the encoded test set, when there are any

  // PCA axes are used only when asked for and when they match the latent size.
  bool uses_pca(std::size_t dims) const;
  // Coordinates of z in the plane.
  std::array<double, 2> coords(const std::vector<float>& z) const;
  // z moved so that its plane coordinates are (u, v); the orthogonal complement is untouched.
  std::vector<float> place(const std::vector<float>& z, double u, double v) const;
  // "PC1"/"PC2" or "z3".
  std::string axis_name(int axis, std::size_t dims) const;
  // Plane coordinates of `count` codes of `dims` floats each: 2 floats per code.
  std::vector<float> project(const std::vector<float>& codes, std::size_t count, int dims) const;
  // Changes whenever the mapping changes (mode, dimensions, axes).
  std::uint64_t key(std::size_t dims, std::uint64_t pca_serial) const;
};

// The 1-sigma ellipse of q(z|x) = N(mu, diag(exp(logvar))) projected onto the plane: radii along
// its principal directions and the angle (radians, counter-clockwise) of the first.
struct Ellipse {
  double r1 = 0, r2 = 0, angle = 0;
};
Ellipse projected_ellipse(const Plane& plane, const float* logvar, int dims);

// View that shows the 1st..99th percentile of the points in a w x h pixel plot, so a few outliers
// do not shrink the clusters to a dot. xy: 2 floats per point.
struct PlaneView {
  double cx = 0, cy = 0, units_per_pixel = 0.02;
};
PlaneView fit_view(const std::vector<float>& xy, double width_px, double height_px);
// Zooms by `factor` (< 1 zooms in) about the plane point under pixel offset (dx, dy) from the
// plot centre, which stays put.
PlaneView zoom_about(const PlaneView& view, double dx, double dy, double factor);

// Grid-line coordinates along one plane axis for an n-cell manifold. Gaussian spacing puts cells
// at equal steps of prior probability (inverse normal CDF of 0.05..0.95, Kingma & Welling's figure
// 4); linear spacing at equal steps over +-range. Both scaled by `axis_scale`.
std::vector<double> manifold_axis(int n, bool gaussian, double linear_range, double axis_scale);

}  // namespace vae::gui
