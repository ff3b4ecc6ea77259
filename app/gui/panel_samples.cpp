// Samples: decodes of z ~ N(0, I) with re-roll and PNG export.
#include <algorithm>
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

class SamplesPanel : public Panel {
 public:
  explicit SamplesPanel(PanelContext& context)
      : ctx_(context), explorer_(context.explorer), grid_(context.grid_worker, context.messages, "Samples") {}
  void draw() override;

 private:
  void refresh();

  PanelContext& ctx_;
  Explorer& explorer_;
  CachedGrid grid_;
  int columns_ = 8;
  int rows_ = 4;
  std::uint64_t seed_ = 1;
  std::mt19937_64 rng_{std::random_device{}()};
};

void SamplesPanel::refresh() {
  grid_.poll();
  const auto& inference = explorer_.inference();
  if (!inference) return;
  std::uint64_t key = hash_mix(explorer_.display_serial(), seed_);
  key = hash_mix(key, std::uint64_t(columns_) * 1000 + std::uint64_t(rows_));
  if (!grid_.wanted(key)) return;
  const std::size_t count = std::size_t(columns_) * std::size_t(rows_);
  const std::uint64_t seed = seed_;
  const int columns = columns_;
  grid_.request(key, [inference, count, seed, columns](const CancelToken& cancel) {
    const auto z = inference->sample_prior(count, seed);
    return make_grid(decode_cancellable(*inference, z, count, cancel), columns, 1, 1.0f);
  });
}

void SamplesPanel::draw() {
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  if (ImGui::Button("Re-roll")) seed_ = rng_();
  tip("Draw new z ~ N(0, I).");
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##samples")) export_png(ctx_.session, ctx_.messages, grid_.image(), "samples.png");
  hot_spot(ctx_.diagnostics, "Samples.Export");
  tip("Write the gallery as samples.png in the export folder.");
  bar.next(Toolbar::labelled(4.5f * unit, "cols"));
  ImGui::SetNextItemWidth(4.5f * unit);
  ImGui::SliderInt("cols", &columns_, 1, 16);
  tip("Columns of the gallery.");
  bar.next(Toolbar::labelled(4.5f * unit, "rows"));
  ImGui::SetNextItemWidth(4.5f * unit);
  ImGui::SliderInt("rows", &rows_, 1, 16);
  tip("Rows of the gallery.");
  refresh();
  grid_.draw();
  hot_spot(ctx_.diagnostics, "Samples.Gallery");
  tip("Decodes of independent draws from the prior: how well the model generates.");
}

VAE_REGISTER_PANEL(SamplesPanel,
                   {"Samples", "Samples from the prior", "Ctrl+8", {2, 2, 0.39f, 0.28f, 1.f, 150.f, 150.f}, 80});

}  // namespace vae::gui
