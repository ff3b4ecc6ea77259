#include "app/desktop/shortcuts.h"

namespace vae::desktop {

const std::vector<Shortcut>& shortcut_table() {
  static const std::vector<Shortcut> table = {
      {Command::OpenCheckpoint, {Key::O, true, false, false}, "Open a checkpoint"},
      {Command::Save, {Key::S, true, false, false}, "Save the checkpoint (to the file it came from)"},
      {Command::SaveAs, {Key::S, true, true, false}, "Save the checkpoint as a new file"},
      {Command::PauseResume, {Key::Space, false, false, false}, "Pause or resume training"},
      {Command::Export, {Key::E, true, false, false}, "Export the panels' images as PNG"},
      {Command::Help, {Key::F1, false, false, false}, "Show the keyboard shortcuts"},
      {Command::Quit, {Key::Q, true, false, false}, "Quit (training stops, nothing is left half-written)"},
  };
  return table;
}

std::string chord_label(const Chord& chord) {
  std::string label;
  if (chord.ctrl) label += "Ctrl+";
  if (chord.shift) label += "Shift+";
  if (chord.alt) label += "Alt+";
  const int code = static_cast<int>(chord.key);
  if (chord.key == Key::Space) {
    label += "Space";
  } else if (chord.key == Key::Escape) {
    label += "Esc";
  } else if (code >= 'A' && code <= 'Z') {
    label += static_cast<char>(code);
  } else if (code >= static_cast<int>(Key::F1) && code <= static_cast<int>(Key::F12)) {
    label += "F" + std::to_string(code - static_cast<int>(Key::F1) + 1);
  } else {
    label += "?";
  }
  return label;
}

std::string shortcut_label(Command command) {
  for (const auto& s : shortcut_table()) {
    if (s.command == command) return chord_label(s.chord);
  }
  return {};
}

std::optional<Command> match_shortcut(const Chord& chord, const KeyContext& context) {
  const bool plain = !chord.ctrl && !chord.alt;
  const bool function_key = static_cast<int>(chord.key) >= static_cast<int>(Key::F1) &&
                            static_cast<int>(chord.key) <= static_cast<int>(Key::F12);
  // Function keys never produce text, so F1 works while typing; other plain keys belong to the
  // field or the highlighted widget.
  if (plain && !function_key && (context.typing || context.navigating)) return std::nullopt;
  for (const auto& s : shortcut_table()) {
    if (s.chord == chord) return s.command;
  }
  return std::nullopt;
}

}  // namespace vae::desktop
