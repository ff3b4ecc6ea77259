#include "app/gui/panel_host.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/messages.h"
#include "app/gui/session.h"
#include "app/gui/status_bar.h"
#include "app/gui/widgets.h"
#include "imgui.h"
#include "imgui_internal.h"  // ErrorCheckEndWindowRecover, FindWindowByName, settings handlers

namespace vae::gui {

namespace {

// Closes whatever a panel that threw left open (child windows, popups, ID and style stacks,
// disabled blocks) so the frame can finish with `panel` as the current window.
void unwind_to(ImGuiWindow* panel, short disabled_depth) {
  ImGuiContext& g = *ImGui::GetCurrentContext();
  while (g.CurrentWindow && g.CurrentWindow != panel) {
    ImGui::ErrorCheckEndWindowRecover(nullptr);
    if (g.CurrentWindow->Flags & ImGuiWindowFlags_Popup)
      ImGui::EndPopup();
    else if (g.CurrentWindow->Flags & ImGuiWindowFlags_ChildWindow)
      ImGui::EndChild();
    else
      ImGui::End();
  }
  ImGui::ErrorCheckEndWindowRecover(nullptr);
  while (g.DisabledStackSize > disabled_depth) ImGui::EndDisabled();
}

bool differs(float a, float b) { return std::abs(a - b) > 0.5f; }

}  // namespace

// imgui.ini: [VaeExplorer][Paths] (checkpoint, export folder) and [VaeExplorer][View] (layout
// mode, hidden panels, UI scale).
struct SettingsAccess {
  static void* open(ImGuiContext*, ImGuiSettingsHandler* handler, const char* name) {
    if (std::strcmp(name, "Paths") == 0 || std::strcmp(name, "View") == 0) return handler->UserData;
    return nullptr;
  }
  static void line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* text) {
    auto& host = *static_cast<PanelHost*>(entry);
    Session& session = host.context_.session;
    auto value_of = [text](const char* key) -> const char* {
      const std::size_t n = std::strlen(key);
      return std::strncmp(text, key, n) == 0 && text[n] == '=' ? text + n + 1 : nullptr;
    };
    // Command-line choices (--load) win over what the last session remembered.
    if (const char* v = value_of("checkpoint"); v && session.checkpoint_path.empty()) session.checkpoint_path = v;
    if (const char* v = value_of("export_dir"); v && session.export_dir.empty()) session.export_dir = v;
    if (const char* v = value_of("layout")) host.user_layout_ = std::strcmp(v, "user") == 0;
    if (const char* v = value_of("ui_scale")) {
      const float scale = std::strtof(v, nullptr);
      host.ui_scale_setting_ = scale >= 0.5f && scale <= 4.f ? scale : 0.f;
    }
    // Both lists are kept, so a panel missing from both (new in this version) takes its default.
    auto apply_list = [&host](std::string list, bool visible) {
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t end = std::min(list.find(';', start), list.size());
        const std::string title = list.substr(start, end - start);
        for (auto& entry : host.panels_)
          if (entry.info.title == title) entry.visible = visible;
        start = end + 1;
      }
    };
    if (const char* v = value_of("hidden")) apply_list(v, false);
    if (const char* v = value_of("shown")) apply_list(v, true);
  }
  static void write(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
    const auto& host = *static_cast<const PanelHost*>(handler->UserData);
    const Session& session = host.context_.session;
    out->appendf("[%s][Paths]\n", handler->TypeName);
    out->appendf("checkpoint=%s\n", session.checkpoint_path.c_str());
    out->appendf("export_dir=%s\n", session.export_dir.c_str());
    out->append("\n");
    out->appendf("[%s][View]\n", handler->TypeName);
    out->appendf("layout=%s\n", host.user_layout_ ? "user" : "tiled");
    out->appendf("ui_scale=%.2f\n", host.ui_scale_setting_);
    std::string hidden, shown;
    for (const auto& entry : host.panels_) {
      std::string& list = entry.visible ? shown : hidden;
      list += (list.empty() ? "" : ";") + entry.info.title;
    }
    out->appendf("hidden=%s\n", hidden.c_str());
    out->appendf("shown=%s\n", shown.c_str());
    out->append("\n");
  }
};

