#pragma once
// Reading files that may be hostile or unlucky: only regular files (a FIFO would block forever,
// /dev/zero never ends), sizes taken from the file system before anything is read, and never
// more than a stated limit. Torch-free. Errors are DataError naming the file.
#include <cstdint>
#include <string>

namespace vae {

// An open regular file: the descriptor and its size at open time. Closed by the destructor.
class RegularFile {
 public:
  // Throws DataError when `path` is missing, unreadable, or not a regular file (folder, FIFO,
  // device, socket). `what` says what was expected, e.g. "checkpoint" or "IDX file".
  RegularFile(const std::string& path, const char* what);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads up to `count` bytes at `offset`; returns how many were read (short at the end).
  std::size_t read_at(std::uint64_t offset, void* into, std::size_t count) const;
  // The whole file, refusing files larger than `max_bytes` before reading a byte.
  std::string read_all(std::uint64_t max_bytes) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// Shorthand: RegularFile(path, what).read_all(max_bytes).
std::string read_regular_file(const std::string& path, std::uint64_t max_bytes, const char* what);

// "1.5 MB"-style sizes for messages.
std::string describe_bytes(std::uint64_t bytes);

}  // namespace vae
