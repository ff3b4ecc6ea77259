#pragma once
// Keyboard shortcuts ("Ctrl+S", "Ctrl+Shift+3", "F1") and the queue of key presses they are
// matched against. Dear ImGui 1.86 has no input queue, so a press and release within one frame
// would be missed by polling: the GLFW key callback records presses here instead, and the frame
// consumes them. Key codes and modifier bits are GLFW's (the window checks they agree).
#include <cstdint>
#include <string>
#include <vector>

namespace vae::gui {

// GLFW's values, repeated here so this library needs no GLFW header.
constexpr int kModShift = 0x0001;
constexpr int kModControl = 0x0002;
constexpr int kModAlt = 0x0004;
constexpr int kKeyF1 = 290;  // F1..F12 are consecutive

struct Shortcut {
  int key = 0;  // GLFW key code: 'A'..'Z', '0'..'9', kKeyF1 + n; 0 = none
  int mods = 0;
  bool empty() const { return key == 0; }
  bool operator==(const Shortcut& o) const { return key == o.key && mods == o.mods; }
};

// Parses "Ctrl+Shift+S"; empty text gives an empty shortcut. Throws std::invalid_argument naming
// the text for anything else.
Shortcut parse_shortcut(const std::string& text);
std::string to_string(const Shortcut& shortcut);  // "Ctrl+Shift+S"

class KeyQueue {
 public:
  void press(int key, int mods);
  // True (once) when a press matching `shortcut` is queued; that press is removed.
  bool take(const Shortcut& shortcut);
  // Drops what no one took, at the end of a frame.
  void clear() { presses_.clear(); }
  bool empty() const { return presses_.empty(); }

 private:
  std::vector<Shortcut> presses_;
};

}  // namespace vae::gui
