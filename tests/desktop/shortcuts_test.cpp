#include "app/desktop/shortcuts.h"

#include <gtest/gtest.h>

#include <set>

namespace vae::desktop {
namespace {

Chord ctrl(Key key, bool shift = false) { return Chord{key, true, shift, false}; }
Chord plain(Key key) { return Chord{key, false, false, false}; }

TEST(Shortcuts, TheIssuesShortcutsAreAllThere) {
  EXPECT_EQ(match_shortcut(ctrl(Key::O), {}), Command::OpenCheckpoint);
  EXPECT_EQ(match_shortcut(ctrl(Key::S), {}), Command::Save);
  EXPECT_EQ(match_shortcut(ctrl(Key::S, true), {}), Command::SaveAs);
  EXPECT_EQ(match_shortcut(plain(Key::Space), {}), Command::PauseResume);
  EXPECT_EQ(match_shortcut(ctrl(Key::E), {}), Command::Export);
  EXPECT_EQ(match_shortcut(plain(Key::F1), {}), Command::Help);
  EXPECT_EQ(match_shortcut(ctrl(Key::Q), {}), Command::Quit);
}

TEST(Shortcuts, UnboundChordsDoNothing) {
  EXPECT_FALSE(match_shortcut(plain(Key::S), {}));
  EXPECT_FALSE(match_shortcut(ctrl(Key::Space), {}));
  EXPECT_FALSE(match_shortcut(Chord{Key::S, true, false, true}, {}));
  EXPECT_FALSE(match_shortcut(ctrl(Key::Q, true), {}));
}

TEST(Shortcuts, SpaceBelongsToTextFieldsAndHighlightedWidgets) {
  EXPECT_FALSE(match_shortcut(plain(Key::Space), KeyContext{true, false}));
  EXPECT_FALSE(match_shortcut(plain(Key::Space), KeyContext{false, true}));
  // Ctrl chords and function keys still work while typing.
  EXPECT_EQ(match_shortcut(ctrl(Key::S), KeyContext{true, false}), Command::Save);
  EXPECT_EQ(match_shortcut(plain(Key::F1), KeyContext{true, true}), Command::Help);
}

TEST(Shortcuts, NoTwoCommandsShareAChordAndEachCommandHasOne) {
  std::set<std::string> labels;
  std::set<Command> commands;
  for (const auto& s : shortcut_table()) {
    EXPECT_TRUE(labels.insert(chord_label(s.chord)).second) << chord_label(s.chord);
    EXPECT_TRUE(commands.insert(s.command).second);
    EXPECT_NE(std::string(s.action), "");
  }
}

TEST(Shortcuts, Labels) {
  EXPECT_EQ(chord_label(ctrl(Key::S, true)), "Ctrl+Shift+S");
  EXPECT_EQ(chord_label(plain(Key::Space)), "Space");
  EXPECT_EQ(chord_label(plain(Key::F1)), "F1");
  EXPECT_EQ(chord_label(plain(Key::F12)), "F12");
  EXPECT_EQ(chord_label(Chord{Key::E, false, false, true}), "Alt+E");
  EXPECT_EQ(shortcut_label(Command::Quit), "Ctrl+Q");
  EXPECT_EQ(shortcut_label(Command::OpenDataSet), "");  // in the menu, without a shortcut
}

}  // namespace
}  // namespace vae::desktop
