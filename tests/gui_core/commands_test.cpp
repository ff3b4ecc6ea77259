#include "app/gui/logic/commands.h"

#include <gtest/gtest.h>

#include <set>

namespace vae::gui {
namespace {

Shortcut keys(const char* text) { return parse_shortcut(text); }

TEST(Commands, TheIssuesShortcutsAreAllThere) {
  EXPECT_EQ(match_command(keys("Ctrl+O"), {}), Command::OpenCheckpoint);
  EXPECT_EQ(match_command(keys("Ctrl+S"), {}), Command::Save);
  EXPECT_EQ(match_command(keys("Ctrl+Shift+S"), {}), Command::SaveAs);
  EXPECT_EQ(match_command(keys("Space"), {}), Command::PauseResume);
  EXPECT_EQ(match_command(keys("Ctrl+E"), {}), Command::Export);
  EXPECT_EQ(match_command(keys("F1"), {}), Command::Help);
  EXPECT_EQ(match_command(keys("Ctrl+Q"), {}), Command::Quit);
}

TEST(Commands, UnboundChordsDoNothing) {
  EXPECT_FALSE(match_command(keys("S"), {}));
  EXPECT_FALSE(match_command(keys("Ctrl+Space"), {}));
  EXPECT_FALSE(match_command(keys("Ctrl+Alt+S"), {}));
  EXPECT_FALSE(match_command(keys("Ctrl+Shift+Q"), {}));
}

TEST(Commands, SpaceBelongsToTextFieldsAndHighlightedWidgets) {
  EXPECT_FALSE(match_command(keys("Space"), KeyContext{true, false}));
  EXPECT_FALSE(match_command(keys("Space"), KeyContext{false, true}));
  // Ctrl chords and function keys still work while typing.
  EXPECT_EQ(match_command(keys("Ctrl+S"), KeyContext{true, false}), Command::Save);
  EXPECT_EQ(match_command(keys("F1"), KeyContext{true, true}), Command::Help);
}

TEST(Commands, NoTwoCommandsShareAShortcutAndEachHasOne) {
  std::set<std::string> labels;
  std::set<Command> commands;
  for (const auto& s : command_shortcuts()) {
    EXPECT_FALSE(s.keys.empty());
    EXPECT_TRUE(labels.insert(to_string(s.keys)).second) << to_string(s.keys);
    EXPECT_TRUE(commands.insert(s.command).second);
    EXPECT_NE(std::string(s.action), "");
  }
}

TEST(Commands, Labels) {
  EXPECT_EQ(shortcut_label(Command::Quit), "Ctrl+Q");
  EXPECT_EQ(shortcut_label(Command::SaveAs), "Ctrl+Shift+S");
  EXPECT_EQ(shortcut_label(Command::PauseResume), "Space");
  EXPECT_EQ(shortcut_label(Command::OpenDataSet), "");  // in the menu, without a shortcut
}

}  // namespace
}  // namespace vae::gui
