#pragma once
// One function per window; each draws the contents of its already-begun ImGui window.
#include "app/gui/app_state.h"

namespace vae::gui {

void draw_training_panel(AppState& app, const Snapshot& snap);
void draw_loss_panel(AppState& app, const Snapshot& snap);
void draw_latent_panel(AppState& app, const Snapshot& snap);
void draw_decoder_panel(AppState& app, const Snapshot& snap);
void draw_manifold_panel(AppState& app, const Snapshot& snap);
void draw_interpolation_panel(AppState& app, const Snapshot& snap);
void draw_reconstructions_panel(AppState& app, const Snapshot& snap);
void draw_samples_panel(AppState& app, const Snapshot& snap);
// frame_ms and fps are averaged by the caller over half a second so the text stays readable (and
// an unchanged screen is not redrawn just because a number flickered).
void draw_status_bar(AppState& app, const Snapshot& snap, float frame_ms, float fps);

// Shared by the image panels: shows `texture` scaled to fit the space left in the window with
// nearest filtering, returns the screen rectangle it occupies (for clicks on cells).
Rect draw_fitted_image(const Texture& texture, float max_scale = 16.f, float reserve_below = 0.f);
// Writes `grid` as PNG under the export folder and reports the outcome.
void export_png(AppState& app, const Image& grid, const std::string& file_name);

}  // namespace vae::gui
