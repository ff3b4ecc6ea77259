#pragma once
// The window's commands and their keyboard shortcuts: one table that the key handler, the menus
// (shown next to each entry) and Help > Keyboard shortcuts all read, so they cannot disagree.
// Panel shortcuts (show and focus a panel) come from the panel registry instead.
#include <optional>
#include <string>
#include <vector>

#include "app/gui/logic/keys.h"

namespace vae::gui {

enum class Command {
  OpenCheckpoint,
  OpenDataSet,
  Save,
  SaveAs,
  Export,
  PauseResume,
  Help,
  Quit,
};

struct CommandShortcut {
  Command command;
  Shortcut keys;
  const char* action;  // what it does, as Help > Keyboard shortcuts lists it
};

// Every command shortcut of the window, in the order Help lists them.
const std::vector<CommandShortcut>& command_shortcuts();

// The label of `command`'s shortcut ("Ctrl+Shift+S"), or "" when it has none (for menu entries).
std::string shortcut_label(Command command);

// What the UI is doing when a key arrives.
struct KeyContext {
  bool typing = false;      // a text field has the keyboard: plain keys are text, not commands
  bool navigating = false;  // keyboard navigation highlights a widget: Space activates it
};

// The command `pressed` triggers, if any. Plain keys (no Ctrl/Alt) do nothing while typing or
// navigating, so Space types a space or presses the highlighted button instead of pausing;
// function keys never type, so F1 always works.
std::optional<Command> match_command(const Shortcut& pressed, const KeyContext& context);

}  // namespace vae::gui
