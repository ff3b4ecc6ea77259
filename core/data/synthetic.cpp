// A synthetic data set with known factors: a shape (the class) at a random position, size and
// rotation, drawn anti-aliased on a 28x28 canvas. Small, instant, and with a ground truth a
// latent space can be compared against.
#include <algorithm>
#include <cmath>
#include <random>

#include "core/data/dataset.h"

namespace vae {

namespace {

constexpr int kSide = 28;
enum Shape { kSquare, kDisc, kTriangle, kCross, kRing, kShapeCount };

// Signed distance (negative inside) from point (x, y) to a shape of radius 1 centred at 0.
double signed_distance(Shape shape, double x, double y) {
  switch (shape) {
    case kSquare:
      return std::max(std::abs(x), std::abs(y)) - 0.8;
    case kDisc:
      return std::hypot(x, y) - 1.0;
    case kTriangle: {
      // Equilateral triangle pointing up, as the max of three half-plane distances.
      const double k = std::sqrt(3.0);
      return std::max({-y - 0.5, (k * x + y) / 2 - 0.5, (-k * x + y) / 2 - 0.5}) * 1.2;
    }
    case kCross: {
      const double bar_h = std::max(std::abs(x) - 1.0, std::abs(y) - 0.3);
      const double bar_v = std::max(std::abs(x) - 0.3, std::abs(y) - 1.0);
      return std::min(bar_h, bar_v);
    }
    case kRing:
      return std::abs(std::hypot(x, y) - 0.75) - 0.25;
    default:
      return 1.0;
  }
}

void draw(Split& split, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> pick_shape(0, kShapeCount - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto shape = static_cast<Shape>(pick_shape(rng));
  const double radius = 4.0 + 5.0 * unit(rng);  // pixels
  const double cx = radius + 1 + (kSide - 2 * radius - 2) * unit(rng);
  const double cy = radius + 1 + (kSide - 2 * radius - 2) * unit(rng);
  const double angle = (shape == kDisc || shape == kRing) ? 0.0 : 0.5 * (unit(rng) - 0.5);
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const double dx = (x + 0.5 - cx) / radius, dy = (y + 0.5 - cy) / radius;
      const double d = signed_distance(shape, c * dx + s * dy, -s * dx + c * dy) * radius;  // in pixels
      const double ink = std::clamp(0.5 - d, 0.0, 1.0);  // one-pixel anti-aliased edge
      split.pixels.push_back(static_cast<float>(ink));
    }
  }
  split.labels.push_back(shape);
  ++split.count;
}

}  // namespace

std::vector<std::string> synthetic_class_names() { return {"square", "disc", "triangle", "cross", "ring"}; }

Dataset make_synthetic(std::size_t train_count, std::size_t test_count, std::uint64_t seed) {
  Dataset data;
  data.name = "Synthetic shapes";
  data.channels = 1;
  data.height = data.width = kSide;
  data.class_names = synthetic_class_names();
  data.seed = seed;
  std::mt19937_64 rng(seed);
  data.train.pixels.reserve(train_count * kSide * kSide);
  data.test.pixels.reserve(test_count * kSide * kSide);
  for (std::size_t i = 0; i < train_count; ++i) draw(data.train, rng);
  for (std::size_t i = 0; i < test_count; ++i) draw(data.test, rng);
  return data;
}

}  // namespace vae
