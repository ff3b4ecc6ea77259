// Reconstructions: a row of test images over their reconstructions, optionally over a heat map
// of the per-pixel error. Decoded in the background.
#include <algorithm>
#include <cmath>
#include <random>

#include "app/gui/cached_grid.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

Image to_rgb(const Image& image) {
  if (image.channels == 3) return image;
  Image out(3, image.height, image.width);
  const std::size_t plane = std::size_t(image.height) * std::size_t(image.width);
  for (int c = 0; c < 3; ++c)
    std::copy(image.pixels.begin(), image.pixels.begin() + long(plane),
              out.pixels.begin() + long(std::size_t(c) * plane));
  return out;
}

// |x - x_hat| averaged over channels, mapped black -> red -> yellow -> white ("hot").
Image error_heat_map(const Image& original, const Image& reconstruction) {
  Image out(3, original.height, original.width);
  const std::size_t plane = std::size_t(original.height) * std::size_t(original.width);
  for (std::size_t i = 0; i < plane; ++i) {
    float e = 0;
    for (int c = 0; c < original.channels; ++c) {
      e += std::abs(original.pixels[std::size_t(c) * plane + i] - reconstruction.pixels[std::size_t(c) * plane + i]);
    }
    e /= float(original.channels);
    const float t = std::clamp(e * 2.f, 0.f, 1.f);  // an error of 0.5 already saturates
    out.pixels[i] = std::clamp(t * 3.f, 0.f, 1.f);
    out.pixels[plane + i] = std::clamp(t * 3.f - 1.f, 0.f, 1.f);
    out.pixels[2 * plane + i] = std::clamp(t * 3.f - 2.f, 0.f, 1.f);
  }
  return out;
}

}  // namespace

class ReconstructionsPanel : public Panel {
 public:
  explicit ReconstructionsPanel(PanelContext& context)
      : ctx_(context), grid_(context.grid_worker, context.messages, "Reconstructions") {}
  void draw() override;
  const char* export_name() const override { return "reconstructions.png"; }
  void export_picture() override { export_png(ctx_.session, ctx_.messages, grid_.image(), export_name()); }

 private:
  void refresh();

  PanelContext& ctx_;
  CachedGrid grid_;
  int count_ = 8;
  int first_ = 0;
  bool heat_map_ = false;
  std::mt19937 rng_{7};
};

void ReconstructionsPanel::refresh() {
  grid_.poll();
  const auto& inference = ctx_.explorer.inference();
  const auto& data = ctx_.session.data();
  if (!inference || !data || data->test.count == 0) return;
  const int available = int(std::min<std::size_t>(data->test.count, 1u << 30));
  count_ = std::clamp(count_, 1, available);
  first_ = std::clamp(first_, 0, available - count_);
  std::uint64_t key = hash_mix(ctx_.explorer.display_serial(), std::uint64_t(count_) * 7 + (heat_map_ ? 1 : 0));
  key = hash_mix(hash_mix(key, std::uint64_t(first_)), ctx_.session.data_serial());
  if (!grid_.wanted(key)) return;
  const std::size_t first = std::size_t(first_), n = std::size_t(count_);
  const bool heat_map = heat_map_;
  grid_.request(key, [inference, data, first, n, heat_map](const CancelToken& cancel) {
    // A conditional model reads and redraws each image with its own label.
    std::vector<int> labels;
    if (inference->capabilities().conditional && data->test.labels.size() >= first + n)
      labels.assign(data->test.labels.begin() + long(first), data->test.labels.begin() + long(first + n));
    const auto recon = inference->reconstruct(data->test_image(first), n, labels);
    cancel.check();
    std::vector<Image> cells;
    for (std::size_t i = 0; i < n; ++i) cells.push_back(data->test_picture(first + i));
    for (std::size_t i = 0; i < n; ++i) cells.push_back(recon[i]);
    if (heat_map) {
      for (std::size_t i = 0; i < n; ++i) cells.push_back(error_heat_map(cells[i], recon[i]));
      // make_grid wants one shape: grey rows become RGB next to the coloured heat map.
      for (std::size_t i = 0; i < 2 * n; ++i) cells[i] = to_rgb(cells[i]);
    }
    return make_grid(cells, int(n), 1, 1.0f);
  });
}

void ReconstructionsPanel::draw() {
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  ImGui::SetNextItemWidth(6.f * unit);
  ImGui::SliderInt("images", &count_, 1, 20);
  tip("How many test images to reconstruct.");
  bar.next(Toolbar::labelled(6.5f * unit, "first"));
  ImGui::SetNextItemWidth(6.5f * unit);
  ImGui::InputInt("first", &first_);
  tip("Index of the first test image shown.");
  bar.next(Toolbar::button("Shuffle"));
  const auto& data = ctx_.session.data();
  if (ImGui::Button("Shuffle") && data && data->test.count > std::size_t(count_)) {
    first_ = int(rng_() % (data->test.count - std::size_t(count_)));
  }
  tip("Show another run of test images.");
  bar.next(Toolbar::checkbox("error heat map"));
  ImGui::Checkbox("error heat map", &heat_map_);
  tip("Add a row with the per-pixel error |x - x_hat| (black: none, white: 0.5 or more).");
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##recon")) export_picture();
  hot_spot(ctx_.diagnostics, "Reconstructions.Export");
  tip("Write the rows as reconstructions.png in the export folder.");
  refresh();
  grid_.draw();
  hot_spot(ctx_.diagnostics, "Reconstructions.Grid");
  tip("Top: test images. Below: their reconstructions (decoded posterior means)");
}

VAE_REGISTER_PANEL(ReconstructionsPanel,
                   {"Reconstructions", "Reconstructions", "Ctrl+7", {2, 2, 0.39f, 0.28f, 1.f, 150.f, 150.f}, 70});

}  // namespace vae::gui
