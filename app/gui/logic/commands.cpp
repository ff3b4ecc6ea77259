#include "app/gui/logic/commands.h"

namespace vae::gui {

const std::vector<CommandShortcut>& command_shortcuts() {
  static const std::vector<CommandShortcut> table = {
      {Command::OpenCheckpoint, parse_shortcut("Ctrl+O"), "Open a checkpoint"},
      {Command::Save, parse_shortcut("Ctrl+S"), "Save the checkpoint (to the file it came from)"},
      {Command::SaveAs, parse_shortcut("Ctrl+Shift+S"), "Save the checkpoint as a new file"},
      {Command::PauseResume, parse_shortcut("Space"), "Pause or resume training"},
      {Command::Export, parse_shortcut("Ctrl+E"), "Export the panels' pictures as PNG"},
      {Command::Help, parse_shortcut("F1"), "Show the keyboard shortcuts"},
      {Command::Quit, parse_shortcut("Ctrl+Q"), "Quit (training stops, nothing is left half-written)"},
  };
  return table;
}

std::string shortcut_label(Command command) {
  for (const auto& s : command_shortcuts()) {
    if (s.command == command) return to_string(s.keys);
  }
  return {};
}

std::optional<Command> match_command(const Shortcut& pressed, const KeyContext& context) {
  const bool plain = (pressed.mods & (kModControl | kModAlt)) == 0;
  const bool function_key = pressed.key >= kKeyF1 && pressed.key < kKeyF1 + 12;
  if (plain && !function_key && (context.typing || context.navigating)) return std::nullopt;
  for (const auto& s : command_shortcuts()) {
    if (s.keys == pressed) return s.command;
  }
  return std::nullopt;
}

}  // namespace vae::gui
