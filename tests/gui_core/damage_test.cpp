#include "app/gui/logic/damage.h"

#include <gtest/gtest.h>

namespace vae::gui {
namespace {

// A list whose vertices are the corners of the given boxes, as ImGui emits a window's widgets.
DrawListSignature list_of(const void* id, std::uint64_t content, const std::vector<DamageRect>& boxes,
                          DamageRect clip) {
  DrawListSignature s;
  s.list = id;
  s.content = content;
  s.commands = 1;
  s.clip = clip;
  for (const auto& b : boxes) {
    for (const auto& [x, y] : {std::pair{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}})
      s.vertices.push_back({x, y, 0.5f, 0.5f, 0xffffffffu, 7});
    s.bounds = s.bounds.united(b);
  }
  s.bounds = s.bounds.intersected(clip);
  return s;
}

// Three windows side by side as the tiling lays them out; the first shows texture 1.
std::vector<DrawListSignature> three_windows() {
  static int lists[3];
  auto a = list_of(&lists[0], 11, {{0, 0, 100, 50}, {10, 10, 90, 40}}, {0, 0, 100, 50});
  a.textures.push_back({1, {10, 10, 90, 40}});
  auto b = list_of(&lists[1], 22, {{100, 0, 200, 50}, {110, 5, 150, 15}, {110, 20, 150, 30}, {110, 35, 150, 45}},
                   {100, 0, 200, 50});
  auto c = list_of(&lists[2], 33, {{0, 50, 200, 80}}, {0, 50, 200, 80});
  return {a, b, c};
}

TEST(Damage, NothingChangedIsEmpty) {
  const auto frame = three_windows();
  const Damage d = compute_damage(frame, frame, {});
  EXPECT_FALSE(d.full);
  EXPECT_TRUE(d.rects.empty());
}

TEST(Damage, AChangedWidgetDamagesOnlyWhereItIs) {
  const auto before = three_windows();
  auto now = before;
  now[1].content = 23;
  for (int v = 8; v < 12; ++v) now[1].vertices[v].x += 2;  // the second label moved right: a changed glyph
  const Damage d = compute_damage(before, now, {});
  ASSERT_FALSE(d.full);
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 110);  // where it was ...
  EXPECT_EQ(d.rects[0].y0, 20);
  EXPECT_EQ(d.rects[0].x1, 153);  // ... and where it is (one pixel past the last vertex); the
  EXPECT_EQ(d.rects[0].y1, 31);   // labels above and below are untouched
}

TEST(Damage, ALongerLabelShiftsNoOtherWidget) {
  const auto before = three_windows();
  auto now = before;
  now[1].content = 24;
  // Four more vertices in the middle widget: the last widget's vertices move down the buffer
  // but are the same, so they are not damaged.
  now[1].vertices.insert(now[1].vertices.begin() + 12,
                         {{150, 20, 0, 0, 1, 7}, {160, 20, 0, 0, 1, 7}, {160, 30, 0, 0, 1, 7}, {150, 30, 0, 0, 1, 7}});
  const Damage d = compute_damage(before, now, {});
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 150);
  EXPECT_EQ(d.rects[0].y0, 20);
  EXPECT_EQ(d.rects[0].x1, 161);
  EXPECT_EQ(d.rects[0].y1, 31);
}

TEST(Damage, SameVerticesOtherCommandsDamageTheWholeListOldAndNew) {
  const auto before = three_windows();
  auto now = before;
  now[2].content = 34;  // other indices or commands, the same vertices
  now[2].bounds = {0, 60, 120, 70};
  const Damage d = compute_damage(before, now, {});
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].y0, 50);  // the old bounds, larger than the new
  EXPECT_EQ(d.rects[0].x1, 200);
  EXPECT_EQ(d.rects[0].y1, 80);
}