PanelHost::PanelHost(PanelContext& context) : context_(context) {
  for (auto& info : registered_panels()) {
    Entry entry;
    entry.visible = info.shown_by_default;
    entry.shortcut = parse_shortcut(info.shortcut);
    entry.panel = info.make(context);
    entry.info = std::move(info);
    panels_.push_back(std::move(entry));
  }
  assigned_.resize(panels_.size());
  last_rect_.resize(panels_.size());
  if (context.diagnostics) {
    std::vector<std::string> titles;
    for (const auto& entry : panels_) titles.push_back(entry.info.title);
    context.diagnostics->set_registered(std::move(titles));
  }
}

PanelHost::~PanelHost() = default;

void PanelHost::register_settings() {
  ImGuiSettingsHandler handler;
  handler.TypeName = "VaeExplorer";
  handler.TypeHash = ImHashStr("VaeExplorer");
  handler.ReadOpenFn = SettingsAccess::open;
  handler.ReadLineFn = SettingsAccess::line;
  handler.WriteAllFn = SettingsAccess::write;
  handler.UserData = this;
  ImGui::GetCurrentContext()->SettingsHandlers.push_back(handler);
}

void PanelHost::focus(std::size_t i) {
  if (i >= panels_.size()) return;
  panels_[i].visible = true;
  panels_[i].focus_requested = true;
}

void PanelHost::handle_shortcuts(KeyQueue& keys) {
  for (std::size_t i = 0; i < panels_.size(); ++i)
    if (keys.take(panels_[i].shortcut)) focus(i);
}

void PanelHost::draw(const Box& area, float status_height, float ui_scale, float frame_ms, float fps) {
  applied_scale_ = ui_scale;
  // Panels the explorer asked to show or hide (the code view in place of the Manifold for a VQ-VAE).
  Explorer& explorer = context_.explorer;
  for (std::size_t i = 0; i < panels_.size(); ++i) {
    if (panels_[i].info.title == explorer.close_panel_request) panels_[i].visible = false;
    if (panels_[i].info.title == explorer.open_panel_request) focus(i);
  }
  explorer.open_panel_request.clear();
  explorer.close_panel_request.clear();
  draw_panels(area, ui_scale);
  draw_status_bar(Box{area.x, area.bottom(), area.w, status_height}, frame_ms, fps);
}

void PanelHost::draw_panels(const Box& area, float ui_scale) {
  // The tiling of the visible panels.
  std::vector<Tile> tiles;
  std::vector<std::size_t> tiled;
  for (std::size_t i = 0; i < panels_.size(); ++i) {
    if (!panels_[i].visible) continue;
    tiles.push_back(panels_[i].info.tile);
    tiled.push_back(i);
  }
  const auto boxes = compute_tiling(tiles, area, ui_scale);
  if (context_.diagnostics) {
    std::vector<std::string> hidden;
    for (const auto& entry : panels_)
      if (!entry.visible) hidden.push_back(entry.info.title);
    context_.diagnostics->set_hidden(std::move(hidden));
  }
  std::vector<Box> target(panels_.size());
  for (std::size_t k = 0; k < tiled.size(); ++k) target[tiled[k]] = boxes[k];

  // Moving a window by its title bar happened in NewFrame: the window is no longer where the
  // tiling put it. From then on the user's arrangement stands.
  if (!user_layout_) {
    for (std::size_t i : tiled) {
      const ImGuiWindow* window = ImGui::FindWindowByName(panels_[i].info.title.c_str());
      const Box& was = assigned_[i];
      if (window && was.w > 0 && (differs(window->Pos.x, was.x) || differs(window->Pos.y, was.y))) {
        user_layout_ = true;
        break;
      }
    }
  }

  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoCollapse;
  for (std::size_t i = 0; i < panels_.size(); ++i) {
    Entry& entry = panels_[i];
    const char* title = entry.info.title.c_str();
    if (!entry.visible) {
      assigned_[i] = Box{};
      continue;
    }
    const Box& box = target[i];
    if (!user_layout_) {
      ImGui::SetNextWindowPos(ImVec2(box.x, box.y), ImGuiCond_Always);
      ImGui::SetNextWindowSize(ImVec2(box.w, box.h), ImGuiCond_Always);
      assigned_[i] = box;
    } else {
      // A panel the user's layout has never seen starts at its tile.
      ImGui::SetNextWindowPos(ImVec2(box.x, box.y), ImGuiCond_FirstUseEver);
      ImGui::SetNextWindowSize(ImVec2(box.w, box.h), ImGuiCond_FirstUseEver);
      assigned_[i] = Box{};
    }
    if (entry.focus_requested) {
      ImGui::SetNextWindowFocus();
      entry.focus_requested = false;
    }
    // Windows that overlap nothing get no background fill (the clear colour matches it).
    // llvmpipe pays ~20 ns per blended pixel, and the backgrounds cover the whole screen: this
    // halves the cost of a redraw.
    bool alone = last_rect_[i].w > 0;
    for (std::size_t j = 0; j < panels_.size() && alone; ++j)
      alone = j == i || !panels_[j].visible || !overlaps(last_rect_[i], last_rect_[j], 1.f);
    if (alone) ImGui::SetNextWindowBgAlpha(0.f);

    bool open = true;
    const bool expanded = ImGui::Begin(title, &open, flags);
    const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
    last_rect_[i] = Box{p.x, p.y, s.x, s.y};
    if (context_.diagnostics) context_.diagnostics->record(entry.info.title, last_rect_[i]);
    // A resize grip or border drag changes the size inside Begin.
    if (!user_layout_ && (differs(s.x, box.w) || differs(s.y, box.h))) user_layout_ = true;
    if (expanded) {
      // A failing panel must not take the window (and the training run) down: report it, let
      // ImGui unwind whatever the panel left open, and carry on with the next panel.
      ImGuiWindow* window = ImGui::GetCurrentWindow();
      const short disabled_depth = ImGui::GetCurrentContext()->DisabledStackSize;
      try {
        entry.panel->draw();
      } catch (const std::exception& e) {
        unwind_to(window, disabled_depth);
        context_.messages.report(entry.info.title + ": " + e.what(), true);
      }
    }
    ImGui::End();
    if (!open) entry.visible = false;
  }
}

