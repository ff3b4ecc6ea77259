#include "app/gui/logic/recent_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vae::gui {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("vae-desktop-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(RecentFiles, NewestFirstWithoutDuplicates) {
  RecentFiles recent;
  recent.add(RecentKind::Checkpoint, "/a.ckpt");
  recent.add(RecentKind::Checkpoint, "/b.ckpt");
  recent.add(RecentKind::Checkpoint, "/a.ckpt");
  EXPECT_EQ(recent.list(RecentKind::Checkpoint), (std::vector<std::string>{"/a.ckpt", "/b.ckpt"}));
}

TEST(RecentFiles, KeepsTheLastTenOfEachKind) {
  RecentFiles recent;
  for (int i = 0; i < 15; ++i) recent.add(RecentKind::Checkpoint, "/c" + std::to_string(i) + ".ckpt");
  recent.add(RecentKind::DataSet, "synthetic");
  const auto checkpoints = recent.list(RecentKind::Checkpoint);
  ASSERT_EQ(checkpoints.size(), RecentFiles::kMaxPerKind);
  EXPECT_EQ(checkpoints.front(), "/c14.ckpt");
  EXPECT_EQ(checkpoints.back(), "/c5.ckpt");
  // The data sets have their own ten: checkpoints do not push them out.
  EXPECT_EQ(recent.list(RecentKind::DataSet), std::vector<std::string>{"synthetic"});
}

TEST(RecentFiles, CheckpointPathsBecomeAbsoluteDataSpecsStayAsTyped) {
  RecentFiles recent;
  recent.add(RecentKind::Checkpoint, "runs/../model.ckpt");
  recent.add(RecentKind::DataSet, "idx:data/fashion");
  const std::string expected = (fs::current_path() / "model.ckpt").string();
  EXPECT_EQ(recent.list(RecentKind::Checkpoint).front(), expected);
  EXPECT_EQ(recent.list(RecentKind::DataSet).front(), "idx:data/fashion");
}

TEST(RecentFiles, IgnoresEmptyPathsAndRemoves) {
  RecentFiles recent;
  recent.add(RecentKind::Checkpoint, "");
  EXPECT_TRUE(recent.entries().empty());
  recent.add(RecentKind::Checkpoint, "/x.ckpt");
  recent.add(RecentKind::DataSet, "synthetic");
  recent.remove(RecentKind::Checkpoint, "/x.ckpt");
  EXPECT_TRUE(recent.list(RecentKind::Checkpoint).empty());
  recent.clear(RecentKind::DataSet);
  EXPECT_TRUE(recent.entries().empty());
}

TEST(RecentFiles, SerializeParseRoundTripKeepsOrderAcrossKinds) {
  RecentFiles recent;
  recent.add(RecentKind::DataSet, "images:/pics with spaces");
  recent.add(RecentKind::Checkpoint, "/one.ckpt");
  recent.add(RecentKind::Checkpoint, "/two.ckpt");
  const RecentFiles back = RecentFiles::parse(recent.serialize());
  EXPECT_EQ(back.entries(), recent.entries());
}

TEST(RecentFiles, ParseSkipsDamagedLinesAndEnforcesTheLimit) {
  std::string text = "garbage\nunknown\t/x\ncheckpoint\t\n\tno-kind\ncheckpoint\t/ok.ckpt\r\n";
  for (int i = 0; i < 30; ++i) text += "dataset\tidx:/d" + std::to_string(i) + "\n";
  text += "checkpoint\t/ok.ckpt\n";  // a duplicate further down: the first (newest) wins
  const RecentFiles recent = RecentFiles::parse(text);
  EXPECT_EQ(recent.list(RecentKind::Checkpoint), std::vector<std::string>{"/ok.ckpt"});
  const auto data = recent.list(RecentKind::DataSet);
  ASSERT_EQ(data.size(), RecentFiles::kMaxPerKind);
  EXPECT_EQ(data.front(), "idx:/d0");
  EXPECT_EQ(data.back(), "idx:/d9");
}

TEST(RecentFiles, PathsWithNewlinesAreNotWritten) {
  RecentFiles recent;
  recent.add(RecentKind::DataSet, "images:/a\nb");
  recent.add(RecentKind::DataSet, "synthetic");
  EXPECT_EQ(recent.serialize(), "dataset\tsynthetic\n");
}

TEST(RecentFiles, SavesAtomicallyAndLoadsBack) {
  const fs::path dir = temp_dir("save");
  const std::string file = (dir / "recent-files").string();
  RecentFiles recent;
  recent.add(RecentKind::Checkpoint, "/a.ckpt");
  recent.add(RecentKind::DataSet, "fashion-mnist");
  recent.save(file);
  EXPECT_FALSE(fs::exists(file + ".tmp"));
  EXPECT_EQ(RecentFiles::load(file).entries(), recent.entries());
  fs::remove_all(dir);
}

TEST(RecentFiles, LoadOfMissingOversizedOrFolderGivesAnEmptyList) {
  const fs::path dir = temp_dir("load");
  EXPECT_TRUE(RecentFiles::load((dir / "missing").string()).entries().empty());
  EXPECT_TRUE(RecentFiles::load(dir.string()).entries().empty());
  const fs::path big = dir / "big";
  {
    std::ofstream out(big);
    for (int i = 0; i < 10000; ++i) out << "checkpoint\t/a/very/long/path/number/" << i << ".ckpt\n";
  }
  EXPECT_TRUE(RecentFiles::load(big.string()).entries().empty());
  fs::remove_all(dir);
}

TEST(RecentFiles, SaveIntoAMissingFolderThrowsNamingTheFile) {
  RecentFiles recent;
  recent.add(RecentKind::DataSet, "synthetic");
  try {
    recent.save("/nonexistent-vae-dir/recent-files");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-vae-dir/recent-files"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vae::gui
