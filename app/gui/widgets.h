#pragma once
// Small ImGui helpers shared by the panels: tooltips, toolbars that wrap instead of running off
// the edge, PNG export of a picture.
#include <string>
#include <vector>

#include "core/image.h"
#include "imgui.h"

namespace vae::gui {

class MessageLog;
class Session;

// Tooltip for the last item (also when it is disabled).
void tip(const char* text);

// Lays out a row of controls that wraps onto the next line when the next one would not fit.
// Call next(width) before every control but the first, with the control's full width.
class Toolbar {
 public:
  void next(float width);
  // Widths of common controls, label included.
  static float button(const char* label);
  static float checkbox(const char* label);
  static float labelled(float item_width, const char* label);  // a framed item with its label
};

// Writes `picture` as PNG under the export folder and reports the outcome.
void export_png(Session& session, MessageLog& messages, const Image& picture, const std::string& file_name);
// Writes `frames` as a looping animated GIF under the export folder and reports the outcome.
void export_gif(Session& session, MessageLog& messages, const std::vector<Image>& frames, const std::string& file_name,
                int delay_cs = 25);

// Centred grey text in the given rectangle (empty states: "no model yet").
void centred_note(ImDrawList* list, ImVec2 p0, ImVec2 p1, const char* text);

}  // namespace vae::gui
