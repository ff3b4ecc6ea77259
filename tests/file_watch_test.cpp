// FileFollower / ChangeDetector: the change detection behind `vae-explorer --follow`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/io/file_watch.h"

namespace fs = std::filesystem;
using vae::ChangeDetector;
using vae::FileFollower;
using vae::FileStamp;

namespace {

FileStamp version(std::uint64_t inode, std::int64_t size, std::int64_t mtime_ns = 1000) {
  FileStamp s;
  s.exists = true;
  s.device = 1;
  s.inode = inode;
  s.size = size;
  s.mtime_ns = mtime_ns;
  return s;
}

// Writes `text` to `path` the way our checkpoints are written: a temporary file, then a rename.
void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  std::ofstream(temporary, std::ios::binary) << text;
  fs::rename(temporary, path);
}

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/vae-follow-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(ChangeDetector, ReportsANewVersionOnceItHasSettled) {
  ChangeDetector detector(0.3);
  const auto a = version(10, 100);
  EXPECT_FALSE(detector.ready(a, 0.0));  // just seen: not settled yet
  EXPECT_FALSE(detector.ready(a, 0.2));
  EXPECT_TRUE(detector.ready(a, 0.31));
  detector.handled(a);
  EXPECT_FALSE(detector.ready(a, 0.5));  // loaded: never again while unchanged
  EXPECT_FALSE(detector.ready(a, 100.0));
}

TEST(ChangeDetector, AFileStillGrowingIsNotReported) {
  ChangeDetector detector(0.3);
  // An in-place writer: the size keeps changing every 0.2 s, so the version never settles.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(detector.ready(version(10, 100 + i), 0.2 * i)) << i;
  EXPECT_FALSE(detector.ready(version(10, 109), 2.0));
  EXPECT_TRUE(detector.ready(version(10, 109), 2.2));
}

TEST(ChangeDetector, ARenameIsANewVersionEvenWithTheSameSizeAndTime) {
  ChangeDetector detector(0.0);
  const auto a = version(10, 100, 5);
  ASSERT_TRUE(detector.ready(a, 0));
  detector.handled(a);
  EXPECT_TRUE(detector.ready(version(11, 100, 5), 1));  // another inode
  EXPECT_TRUE(detector.ready(version(10, 100, 6), 2));  // the same inode touched
}

TEST(ChangeDetector, AMissingFileIsNothingToLoadAndItsReturnIsNew) {
  ChangeDetector detector(0.0);
  EXPECT_FALSE(detector.ready(FileStamp{}, 0));
  const auto a = version(10, 100);
  detector.handled(a);
  EXPECT_FALSE(detector.ready(FileStamp{}, 1));  // deleted between two epochs' writes
  EXPECT_FALSE(detector.ready(a, 2));            // back as it was: nothing new
  EXPECT_TRUE(detector.ready(version(12, 100), 3));
}

TEST(ChangeDetector, AFailedLoadIsNotRetriedUntilTheFileChanges) {
  ChangeDetector detector(0.0);
  const auto broken = version(10, 7);
  ASSERT_TRUE(detector.ready(broken, 0));
  detector.handled(broken);  // the load failed (say, a truncated file from a foreign writer)
  EXPECT_FALSE(detector.ready(broken, 5));
  EXPECT_TRUE(detector.ready(version(11, 5000), 6));
}

TEST(FileStamp, SeesAtomicRewritesAndIgnoresNonRegularFiles) {
  TempDir dir;
  const fs::path file = dir.path / "run.ckpt";
  EXPECT_FALSE(vae::stamp_file(file.string()).exists);
  write_atomically(file, "first version");
  const auto first = vae::stamp_file(file.string());
  ASSERT_TRUE(first.exists);
  EXPECT_EQ(first.size, 13);
  EXPECT_EQ(vae::stamp_file(file.string()), first);
  write_atomically(file, "other version");  // same size, maybe the same mtime tick
  EXPECT_NE(vae::stamp_file(file.string()), first);

  EXPECT_FALSE(vae::stamp_file(dir.path.string()).exists);  // a directory
  const fs::path fifo = dir.path / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(vae::stamp_file(fifo.string()).exists);
}

TEST(FileFollower, PicksUpARewrittenFileAndStatsAtMostEveryPollInterval) {
  TempDir dir;
  const fs::path file = dir.path / "run.ckpt";
  FileFollower follower(file.string(), 0.25, 0.0);
  EXPECT_FALSE(follower.poll(0.0));  // not there yet
  write_atomically(file, "epoch 1");
  EXPECT_FALSE(follower.poll(0.1));  // within the poll interval: not even looked at
  ASSERT_TRUE(follower.poll(0.3));
  follower.handled(follower.pending());
  EXPECT_FALSE(follower.poll(0.6));
  write_atomically(file, "epoch 2, longer");
  ASSERT_TRUE(follower.poll(0.9));
  EXPECT_EQ(follower.pending().size, 15);
}
