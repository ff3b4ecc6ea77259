#include "app/gui/logic/keys.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace vae::gui {
namespace {

TEST(Shortcut, ParsesModifiersAndKeys) {
  const Shortcut s = parse_shortcut("Ctrl+Shift+s");
  EXPECT_EQ(s.key, 'S');
  EXPECT_EQ(s.mods, kModControl | kModShift);
  EXPECT_EQ(parse_shortcut("ctrl+3").key, '3');
  EXPECT_EQ(parse_shortcut("F5").key, kKeyF1 + 4);
  EXPECT_EQ(parse_shortcut("Alt+F12").mods, kModAlt);
  EXPECT_TRUE(parse_shortcut("").empty());
}

TEST(Shortcut, RoundTripsThroughText) {
  for (const char* text : {"Ctrl+S", "Ctrl+Shift+1", "Alt+F2", "F11", "Q"})
    EXPECT_EQ(to_string(parse_shortcut(text)), text);
}

TEST(Shortcut, RejectsWhatItDoesNotKnow) {
  EXPECT_THROW(parse_shortcut("Ctrl+"), std::invalid_argument);
  EXPECT_THROW(parse_shortcut("Hyper+S"), std::invalid_argument);
  EXPECT_THROW(parse_shortcut("Ctrl+Enter"), std::invalid_argument);
  EXPECT_THROW(parse_shortcut("F13"), std::invalid_argument);
}

TEST(KeyQueue, TakesMatchingPressesOnce) {
  KeyQueue keys;
  keys.press('S', kModControl | 0x0010);  // caps lock and the like are ignored
  keys.press('1', kModControl);
  EXPECT_FALSE(keys.take(parse_shortcut("S")));  // modifiers must match exactly
  EXPECT_TRUE(keys.take(parse_shortcut("Ctrl+S")));
  EXPECT_FALSE(keys.take(parse_shortcut("Ctrl+S")));  // consumed
  EXPECT_FALSE(keys.take(Shortcut{}));                // an empty shortcut matches nothing
  EXPECT_FALSE(keys.empty());
  keys.clear();
  EXPECT_FALSE(keys.take(parse_shortcut("Ctrl+1")));
}

}  // namespace
}  // namespace vae::gui
