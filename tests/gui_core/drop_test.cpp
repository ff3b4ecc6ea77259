#include "app/gui/logic/drop.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace vae::gui {
namespace {

namespace fs = std::filesystem;

class DropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vae-drop-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string touch(const std::string& relative) {
    const fs::path p = dir_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
    return p.string();
  }
  fs::path dir_;
};

TEST_F(DropTest, FolderWithIdxFilesIsAnIdxDataSet) {
  touch("mnist/train-images-idx3-ubyte.gz");
  const auto a = classify_drop((dir_ / "mnist").string());
  EXPECT_EQ(a.kind, DropAction::Kind::Data);
  EXPECT_EQ(a.target, "idx:" + (dir_ / "mnist").string());
}

TEST_F(DropTest, OtherFolderIsAnImageFolder) {
  touch("pics/cats/1.png");
  const auto a = classify_drop((dir_ / "pics").string());
  EXPECT_EQ(a.kind, DropAction::Kind::Data);
  EXPECT_EQ(a.target, "images:" + (dir_ / "pics").string());
}

TEST_F(DropTest, IdxFileMeansItsFolder) {
  const auto file = touch("set/t10k-images-idx3-ubyte");
  const auto a = classify_drop(file);
  EXPECT_EQ(a.kind, DropAction::Kind::Data);
  EXPECT_EQ(a.target, "idx:" + (dir_ / "set").string());
}

TEST_F(DropTest, ImageFileMeansItsFolderWhateverTheCase) {
  const auto file = touch("imgs/a/B.JPEG");
  const auto a = classify_drop(file);
  EXPECT_EQ(a.kind, DropAction::Kind::Data);
  EXPECT_EQ(a.target, "images:" + (dir_ / "imgs" / "a").string());
}

TEST_F(DropTest, AnythingElseIsTakenForACheckpoint) {
  const auto file = touch("model.ckpt");
  EXPECT_EQ(classify_drop(file).kind, DropAction::Kind::Checkpoint);
  EXPECT_EQ(classify_drop(touch("notes.txt")).kind, DropAction::Kind::Checkpoint);
}

TEST_F(DropTest, MissingPathIsReported) {
  const auto a = classify_drop((dir_ / "nope.ckpt").string());
  EXPECT_EQ(a.kind, DropAction::Kind::Missing);
}

TEST_F(DropTest, FolderOfTestFilesOnlyIsAnIdxDataSet) {
  touch("digits/t10k-images-idx3-ubyte");
  EXPECT_EQ(classify_drop((dir_ / "digits").string()).target, "idx:" + (dir_ / "digits").string());
}

TEST_F(DropTest, ScoringASingleIdxFileScoresThatFile) {
  const auto file = touch("digits/t10k-images-idx3-ubyte");
  EXPECT_EQ(scoring_spec_for_path(file), "idx:" + file);
  EXPECT_EQ(scoring_spec_for_path((dir_ / "digits").string()), "idx:" + (dir_ / "digits").string());
  touch("pics/a/1.png");
  EXPECT_EQ(scoring_spec_for_path((dir_ / "pics").string()), "images:" + (dir_ / "pics").string());
  EXPECT_EQ(scoring_spec_for_path((dir_ / "pics/a/1.png").string()), "images:" + (dir_ / "pics/a").string());
  // Not a path: a spec, passed on as it is.
  EXPECT_EQ(scoring_spec_for_path("synthetic"), "synthetic");
}

}  // namespace
}  // namespace vae::gui
