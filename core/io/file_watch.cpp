#include "core/io/file_watch.h"

#include <sys/stat.h>

namespace vae {

bool FileStamp::operator==(const FileStamp& other) const {
  if (exists != other.exists) return false;
  if (!exists) return true;
  return device == other.device && inode == other.inode && size == other.size && mtime_ns == other.mtime_ns;
}

FileStamp stamp_file(const std::string& path) {
  FileStamp stamp;
  struct stat info {};
  // Only regular files count: a FIFO or device at the path is never "a new version".
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return stamp;
  stamp.exists = true;
  stamp.device = static_cast<std::uint64_t>(info.st_dev);
  stamp.inode = static_cast<std::uint64_t>(info.st_ino);
  stamp.size = static_cast<std::int64_t>(info.st_size);
  stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  return stamp;
}

bool ChangeDetector::ready(const FileStamp& now, double time_seconds) {
  if (!now.exists || now == handled_) {
    candidate_ = FileStamp{};
    return false;
  }
  if (now != candidate_) {
    // Something new, or still changing: start the settle time from here.
    candidate_ = now;
    candidate_since_ = time_seconds;
  }
  return time_seconds - candidate_since_ >= settle_seconds_;
}

bool FileFollower::poll(double now_seconds) {
  if (now_seconds - last_poll_ < poll_seconds_) return false;
  last_poll_ = now_seconds;
  pending_ = stamp_file(path_);
  return detector_.ready(pending_, now_seconds);
}

}  // namespace vae
