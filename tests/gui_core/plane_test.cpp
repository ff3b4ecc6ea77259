#include "app/gui/logic/plane.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vae::gui {
namespace {

// A PCA whose axes are z0+z1 and z0-z1 (normalised) in 3 dimensions, centred at the origin.
Pca diagonal_pca() {
  Pca pca;
  pca.dims = 3;
  pca.components = 2;
  pca.mean = {0, 0, 0};
  const float r = float(1 / std::sqrt(2.0));
  pca.axes = {r, r, 0, r, -r, 0};
  pca.variance = {4, 1};
  return pca;
}

TEST(Plane, DimensionsModeReadsAndWritesTheChosenCoordinates) {
  Plane plane;
  plane.mode = PlaneMode::Dimensions;
  plane.dim_x = 2;
  plane.dim_y = 0;
  const std::vector<float> z = {1, 2, 3};
  const auto c = plane.coords(z);
  EXPECT_DOUBLE_EQ(c[0], 3);
  EXPECT_DOUBLE_EQ(c[1], 1);
  const auto moved = plane.place(z, -1, 5);
  EXPECT_EQ(moved, (std::vector<float>{5, 2, -1}));
  EXPECT_EQ(plane.axis_name(0, 3), "z2");
  EXPECT_EQ(plane.axis_name(1, 3), "z0");
}

TEST(Plane, PcaModePlacesZAndKeepsTheOrthogonalComplement) {
  const Pca pca = diagonal_pca();
  Plane plane;
  plane.pca = &pca;
  ASSERT_TRUE(plane.uses_pca(3));
  const std::vector<float> z = {0.5f, -0.25f, 7.f};
  const auto moved = plane.place(z, 1.5, -2.0);
  const auto c = plane.coords(moved);
  EXPECT_NEAR(c[0], 1.5, 1e-5);
  EXPECT_NEAR(c[1], -2.0, 1e-5);
  EXPECT_FLOAT_EQ(moved[2], 7.f);  // off the plane: untouched
  EXPECT_EQ(plane.axis_name(0, 3), "PC1");
}

TEST(Plane, PcaOfAnotherSizeFallsBackToDimensions) {
  const Pca pca = diagonal_pca();
  Plane plane;
  plane.pca = &pca;
  EXPECT_FALSE(plane.uses_pca(4));
  EXPECT_EQ(plane.axis_name(0, 4), "z0");
  EXPECT_NE(plane.key(3, 1), plane.key(4, 1));
  EXPECT_NE(plane.key(3, 1), plane.key(3, 2));  // new axes, new key
}

TEST(Plane, ProjectMatchesCoordsOfEachPoint) {
  const Pca pca = diagonal_pca();
  Plane plane;
  plane.pca = &pca;
  const std::vector<float> codes = {1, 0, 0, 0, 1, 0, 2, 2, 1};
  const auto xy = plane.project(codes, 3, 3);
  ASSERT_EQ(xy.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto c = plane.coords({codes.begin() + long(i * 3), codes.begin() + long(i * 3 + 3)});
    EXPECT_NEAR(xy[i * 2], c[0], 1e-5);
    EXPECT_NEAR(xy[i * 2 + 1], c[1], 1e-5);
  }
}

TEST(Plane, EllipseOfAnAxisAlignedPosterior) {
  Plane plane;
  plane.mode = PlaneMode::Dimensions;
  plane.dim_x = 0;
  plane.dim_y = 1;
  const float logvar[3] = {std::log(4.f), std::log(1.f), std::log(9.f)};
  const Ellipse e = projected_ellipse(plane, logvar, 3);
  EXPECT_NEAR(e.r1, 2.0, 1e-6);  // sigma along x
  EXPECT_NEAR(e.r2, 1.0, 1e-6);
  EXPECT_NEAR(e.angle, 0.0, 1e-9);
}

TEST(Plane, FitViewCentresOnThePointsAndIgnoresOutliers) {
  std::vector<float> xy;
  for (int i = 0; i < 200; ++i) xy.insert(xy.end(), {float(i % 20) / 10.f, float(i / 20) / 10.f});
  xy.insert(xy.end(), {1000.f, 1000.f});  // one far outlier
  const PlaneView v = fit_view(xy, 400, 400);
  EXPECT_NEAR(v.cx, 0.95, 0.06);
  EXPECT_NEAR(v.cy, 0.45, 0.06);
  EXPECT_LT(v.units_per_pixel, 0.01);  // the outlier did not shrink the view
}

TEST(Plane, ZoomKeepsThePointUnderTheMouse) {
  const PlaneView v{1.0, 2.0, 0.1};
  const double dx = 30, dy = -20;
  const double before_x = v.cx + dx * v.units_per_pixel, before_y = v.cy - dy * v.units_per_pixel;
  const PlaneView z = zoom_about(v, dx, dy, 0.5);
  EXPECT_DOUBLE_EQ(z.units_per_pixel, 0.05);
  EXPECT_NEAR(z.cx + dx * z.units_per_pixel, before_x, 1e-12);
  EXPECT_NEAR(z.cy - dy * z.units_per_pixel, before_y, 1e-12);
}

TEST(Plane, ManifoldAxisSpacing) {
  const auto linear = manifold_axis(5, false, 2.0, 1.0);
  EXPECT_EQ(linear, (std::vector<double>{-2, -1, 0, 1, 2}));
  const auto gaussian = manifold_axis(3, true, 0, 1.0);
  EXPECT_NEAR(gaussian[0], -1.6449, 1e-3);  // inverse normal CDF of 0.05
  EXPECT_NEAR(gaussian[1], 0.0, 1e-9);
  EXPECT_NEAR(gaussian[2], 1.6449, 1e-3);
  EXPECT_NEAR(manifold_axis(3, true, 0, 2.0)[2], 2 * 1.6449, 2e-3);
}

}  // namespace
}  // namespace vae::gui