TEST(Damage, AMarkDrawnWithAnotherStateDamagesOnlyItself) {
  // A small mark over the picture of the first window, in a command of its own (another texture):
  // the vertices after it are drawn as before, so only the mark is damaged.
  const auto before = three_windows();
  auto now = before;
  now[0].content = 13;
  now[0].commands = 2;
  now[0].vertices.insert(now[0].vertices.begin() + 4,
                         {{80, 12, 0, 0, 1, 9}, {86, 12, 0, 0, 1, 9}, {86, 18, 0, 0, 1, 9}, {80, 18, 0, 0, 1, 9}});
  const Damage d = compute_damage(before, now, {});
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 80);
  EXPECT_EQ(d.rects[0].y0, 12);
  EXPECT_EQ(d.rects[0].x1, 87);
  EXPECT_EQ(d.rects[0].y1, 19);
  // The same vertices drawn with another state (another clip or texture) are a change.
  auto restated = before;
  restated[1].content = 23;
  restated[1].vertices[9].state = 8;
  const Damage r = compute_damage(before, restated, {});
  ASSERT_EQ(r.rects.size(), 1u);
  EXPECT_EQ(r.rects[0].x0, 150);
  EXPECT_EQ(r.rects[0].y0, 20);
}

TEST(Damage, AChangedTextureDamagesTheCommandsShowingIt) {
  const auto frame = three_windows();
  const Damage d = compute_damage(frame, frame, {7, 1});
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 10);
  EXPECT_EQ(d.rects[0].x1, 90);
  EXPECT_EQ(d.rects[0].y1, 40);
  EXPECT_TRUE(compute_damage(frame, frame, {7}).rects.empty());  // a texture nobody shows
}

TEST(Damage, SeparateChangesStaySeparate) {
  const auto before = three_windows();
  auto now = before;
  now[0].content = 12;
  now[0].vertices[4].x = 11;  // inside the first window's inner box
  now[2].content = 34;
  now[2].vertices[0].x = 1;
  const Damage d = compute_damage(before, now, {});
  ASSERT_EQ(d.rects.size(), 2u);
  EXPECT_LT(d.area(), 200.f * 80.f / 2);  // far less than the bounding box of both
}

TEST(Damage, AListThatAppearsOrGoesDamagesItsBounds) {
  const auto before = three_windows();
  auto fewer = before;
  fewer.erase(fewer.begin() + 1);  // the second window closed
  Damage d = compute_damage(before, fewer, {});
  ASSERT_FALSE(d.full);
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 100);
  EXPECT_EQ(d.rects[0].x1, 200);
  EXPECT_EQ(d.rects[0].y1, 50);
  static int popup;
  auto more = before;
  more.push_back(list_of(&popup, 44, {{20, 20, 60, 40}}, {20, 20, 60, 40}));  // a popup on top
  d = compute_damage(before, more, {});
  ASSERT_FALSE(d.full);
  ASSERT_EQ(d.rects.size(), 1u);
  EXPECT_EQ(d.rects[0].x0, 20);
  EXPECT_EQ(d.rects[0].y1, 40);
}

TEST(Damage, ReorderedListsRepaintEverything) {
  const auto before = three_windows();
  auto reordered = before;
  std::swap(reordered[0], reordered[1]);  // a window brought to the front
  EXPECT_TRUE(compute_damage(before, reordered, {}).full);
  EXPECT_TRUE(compute_damage({}, before, {}).full);  // the first frame
}

TEST(ChangedVertexBounds, PrefixAndSuffixAreTakenOff) {
  std::vector<DrawListSignature::Vertex> a;
  for (int i = 0; i < 5; ++i) a.push_back({float(i), float(i), 0, 0, 0, 0});
  EXPECT_TRUE(changed_vertex_bounds(a, a).empty());
  auto b = a;
  b[2].x = 20;  // vertex 2 moved to (20, 2)
  const DamageRect r = changed_vertex_bounds(a, b);
  EXPECT_EQ(r.x0, 2);
  EXPECT_EQ(r.x1, 21);  // one pixel past the last vertex
  EXPECT_EQ(r.y0, 2);
  auto recoloured = a;
  recoloured[3].colour = 7;
  auto restated = a;
  restated[4].state = 1;
  EXPECT_EQ(changed_vertex_bounds(a, restated).x0, 4);
  EXPECT_EQ(changed_vertex_bounds(a, recoloured).x0, 3);
  const std::vector<DrawListSignature::Vertex> shorter(a.begin(), a.begin() + 3);  // the last two removed
  const DamageRect s = changed_vertex_bounds(a, shorter);
  EXPECT_EQ(s.x0, 3);
  EXPECT_EQ(s.y1, 5);
}

