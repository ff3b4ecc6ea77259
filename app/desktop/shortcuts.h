#pragma once
// The window's commands and their keyboard shortcuts: one table that the key handler, the menus
// (shown next to each entry) and Help > Keyboard shortcuts all read, so they cannot disagree.
// Pure logic: keys are our own codes, mapped from GLFW in the window code.
#include <optional>
#include <string>
#include <vector>

namespace vae::desktop {

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

// Keys that shortcuts use, with GLFW's key codes (letters are upper-case ASCII, Space is ' '), so
// the window passes GLFW's codes straight through; this header needs no GLFW.
enum class Key : int {
  None = 0,
  Space = ' ',
  A = 'A',
  B,
  C,
  D,
  E,
  F,
  G,
  H,
  I,
  J,
  K,
  L,
  M,
  N,
  O,
  P,
  Q,
  R,
  S,
  T,
  U,
  V,
  W,
  X,
  Y,
  Z,
  Escape = 256,
  F1 = 290,
  F2,
  F3,
  F4,
  F5,
  F6,
  F7,
  F8,
  F9,
  F10,
  F11,
  F12,
};

struct Chord {
  Key key = Key::None;
  bool ctrl = false;
  bool shift = false;
  bool alt = false;
  bool operator==(const Chord& o) const { return key == o.key && ctrl == o.ctrl && shift == o.shift && alt == o.alt; }
};

struct Shortcut {
  Command command;
  Chord chord;
  const char* action;  // what it does, as Help > Keyboard shortcuts lists it
};

// Every shortcut of the window, in the order Help lists them.
const std::vector<Shortcut>& shortcut_table();

// "Ctrl+Shift+S", "Space", "F1".
std::string chord_label(const Chord& chord);
// The label of `command`'s shortcut, or "" when it has none (for menu entries).
std::string shortcut_label(Command command);

// What the UI is doing when a key arrives.
struct KeyContext {
  bool typing = false;      // a text field has the keyboard: plain keys are text, not commands
  bool navigating = false;  // keyboard navigation highlights a widget: Space activates it
};

// The command `chord` triggers, if any. Plain keys (no Ctrl/Alt) do nothing while typing or
// navigating, so Space types a space or presses the highlighted button instead of pausing.
std::optional<Command> match_shortcut(const Chord& chord, const KeyContext& context);

}  // namespace vae::desktop
