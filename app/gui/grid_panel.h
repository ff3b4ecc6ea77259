#pragma once
// What the picture-grid panels (Manifold, Samples, Interpolation) share: the contexts they read,
// one CachedGrid decoded in the background, and File > Export writing that picture.
#include <string>

#include "app/gui/cached_grid.h"
#include "app/gui/panel.h"
#include "app/gui/widgets.h"

namespace vae::gui {

class GridPanel : public Panel {
 public:
  // `what` names the picture in error messages; `export_file` is its PNG's name.
  GridPanel(PanelContext& context, const char* what, const char* export_file);
  const char* export_name() const override { return export_file_; }
  void export_picture() override;

 protected:
  // Conditional models: the toolbar's "chosen class" / "one row per class" box (nothing for
  // other models), recorded as "<what>.ClassMode". True when rows are classes.
  bool class_mode_combo(Toolbar& bar, const char* explanation);

  PanelContext& ctx_;
  Explorer& explorer_;
  CachedGrid grid_;

 private:
  const char* what_;
  const char* export_file_;
  int class_mode_ = 0;  // 0 the chosen class, 1 one row per class
};

}  // namespace vae::gui