void PanelHost::draw_view_popup() {
  if (!ImGui::BeginPopup("view_menu")) return;
  ImGui::TextDisabled("Panels");
  for (std::size_t i = 0; i < panels_.size(); ++i) {
    Entry& entry = panels_[i];
    const std::string keys = to_string(entry.shortcut);
    if (ImGui::MenuItem(entry.info.menu_label.c_str(), keys.c_str(), entry.visible)) {
      entry.visible = !entry.visible;
      if (entry.visible) entry.focus_requested = true;
    }
  }
  ImGui::Separator();
  if (ImGui::MenuItem("Reset layout", nullptr, false, user_layout_)) reset_layout();
  hot_spot(context_.diagnostics, "View.ResetLayout");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Tile the panels to the window again, reflowing on resize.");
  ImGui::Separator();
  bool automatic = ui_scale_setting_ <= 0.f;
  if (ImGui::Checkbox("UI scale from the monitor", &automatic))
    ui_scale_setting_ = automatic ? 0.f : std::round(applied_scale_ * 4.f) / 4.f;
  ImGui::BeginDisabled(automatic);
  float scale = automatic ? applied_scale_ : ui_scale_setting_;
  ImGui::SetNextItemWidth(8.f * ImGui::GetFontSize());
  // Applied when the slider is released: rebuilding the font atlas at every step would stutter.
  ImGui::SliderFloat("UI scale", &scale, 0.75f, 3.f, "%.2f");
  if (ImGui::IsItemDeactivatedAfterEdit()) ui_scale_setting_ = std::round(scale * 20.f) / 20.f;
  ImGui::EndDisabled();
  ImGui::EndPopup();
}

void PanelHost::draw_status_bar(const Box& bar, float frame_ms, float fps) {
  ImGui::SetNextWindowPos(ImVec2(bar.x, bar.y));
  ImGui::SetNextWindowSize(ImVec2(bar.w, bar.h));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8, 3));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                 ImGuiWindowFlags_NoFocusOnAppearing;
  if (ImGui::Begin("##status", nullptr, flags)) {
    // The View button at the right edge, the figures to its left.
    const float view_width = Toolbar::button("View") + ImGui::GetStyle().ItemSpacing.x;
    ImGui::PushClipRect(ImVec2(bar.x, bar.y), ImVec2(bar.right() - view_width - 8, bar.bottom()), true);
    draw_status_text(context_.session, frame_ms, fps);
    ImGui::PopClipRect();
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - view_width + ImGui::GetStyle().ItemSpacing.x);
    if (ImGui::Button("View")) ImGui::OpenPopup("view_menu");
    hot_spot(context_.diagnostics, "View");
    tip("Show or hide panels, reset the layout, UI scale.");
    draw_view_popup();
  }
  ImGui::End();
  ImGui::PopStyleVar(2);
}

}  // namespace vae::gui
