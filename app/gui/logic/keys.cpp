#include "app/gui/logic/keys.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace vae::gui {

namespace {
constexpr int kRelevantMods = kModShift | kModControl | kModAlt;
}

Shortcut parse_shortcut(const std::string& text) {
  Shortcut s;
  if (text.empty()) return s;
  std::size_t start = 0;
  while (true) {
    const std::size_t plus = text.find('+', start);
    std::string part = text.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    std::string lower = part;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (plus == std::string::npos) {
      // The key itself.
      if (lower.size() == 1 && std::isalnum(static_cast<unsigned char>(lower[0]))) {
        s.key = std::toupper(static_cast<unsigned char>(lower[0]));
      } else if (lower.size() >= 2 && lower.size() <= 3 && lower[0] == 'f' &&
                 std::all_of(lower.begin() + 1, lower.end(), [](unsigned char c) { return std::isdigit(c); })) {
        const int n = std::stoi(lower.substr(1));
        if (n < 1 || n > 12) throw std::invalid_argument("shortcut '" + text + "': function keys are F1..F12");
        s.key = kKeyF1 + n - 1;
      } else {
        throw std::invalid_argument("shortcut '" + text + "': unknown key '" + part + "'");
      }
      break;
    }
    if (lower == "ctrl") {
      s.mods |= kModControl;
    } else if (lower == "shift") {
      s.mods |= kModShift;
    } else if (lower == "alt") {
      s.mods |= kModAlt;
    } else {
      throw std::invalid_argument("shortcut '" + text + "': unknown modifier '" + part + "'");
    }
    start = plus + 1;
  }
  return s;
}

std::string to_string(const Shortcut& s) {
  if (s.empty()) return {};
  std::string out;
  if (s.mods & kModControl) out += "Ctrl+";
  if (s.mods & kModShift) out += "Shift+";
  if (s.mods & kModAlt) out += "Alt+";
  if (s.key >= kKeyF1 && s.key < kKeyF1 + 12) return out + "F" + std::to_string(s.key - kKeyF1 + 1);
  return out + char(s.key);
}

void KeyQueue::press(int key, int mods) { presses_.push_back(Shortcut{key, mods & kRelevantMods}); }

bool KeyQueue::take(const Shortcut& shortcut) {
  if (shortcut.empty()) return false;
  const auto it = std::find(presses_.begin(), presses_.end(), shortcut);
  if (it == presses_.end()) return false;
  presses_.erase(it);
  return true;
}

}  // namespace vae::gui
