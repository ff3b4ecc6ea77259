#include <algorithm>
#include <stdexcept>

#include "app/gui/logic/keys.h"
#include "app/gui/panel.h"

namespace vae::gui {

namespace {
// A function-local static: registrations run from other files' static initialisers.
std::vector<PanelInfo>& registry() {
  static std::vector<PanelInfo> panels;
  return panels;
}
}  // namespace

bool register_panel(PanelInfo info) {
  auto& panels = registry();
  for (const auto& p : panels)
    if (p.title == info.title) throw std::logic_error("panel '" + info.title + "' is registered twice");
  try {
    parse_shortcut(info.shortcut);
  } catch (const std::invalid_argument& e) {
    throw std::logic_error("panel '" + info.title + "': " + e.what());
  }
  if (info.menu_label.empty()) info.menu_label = info.title;
  panels.push_back(std::move(info));
  return true;
}

std::vector<PanelInfo> registered_panels() {
  auto panels = registry();
  std::stable_sort(panels.begin(), panels.end(),
                   [](const PanelInfo& a, const PanelInfo& b) { return a.order < b.order; });
  return panels;
}

}  // namespace vae::gui
