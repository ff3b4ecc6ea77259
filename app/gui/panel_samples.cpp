// Samples: decodes of z ~ N(0, I) with re-roll and PNG export; also the CSV exports and the
// export folder shared by every Export button.
#include <algorithm>
#include <random>

#include "app/gui/panels.h"
#include "core/io/export.h"
#include "imgui.h"
#include "imgui_stdlib.h"

namespace vae::gui {

namespace {

void refresh(AppState& app) {
  SamplesPanelState& s = app.samples;
  if (!app.inference) return;
  std::uint64_t key = hash_mix(app.display_serial, s.seed);
  key = hash_mix(key, std::uint64_t(s.columns) * 1000 + std::uint64_t(s.rows));
  if (key == s.key || !take_heavy_work_slot(app)) return;
  s.key = key;
  try {
    const auto images = app.inference->sample(std::size_t(s.columns) * s.rows, s.seed);
    if (images.empty()) return;
    s.grid = make_grid(images, s.columns, 1, 1.0f);
    s.texture.upload(s.grid);
  } catch (const std::exception& e) {
    report(app, std::string("Sampling failed: ") + e.what(), true);
  }
}

void export_latents(AppState& app) {
  if (!app.inference || !app.data) {
    report(app, "Nothing to export yet", true);
    return;
  }
  const std::string path = export_path(app, "latents.csv");
  try {
    // The scatter's codes when they match the current weights, otherwise encode now.
    LatentCodes codes;
    if (app.encoded && app.encoded->model == app.inference->model()) {
      codes = app.encoded->codes;
    } else {
      codes = app.inference->encode(app.data->test.pixels.data(), app.data->test.count);
    }
    write_latents_csv(codes, app.data->test.labels, app.data->class_names, path);
    report(app, "Wrote " + path + " (" + std::to_string(codes.count) + " test images)", false);
  } catch (const std::exception& e) {
    report(app, e.what(), true);
  }
}

void export_metrics(AppState& app, const Snapshot& snap) {
  const std::string path = export_path(app, "metrics.csv");
  try {
    write_metrics_csv(snap.history, path);
    report(app, "Wrote " + path + " (" + std::to_string(snap.history.steps.size()) + " steps)", false);
  } catch (const std::exception& e) {
    report(app, e.what(), true);
  }
}

}  // namespace

void draw_samples_panel(AppState& app, const Snapshot& snap) {
  SamplesPanelState& s = app.samples;
  if (ImGui::Button("Re-roll")) {
    static std::mt19937_64 rng(std::random_device{}());
    s.seed = rng();
  }
  tip("Draw new z ~ N(0, I).");
  ImGui::SameLine();
  if (ImGui::Button("Export PNG##samples")) export_png(app, s.grid, "samples.png");
  hot_spot(app, "Samples.Export");
  tip("Write the gallery as samples.png in the export folder.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(60);
  ImGui::SliderInt("cols", &s.columns, 1, 16);
  tip("Columns of the gallery.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(60);
  ImGui::SliderInt("rows", &s.rows, 1, 16);
  tip("Rows of the gallery.");
  refresh(app);
  const float line = ImGui::GetFrameHeightWithSpacing();
  draw_fitted_image(s.texture, 16.f, 2 * line + 4);
  hot_spot(app, "Samples.Gallery");
  tip("Decodes of independent draws from the prior: how well the model generates.");

  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##exportdir", "export folder (default: current folder)", &app.export_dir);
  tip("Folder where every Export button writes (samples.png, manifold.png, interpolation.png, "
      "reconstructions.png, latents.csv, metrics.csv). Remembered between sessions.");
  if (ImGui::Button("Export latent CSV")) export_latents(app);
  hot_spot(app, "Samples.ExportLatents");
  tip("Posterior means and log-variances of every test image, with labels: latents.csv.");
  ImGui::SameLine();
  if (ImGui::Button("Export metrics CSV")) export_metrics(app, snap);
  hot_spot(app, "Samples.ExportMetrics");
  tip("The loss history (per step and per epoch): metrics.csv.");
}

}  // namespace vae::gui
