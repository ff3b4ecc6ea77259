#include "app/gui/logic/file_browser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vae::gui {
namespace {

namespace fs = std::filesystem;

TEST(GlobMatch, WildcardsAndCase) {
  EXPECT_TRUE(glob_match("*.ckpt", "model.ckpt"));
  EXPECT_TRUE(glob_match("*.ckpt", "MODEL.CKPT"));
  EXPECT_TRUE(glob_match("*.ckpt", ".ckpt"));
  EXPECT_FALSE(glob_match("*.ckpt", "model.ckpt.tmp"));
  EXPECT_TRUE(glob_match("train-images-idx3-ubyte*", "train-images-idx3-ubyte.gz"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(glob_match("*a*b*", "xxbxxaxx"));
  // Many stars against a long non-matching name stay fast (no exponential backtracking).
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(FilterAccepts, AnyPatternOrEverythingWhenEmpty) {
  const FileFilter images{"Images", {"*.png", "*.jpg"}};
  EXPECT_TRUE(filter_accepts(images, "a.JPG"));
  EXPECT_FALSE(filter_accepts(images, "a.gif"));
  EXPECT_TRUE(filter_accepts(FileFilter{"All", {}}, "anything"));
}

class ListDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vae-browser-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "zeta");
    fs::create_directories(dir_ / "Alpha");
    fs::create_directories(dir_ / ".hidden_dir");
    for (const char* name : {"b.ckpt", "A.ckpt", "notes.txt", ".secret.ckpt"}) std::ofstream(dir_ / name) << "12345";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ListDirectory, FoldersFirstThenMatchingFilesByName) {
  const auto listing = list_directory(dir_.string(), FileFilter{"Checkpoints", {"*.ckpt"}});
  ASSERT_TRUE(listing.error.empty()) << listing.error;
  std::vector<std::string> names;
  for (const auto& e : listing.entries) names.push_back(e.name + (e.is_directory ? "/" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"Alpha/", "zeta/", "A.ckpt", "b.ckpt"}));
  EXPECT_EQ(listing.entries[2].size, 5u);
  EXPECT_EQ(listing.directory, dir_.string());
}

TEST_F(ListDirectory, HiddenFoldersOnlyAndLimit) {
  ListingOptions options;
  options.show_hidden = true;
  EXPECT_EQ(list_directory(dir_.string(), FileFilter{"", {"*.ckpt"}}, options).entries.size(), 6u);
  options.folders_only = true;
  EXPECT_EQ(list_directory(dir_.string(), FileFilter{}, options).entries.size(), 3u);
  options.max_entries = 2;
  const auto limited = list_directory(dir_.string(), FileFilter{}, options);
  EXPECT_EQ(limited.entries.size(), 2u);
  EXPECT_TRUE(limited.truncated);
}

TEST_F(ListDirectory, AMissingFolderIsAnErrorNamingIt) {
  const auto listing = list_directory((dir_ / "nope").string(), FileFilter{});
  EXPECT_TRUE(listing.entries.empty());
  EXPECT_NE(listing.error.find((dir_ / "nope").string()), std::string::npos) << listing.error;
}

TEST(Paths, ParentAndTypedPaths) {
  EXPECT_EQ(parent_directory("/a/b"), "/a");
  EXPECT_EQ(parent_directory("/a/b/"), "/a");
  EXPECT_EQ(parent_directory("/a"), "/");
  EXPECT_EQ(parent_directory("/"), "/");
  EXPECT_EQ(resolve_typed_path("/data", "model.ckpt"), "/data/model.ckpt");
  EXPECT_EQ(resolve_typed_path("/data", "../x/m.ckpt"), "/x/m.ckpt");
  EXPECT_EQ(resolve_typed_path("/data", "/abs/m.ckpt"), "/abs/m.ckpt");
  EXPECT_EQ(resolve_typed_path("/data", "sub/"), "/data/sub");
  setenv("HOME", "/home/user", 1);
  EXPECT_EQ(resolve_typed_path("/data", "~/m.ckpt"), "/home/user/m.ckpt");
}

}  // namespace
}  // namespace vae::gui
