#pragma once
// The status bar's text: frame time, training state, BLAS in use, data set.
namespace vae::gui {
class Session;
// frame_ms and fps are averaged by the caller over half a second so the text stays readable (and
// an unchanged screen is not redrawn just because a number flickered).
void draw_status_text(const Session& session, float frame_ms, float fps);
}  // namespace vae::gui
