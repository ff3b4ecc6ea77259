#include "app/gui/grid_panel.h"

#include "app/gui/widgets.h"

namespace vae::gui {

GridPanel::GridPanel(PanelContext& context, const char* what, const char* export_file)
    : ctx_(context),
      explorer_(context.explorer),
      grid_(context.grid_worker, context.messages, what),
      export_file_(export_file) {}

void GridPanel::export_picture() { export_png(ctx_.session, ctx_.messages, grid_.image(), export_file_); }

}  // namespace vae::gui
