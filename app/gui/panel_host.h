#pragma once
// The panel host: one live instance of every registered panel, drawn each frame in its own
// window. Until the user moves or resizes a window the panels tile the window, recomputed from
// its size every frame (so they reflow on resize); after that the user's arrangement stands
// (persisted in imgui.ini) until reset_layout(). A panel that throws is reported and unwound;
// the others carry on. Also draws the status bar with the View popup (panels on/off, UI scale,
// Reset layout).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/logic/keys.h"
#include "app/gui/logic/tiling.h"
#include "app/gui/panel.h"

namespace vae::gui {

class PanelHost {
 public:
  struct Entry {
    PanelInfo info;
    std::unique_ptr<Panel> panel;
    Shortcut shortcut;
    bool visible = true;  // menus may set this freely
    bool focus_requested = false;
  };

  explicit PanelHost(PanelContext& context);
  ~PanelHost();
  PanelHost(const PanelHost&) = delete;
  PanelHost& operator=(const PanelHost&) = delete;

  std::vector<Entry>& panels() { return panels_; }
  // Shows panel i and brings it to the front.
  void focus(std::size_t i);
  // Back to the computed tiling.
  void reset_layout() { user_layout_ = false; }
  bool user_layout() const { return user_layout_; }

  // UI scale: 0 follows the monitor's content scale; otherwise this factor. Persisted.
  float ui_scale_setting() const { return ui_scale_setting_; }
  void set_ui_scale_setting(float scale) { ui_scale_setting_ = scale; }

  // Registers the imgui.ini handler (layout mode, hidden panels, UI scale, paths). Call once
  // after the ImGui context exists, before the first frame.
  void register_settings();
  // Panel shortcuts (show and focus).
  void handle_shortcuts(KeyQueue& keys);
  // Draws the panels in `area` (screen pixels) and the status bar below it.
  // `ui_scale` multiplies the tiling's pixel minimums; frame_ms/fps are shown in the status bar.
  void draw(const Box& area, float status_height, float ui_scale, float frame_ms, float fps);

 private:
  void draw_panels(const Box& area, float ui_scale);
  void draw_status_bar(const Box& bar, float frame_ms, float fps);
  void draw_view_popup();

  PanelContext& context_;
  std::vector<Entry> panels_;
  std::vector<Box> assigned_;   // where tiling put each panel last frame (w = 0: not tiled)
  std::vector<Box> last_rect_;  // where each window was last frame
  bool user_layout_ = false;
  float ui_scale_setting_ = 0.f;
  float applied_scale_ = 1.f;

  friend struct SettingsAccess;
};

}  // namespace vae::gui
