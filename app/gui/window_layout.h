#pragma once
// Where windows go on first use, where imgui.ini lives, what it remembers besides the layout, and
// the --layout-json test hook.
#include <string>

#include "app/gui/app_state.h"
#include "imgui.h"

namespace vae::gui {

// The eight panel windows in drawing order.
extern const char* const kWindowTitles[8];

// Fixed first-run placement for a display of `display` pixels with a status bar of
// `status_height` at the bottom: no overlap, every window usable at 1280x800.
void default_window_rect(int index, ImVec2 display, float status_height, ImVec2* pos, ImVec2* size);

// $VAE_EXPLORER_CONFIG_DIR, else $XDG_CONFIG_HOME/vae-explorer, else ~/.config/vae-explorer
// (created on demand). Empty when none can be made: the layout is then not persisted.
std::string config_dir();

// Persists the checkpoint path and export folder in imgui.ini next to the layout.
void register_settings_handler(AppState& app);

// { "<title>": [x, y, w, h], ... } of windows and named widgets, in window pixels.
std::string layout_json(const AppState& app);

}  // namespace vae::gui
