// Status bar: frame time, training state, BLAS in use (a warning when the reference BLAS is loaded).
#include "app/gui/status_bar.h"

#include <algorithm>
#include <string>

#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/runtime/cpu_kernel.h"
#include "imgui.h"

namespace vae::gui {

void draw_status_text(const Session& session, float frame_ms, float fps) {
  const Snapshot& snap = session.snapshot();
  ImGui::Text("%5.1f ms/frame (%3.0f fps)", frame_ms, fps);
  tip("Time the UI thread spends on a frame, and the frame rate (capped at 60 fps so training keeps the cores; "
      "frames whose picture did not change are not redrawn).");
  ImGui::SameLine(0, 24);
  if (session.has_trainer()) {
    // Same convention as the progress bar: the epoch under way while training.
    const bool under_way = snap.state == TrainerState::Running || snap.state == TrainerState::Paused;
    const int epoch = under_way ? std::min(snap.epoch + 1, snap.train_config.epochs) : snap.epoch;
    ImGui::Text("%s: epoch %d/%d, step %lld, %.0f samples/s", to_string(snap.state), epoch, snap.train_config.epochs,
                static_cast<long long>(snap.step), snap.samples_per_sec);
  } else if (session.loading_data()) {
    ImGui::TextUnformatted("loading data ...");
  } else {
    ImGui::TextUnformatted("no model");
  }
  tip("Trainer state.");
  ImGui::SameLine(0, 24);
  const BlasInfo& blas = session.blas();
  if (blas.is_reference) {
    ImGui::TextColored(ImVec4(1, 0.35f, 0.3f, 1), "BLAS: reference (slow! install libopenblas0-pthread)");
  } else {
    // Which kernel the BLAS runs never changes while the process lives: read it once.
    static const std::string kernel = active_blas_kernel().core;
    ImGui::TextDisabled("BLAS: %s %s", blas.is_openblas ? "OpenBLAS" : blas.library.c_str(), kernel.c_str());
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Linear algebra library in use: %s\n%s", blas.library.c_str(),
                      session.threads_description.c_str());
  }
  if (const auto& data = session.data()) {
    ImGui::SameLine(0, 24);
    ImGui::TextDisabled("%s", data->name.c_str());
    tip("The data set in use.");
  }
}

}  // namespace vae::gui
