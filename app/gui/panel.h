#pragma once
// The panel registry. Every panel (a window of the explorer) is a class deriving from Panel in
// its own file, registered there with one line:
//
//   VAE_REGISTER_PANEL(ManifoldPanel, {"Manifold", "Manifold grid", "Ctrl+5", {2, 0, 1.f, 1.f, 0.6f, 180, 160}, 50});
//
// i.e. {title, menu label, shortcut, default tile, order[, shown_by_default]}. Nothing else needs editing: the panel
// host instantiates every registered panel, draws it in a window of that title, tiles it, lists
// it in View, and --layout-json reports it. A panel owns its state; what it shares with others
// comes from the PanelContext it is constructed with.
//
// For menus (the View menu, a desktop menu bar): PanelHost::panels() lists the live panels with
// their PanelInfo and a `visible` flag that may be set freely; PanelHost::focus(i) shows and
// raises one; PanelHost::reset_layout() returns to the computed tiling.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/logic/tiling.h"

namespace vae::gui {

class Session;
class Explorer;
class MessageLog;
class DecodeWorker;
class Diagnostics;

// The services a panel may use. Each is split by meaning; none is a bag of every field.
struct PanelContext {
  Session& session;             // data set, trainer, loads in progress, export folder
  Explorer& explorer;           // the model being explored, cursor z, plane, encoded test set
  MessageLog& messages;         // report errors and results to the user
  DecodeWorker& grid_worker;    // background decoding for picture grids (see CachedGrid)
  DecodeWorker& cursor_worker;  // background decoding of single images when too slow for a frame
  Diagnostics* diagnostics;     // test and measurement hooks; null in normal runs
};

class Panel {
 public:
  virtual ~Panel() = default;
  // Draws the contents of the panel's already-begun window. May throw: the host reports the
  // error, unwinds what the panel left open and carries on with the next panel.
  virtual void draw() = 0;
  // The picture File > Export (and Ctrl+E) writes for this panel: its file name, or null when the
  // panel has none (the default). export_picture() writes it under the export folder and reports.
  virtual const char* export_name() const { return nullptr; }
  virtual void export_picture() {}
};

struct PanelInfo {
  std::string title;       // window title: also the key in imgui.ini and --layout-json
  std::string menu_label;  // how menus name it
  std::string shortcut;    // shows and focuses the panel, e.g. "Ctrl+3" (keys.h syntax); may be empty
  Tile tile;               // default place in the tiling (pixel minimums at UI scale 1)
  int order = 0;           // order in menus and of drawing
  // Panels for occasional analyses start closed, so the default tiling stays uncrowded on a
  // small screen; View (or the shortcut) opens them and the tiling makes room.
  bool shown_by_default = true;
  std::function<std::unique_ptr<Panel>(PanelContext&)> make = nullptr;
};

// Adds a panel type (used by VAE_REGISTER_PANEL); throws std::logic_error on a duplicate title
// or an unparsable shortcut. Returns true.
bool register_panel(PanelInfo info);
// Every registered panel, sorted by `order`.
std::vector<PanelInfo> registered_panels();

template <typename T>
PanelInfo panel_type(PanelInfo info) {
  info.make = [](PanelContext& context) -> std::unique_ptr<Panel> { return std::make_unique<T>(context); };
  return info;
}

#define VAE_REGISTER_PANEL(Type, ...)                        \
  [[maybe_unused]] static const bool vae_registered_##Type = \
      ::vae::gui::register_panel(::vae::gui::panel_type<Type>(PanelInfo __VA_ARGS__))

}  // namespace vae::gui
