#pragma once
// Follows a file that another process keeps rewriting (a checkpoint of a run training elsewhere):
// notices a new version with one stat() every poll interval, never by reading it, and reports it
// once it has stayed unchanged for a moment. Our writers replace files by an atomic rename, so a
// reader opens either the old or the new complete file; the settle time also covers writers that
// rewrite in place. Torch-free; the decision logic takes times as numbers so tests can drive it.
#include <cstdint>
#include <string>

namespace vae {

// What stat() says about one version of a file. A rename makes a new inode even when the size and
// the modification time (coarse on some file systems) happen to repeat.
struct FileStamp {
  bool exists = false;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = -1;
  std::int64_t mtime_ns = 0;

  bool operator==(const FileStamp& other) const;
  bool operator!=(const FileStamp& other) const { return !(*this == other); }
};

// Never throws: a missing or unreadable path gives exists == false.
FileStamp stamp_file(const std::string& path);

// Decides when a version is new and settled. Feed it stamps with the time they were taken.
class ChangeDetector {
 public:
  explicit ChangeDetector(double settle_seconds = 0.3) : settle_seconds_(settle_seconds) {}

  // True when `now` is a version not handled yet that has looked the same for settle_seconds.
  bool ready(const FileStamp& now, double time_seconds);
  // The version that was loaded (or failed to load): not reported again until the file changes.
  void handled(const FileStamp& stamp) { handled_ = stamp; }
  const FileStamp& last_handled() const { return handled_; }

 private:
  double settle_seconds_;
  FileStamp handled_;
  FileStamp candidate_;
  double candidate_since_ = 0;
};

// A ChangeDetector on one path, stat()ing it at most every poll_seconds: cheap enough to call
// every frame.
class FileFollower {
 public:
  explicit FileFollower(std::string path, double poll_seconds = 0.25, double settle_seconds = 0.3)
      : path_(std::move(path)), poll_seconds_(poll_seconds), detector_(settle_seconds) {}

  // True when a new settled version is there; take it with pending() and pass that to handled()
  // before loading, so a rewrite during the load is noticed as the next version.
  bool poll(double now_seconds);
  const FileStamp& pending() const { return pending_; }
  void handled(const FileStamp& stamp) { detector_.handled(stamp); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  double poll_seconds_;
  ChangeDetector detector_;
  FileStamp pending_;
  double last_poll_ = -1e300;
};

}  // namespace vae
