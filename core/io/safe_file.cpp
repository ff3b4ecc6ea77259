#include "core/io/safe_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/errors.h"

namespace vae {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::string describe_bytes(std::uint64_t bytes) {
  char text[32];
  if (bytes < 10000)
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (bytes < 10000000)
    std::snprintf(text, sizeof text, "%.1f KB", bytes / 1e3);
  else if (bytes < 10000000000ull)
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  else
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

RegularFile::RegularFile(const std::string& path, const char* what) : path_(path) {
  // stat first, so that a device is never opened (opening some has side effects) ...
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) throw DataError(path + ": cannot open: no such file");
    throw DataError(path + ": cannot read (" + std::strerror(error) + ")");
  }
  if (!S_ISREG(info.st_mode))
    throw DataError(path + ": is " + kind_of(info.st_mode) + ", not a " + what + " (only regular files are read)");
  // ... and O_NONBLOCK, so that a FIFO swapped in after the stat cannot block the open; fstat
  // then checks what was really opened.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd_ < 0) {
    const int error = errno;
    throw DataError(path + ": cannot open for reading (" + std::strerror(error) + ")");
  }
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw DataError(path + ": is not a regular file, not a " + what);
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t RegularFile::read_at(std::uint64_t offset, void* into, std::size_t count) const {
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd_, static_cast<char*>(into) + done, count - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw DataError(path_ + ": read failed (" + std::strerror(error) + ")");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

std::string RegularFile::read_all(std::uint64_t max_bytes) const {
  if (size_ > max_bytes)
    throw DataError(path_ + ": is " + describe_bytes(size_) + ", more than the " + describe_bytes(max_bytes) +
                    " this kind of file can be");
  std::string bytes(static_cast<std::size_t>(size_), '\0');
  const std::size_t got = read_at(0, bytes.data(), bytes.size());
  // The file shrank while being read: keep what is there; the parser reports it as truncated.
  bytes.resize(got);
  return bytes;
}

std::string read_regular_file(const std::string& path, std::uint64_t max_bytes, const char* what) {
  return RegularFile(path, what).read_all(max_bytes);
}

}  // namespace vae
