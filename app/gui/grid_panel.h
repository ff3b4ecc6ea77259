#pragma once
// What the picture-grid panels (Manifold, Samples, Interpolation) share: the contexts they read,
// one CachedGrid decoded in the background, and File > Export writing that picture.
#include <string>

#include "app/gui/cached_grid.h"
#include "app/gui/panel.h"

namespace vae::gui {

class GridPanel : public Panel {
 public:
  // `what` names the picture in error messages; `export_file` is its PNG's name.
  GridPanel(PanelContext& context, const char* what, const char* export_file);
  const char* export_name() const override { return export_file_; }
  void export_picture() override;

 protected:
  PanelContext& ctx_;
  Explorer& explorer_;
  CachedGrid grid_;

 private:
  const char* export_file_;
};

}  // namespace vae::gui
