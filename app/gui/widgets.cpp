#include "app/gui/widgets.h"

#include "app/gui/desktop_shell.h"

#include "app/gui/messages.h"
#include "app/gui/session.h"
#include "core/io/export.h"
#include "core/io/gif.h"
#include "imgui_internal.h"

namespace vae::gui {

void tip(const char* text) {
  if (tooltip_due()) ImGui::SetTooltip("%s", text);  // after a short rest, not at once
}

void Toolbar::next(float width) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  const float after = ImGui::GetItemRectMax().x + style.ItemSpacing.x;
  if (after + width <= right + 0.5f) ImGui::SameLine();
}

float Toolbar::button(const char* label) {
  return ImGui::CalcTextSize(label, nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x;
}

float Toolbar::checkbox(const char* label) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float text = ImGui::CalcTextSize(label, nullptr, true).x;
  return ImGui::GetFrameHeight() + (text > 0 ? style.ItemInnerSpacing.x + text : 0);
}

float Toolbar::labelled(float item_width, const char* label) {
  const float text = ImGui::CalcTextSize(label, nullptr, true).x;
  return item_width + (text > 0 ? ImGui::GetStyle().ItemInnerSpacing.x + text : 0);
}

void export_png(Session& session, MessageLog& messages, const Image& picture, const std::string& file_name) {
  if (picture.pixels.empty()) {
    messages.report("Nothing to export yet", true);
    return;
  }
  const std::string path = session.export_path(file_name);
  try {
    write_png(picture, path);
    messages.report("Wrote " + path + " (" + std::to_string(picture.width) + "x" + std::to_string(picture.height) + ")",
                    false);
  } catch (const std::exception& e) {
    messages.report(e.what(), true);
  }
}

void export_gif(Session& session, MessageLog& messages, const std::vector<Image>& frames, const std::string& file_name,
                int delay_cs) {
  if (frames.empty()) {
    messages.report("Nothing to export yet", true);
    return;
  }
  const std::string path = session.export_path(file_name);
  try {
    write_gif(frames, path, delay_cs);
    messages.report("Wrote " + path + " (" + std::to_string(frames.size()) + " frames of " +
                        std::to_string(frames.front().width) + "x" + std::to_string(frames.front().height) + ")",
                    false);
  } catch (const std::exception& e) {
    messages.report(e.what(), true);
  }
}

void centred_note(ImDrawList* list, ImVec2 p0, ImVec2 p1, const char* text) {
  const ImVec2 ts = ImGui::CalcTextSize(text);
  list->AddText(ImVec2((p0.x + p1.x - ts.x) / 2, (p0.y + p1.y - ts.y) / 2), IM_COL32(210, 210, 210, 230), text);
}

}  // namespace vae::gui