TEST(MergeRects, OverlapsUniteAndTheCountIsCapped) {
  auto merged = merge_rects({{0, 0, 10, 10}, {5, 5, 15, 15}, {100, 100, 110, 110}, {}}, 8);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].x1, 15);
  std::vector<DamageRect> many;
  for (int i = 0; i < 20; ++i) many.push_back({float(20 * i), 0, float(20 * i + 10), 10});
  const auto capped = merge_rects(many, 4);
  EXPECT_EQ(capped.size(), 4u);
  float covered = 0;
  for (const auto& r : capped) covered += r.area();
  EXPECT_GE(covered, 20 * 100.f);  // everything still covered
  for (std::size_t i = 0; i < capped.size(); ++i)
    for (std::size_t j = i + 1; j < capped.size(); ++j) EXPECT_FALSE(capped[i].overlaps(capped[j]));
}

TEST(DamageRect, UnionAndIntersection) {
  const DamageRect a{0, 0, 10, 10}, b{5, 5, 20, 8}, none;
  EXPECT_EQ(a.united(b).x1, 20);
  EXPECT_EQ(a.united(none).x1, 10);  // empty adds nothing, not the origin
  EXPECT_EQ(none.united(b).x0, 5);
  EXPECT_EQ(a.intersected(b).x0, 5);
  EXPECT_TRUE(a.intersected(DamageRect{11, 0, 12, 5}).empty());
  EXPECT_FLOAT_EQ(a.area(), 100.f);
}

}  // namespace
}  // namespace vae::gui

namespace vae::gui {
namespace {

// What a repaint narrows a command to must map to exactly the pixels asked for, whatever the
// fractions in the command's own rectangle: otherwise a column of pixels stays stale.
TEST(ScissorMapping, ClipRectanglesMapBackToTheirBoxes) {
  for (const float scale : {1.f, 1.25f, 1.5f, 2.f}) {
    const ScissorMapping mapping{0, 0, scale, scale, 1000};
    for (int x = 0; x < 40; x += 7)
      for (int y = 0; y < 40; y += 5)
        for (int w = 1; w < 30; w += 9)
          for (int h = 1; h < 30; h += 11) {
            const PixelBox box{x * 13, y * 17, w, h};
            EXPECT_EQ(mapping.box_of(mapping.clip_of(box)), box)
                << "scale " << scale << " box " << box.x << "," << box.y << " " << box.width << "x" << box.height;
          }
  }
}

TEST(ScissorMapping, ReproducesTheRenderersTruncation) {
  const ScissorMapping mapping{0, 0, 1, 1, 800};
  // A command clipped to [765.5, 800) x [500.25, 550.75): x truncates to 765, the width to 34.
  const PixelBox box = mapping.box_of({765.5f, 500.25f, 800.f, 550.75f});
  EXPECT_EQ(box.x, 765);
  EXPECT_EQ(box.width, 34);
  EXPECT_EQ(box.y, 249);  // int(800 - 550.75)
  EXPECT_EQ(box.height, 50);
  EXPECT_TRUE(mapping.box_of({10, 10, 10, 20}).empty());
  EXPECT_TRUE(mapping.clip_of(PixelBox{}).empty());
  const PixelBox a{0, 0, 10, 10}, b{5, 8, 10, 10};
  EXPECT_EQ(a.intersected(b), (PixelBox{5, 8, 5, 2}));
  EXPECT_TRUE(a.intersected(PixelBox{20, 0, 5, 5}).empty());
}

}  // namespace
}  // namespace vae::gui
