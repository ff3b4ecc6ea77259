// Samples: decodes of draws from the model's prior (z ~ N(0, I); a VQ-VAE's uniform prior over
// codes, labelled as such) with re-roll and PNG export. Conditional models: all for the chosen
// class, or one row per class with the same z in each column.
#include <algorithm>
#include <random>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/grid_panel.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

class SamplesPanel : public GridPanel {
 public:
  explicit SamplesPanel(PanelContext& context) : GridPanel(context, "Samples", "samples.png") {}
  void draw() override;

 private:
  void refresh();

  int columns_ = 8;
  int rows_ = 4;
  std::uint64_t seed_ = 1;
  bool per_class_ = false;  // conditional: one row per class
  std::mt19937_64 rng_{std::random_device{}()};
};

void SamplesPanel::refresh() {
  grid_.poll();
  const auto& inference = explorer_.inference();
  if (!inference) return;
  const bool per_class = per_class_;
  std::uint64_t key = hash_mix(explorer_.display_serial(), seed_);
  key = hash_mix(key, std::uint64_t(columns_) * 1000 + std::uint64_t(rows_) + (per_class ? 1u << 20 : 0u));
  if (!grid_.wanted(key)) return;
  const std::uint64_t seed = seed_;
  const int columns = columns_;
  if (per_class) {
    // Each column one z, drawn as every class: y changes down a column, z along a row.
    const int classes = explorer_.num_classes();
    grid_.request(key, [inference, seed, columns, classes](const CancelToken& cancel) {
      const auto one_row = inference->sample_prior(std::size_t(columns), seed);
      std::vector<float> z;
      std::vector<int> labels;
      for (int k = 0; k < classes; ++k) {
        z.insert(z.end(), one_row.begin(), one_row.end());
        labels.insert(labels.end(), std::size_t(columns), k);
      }
      const std::size_t count = std::size_t(columns) * std::size_t(classes);
      return make_grid(decode_cancellable(*inference, z, count, cancel, labels), columns, 1, 1.0f);
    });
    return;
  }
  const std::size_t count = std::size_t(columns_) * std::size_t(rows_);
  grid_.request(key, [inference, count, seed, columns](const CancelToken& cancel) {
    const auto z = inference->sample_prior(count, seed);
    return make_grid(decode_cancellable(*inference, z, count, cancel), columns, 1, 1.0f);
  });
}

void SamplesPanel::draw() {
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  const auto& inference = explorer_.inference();
  const std::string prior = inference ? inference->capabilities().prior : std::string("N(0, I)");
  if (ImGui::Button("Re-roll")) seed_ = rng_();
  tip(("Draw new samples from the prior, " + prior + ".").c_str());
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##samples")) export_picture();
  hot_spot(ctx_.diagnostics, "Samples.Export");
  tip("Write the gallery as samples.png in the export folder.");
  bar.next(Toolbar::labelled(4.5f * unit, "cols"));
  ImGui::SetNextItemWidth(4.5f * unit);
  ImGui::SliderInt("cols", &columns_, 1, 16);
  tip("Columns of the gallery.");
  const bool per_class = per_class_;
  if (!per_class) {
    bar.next(Toolbar::labelled(4.5f * unit, "rows"));
    ImGui::SetNextItemWidth(4.5f * unit);
    ImGui::SliderInt("rows", &rows_, 1, 16);
    tip("Rows of the gallery.");
  }
  per_class_ = class_mode_combo(
      bar,
      "Chosen class: every sample drawn for the class picked beside the Decoder. One row per class: each column "
      "is one z drawn as every class, so a row shows a class and a column one style.");
  if (inference && inference->capabilities().posterior == PosteriorKind::DiscreteCodes) {
    // No learned prior over codes: say what these samples are, so nobody judges the model by them.
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.8f, 0.4f, 1.f));
    ImGui::TextWrapped("Prior: %s", prior.c_str());
    ImGui::PopStyleColor();
    tip("Each cell of the code grid is drawn independently and uniformly from the codebook. A VQ-VAE learns no "
        "prior over codes (van den Oord et al. fit an autoregressive one afterwards), so these grids are not "
        "what the model would generate with one.");
  } else if (explorer_.conditional() && !per_class) {
    ImGui::TextDisabled("class %s, z ~ %s", explorer_.class_name(explorer_.chosen_class()).c_str(), prior.c_str());
  }
  refresh();
  grid_.draw();
  hot_spot(ctx_.diagnostics, "Samples.Gallery");
  tip("Decodes of independent draws from the prior: how well the model generates.");
}

VAE_REGISTER_PANEL(SamplesPanel,
                   {"Samples", "Samples from the prior", "Ctrl+8", {2, 2, 0.39f, 0.28f, 1.f, 150.f, 150.f}, 80});

}  // namespace vae::gui
