#include "app/gui/logic/tiling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace vae::gui {
namespace {

// The explorer's eight panels as they register (training | latent, loss | decoder+manifold,
// interpolation, reconstructions+samples).
std::vector<Tile> explorer_tiles() {
  return {
      {0, 0, 0.24f, 1.f, 1.f, 270, 300},     // Training
      {1, 1, 0.37f, 0.42f, 1.f, 240, 150},   // Loss
      {1, 0, 0.37f, 0.58f, 1.f, 260, 200},   // Latent space
      {2, 0, 0.39f, 0.52f, 0.4f, 140, 220},  // Decoder
      {2, 0, 0.39f, 0.52f, 0.6f, 180, 160},  // Manifold
      {2, 1, 0.39f, 0.2f, 1.f, 150, 110},    // Interpolation
      {2, 2, 0.39f, 0.28f, 1.f, 150, 150},   // Reconstructions
      {2, 2, 0.39f, 0.28f, 1.f, 150, 150},   // Samples
  };
}

void expect_fills(const std::vector<Box>& boxes, const Box& area) {
  double covered = 0;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    EXPECT_TRUE(contains(area, boxes[i])) << "tile " << i << " leaves the area";
    EXPECT_GT(boxes[i].w, 0) << "tile " << i;
    EXPECT_GT(boxes[i].h, 0) << "tile " << i;
    covered += double(boxes[i].w) * boxes[i].h;
    for (std::size_t j = i + 1; j < boxes.size(); ++j)
      EXPECT_FALSE(overlaps(boxes[i], boxes[j])) << "tiles " << i << " and " << j << " overlap";
  }
  EXPECT_NEAR(covered, double(area.w) * area.h, 1.0) << "tiles leave a gap";
}

TEST(Tiling, EveryTileGetsABoxAtEveryWindowSize) {
  for (const Box area : {Box{0, 0, 1024, 616}, Box{0, 0, 1280, 776}, Box{0, 0, 1920, 1056}, Box{0, 0, 2560, 1416},
                         Box{0, 0, 300, 200}}) {
    SCOPED_TRACE(std::to_string(area.w) + "x" + std::to_string(area.h));
    const auto tiles = explorer_tiles();
    const auto boxes = compute_tiling(tiles, area);
    ASSERT_EQ(boxes.size(), tiles.size());
    expect_fills(boxes, area);
  }
}

TEST(Tiling, MinimumsHoldWhileTheyFit) {
  const auto tiles = explorer_tiles();
  const auto boxes = compute_tiling(tiles, Box{0, 0, 1024, 616});
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    EXPECT_GE(boxes[i].w + 0.5f, tiles[i].min_width) << "tile " << i;
    EXPECT_GE(boxes[i].h + 0.5f, tiles[i].min_height) << "tile " << i;
  }
}

TEST(Tiling, LargerWindowsGiveLargerTiles) {
  const auto tiles = explorer_tiles();
  const auto small = compute_tiling(tiles, Box{0, 0, 1280, 776});
  const auto large = compute_tiling(tiles, Box{0, 0, 2560, 1416});
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    EXPECT_GT(large[i].w, small[i].w) << "tile " << i;
    EXPECT_GT(large[i].h, small[i].h) << "tile " << i;
  }
}

TEST(Tiling, SharesSetProportions) {
  const std::vector<Tile> tiles = {{0, 0, 1.f, 1.f, 1.f, 0, 0}, {1, 0, 3.f, 1.f, 1.f, 0, 0}};
  const auto boxes = compute_tiling(tiles, Box{10, 20, 400, 100});
  EXPECT_FLOAT_EQ(boxes[0].x, 10);
  EXPECT_FLOAT_EQ(boxes[0].w, 100);
  EXPECT_FLOAT_EQ(boxes[1].x, 110);
  EXPECT_FLOAT_EQ(boxes[1].w, 300);
  EXPECT_FLOAT_EQ(boxes[1].y, 20);
  EXPECT_FLOAT_EQ(boxes[1].h, 100);
}

TEST(Tiling, UiScaleMultipliesMinimums) {
  const std::vector<Tile> tiles = {{0, 0, 1.f, 1.f, 1.f, 300, 0}, {1, 0, 9.f, 1.f, 1.f, 0, 0}};
  EXPECT_FLOAT_EQ(compute_tiling(tiles, Box{0, 0, 1000, 100}, 1.f)[0].w, 300);
  EXPECT_FLOAT_EQ(compute_tiling(tiles, Box{0, 0, 1000, 100}, 2.f)[0].w, 600);
}

TEST(Tiling, HiddenPanelsGiveTheirSpaceToTheOthers) {
  auto tiles = explorer_tiles();
  tiles.erase(tiles.begin() + 1);  // Loss hidden: Latent space takes the column
  const auto boxes = compute_tiling(tiles, Box{0, 0, 1280, 776});
  EXPECT_FLOAT_EQ(boxes[1].h, 776);
  expect_fills(boxes, Box{0, 0, 1280, 776});
}

TEST(Distribute, WholePixelsThatAddUp) {
  const auto sizes = distribute(1000.7f, {1, 1, 1}, {0, 0, 0});
  EXPECT_FLOAT_EQ(std::accumulate(sizes.begin(), sizes.end(), 0.f), 1000.f);
  for (float s : sizes) EXPECT_FLOAT_EQ(s, std::floor(s));
}

TEST(Distribute, MinimumsThatDoNotFitShrinkTogether) {
  const auto sizes = distribute(100, {1, 1}, {100, 300});
  EXPECT_FLOAT_EQ(sizes[0], 25);
  EXPECT_FLOAT_EQ(sizes[1], 75);
}

TEST(Distribute, PinnedMinimumLeavesTheRestToWeights) {
  const auto sizes = distribute(1000, {1, 1, 8}, {300, 0, 0});
  EXPECT_FLOAT_EQ(sizes[0], 300);
  EXPECT_NEAR(sizes[1], 700.f / 9.f, 1.f);
  EXPECT_NEAR(sizes[2], 700.f * 8.f / 9.f, 1.f);
}

TEST(LayoutChecks, ContainsAndOverlaps) {
  EXPECT_TRUE(contains(Box{0, 0, 100, 100}, Box{0, 0, 100, 100}));
  EXPECT_FALSE(contains(Box{0, 0, 100, 100}, Box{50, 0, 51, 10}));
  EXPECT_FALSE(overlaps(Box{0, 0, 50, 50}, Box{50, 0, 50, 50}));  // sharing an edge is not overlapping
  EXPECT_TRUE(overlaps(Box{0, 0, 50, 50}, Box{49, 49, 50, 50}));
}

}  // namespace
}  // namespace vae::gui
