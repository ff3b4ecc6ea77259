#include "app/gui/grid_panel.h"

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

GridPanel::GridPanel(PanelContext& context, const char* what, const char* export_file)
    : ctx_(context),
      explorer_(context.explorer),
      grid_(context.grid_worker, context.messages, what),
      what_(what),
      export_file_(export_file) {}

bool GridPanel::class_mode_combo(Toolbar& bar, const char* explanation) {
  if (!explorer_.conditional()) return false;
  const float width = 9.5f * ImGui::GetFontSize();
  bar.next(width);
  ImGui::SetNextItemWidth(width);
  ImGui::Combo("##classmode", &class_mode_, "chosen class\0one row per class\0");
  hot_spot(ctx_.diagnostics, std::string(what_) + ".ClassMode");
  tip(explanation);
  return class_mode_ == 1;
}

void GridPanel::export_picture() { export_png(ctx_.session, ctx_.messages, grid_.image(), export_file_); }

}  // namespace vae::gui
