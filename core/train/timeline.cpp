// The timeline store. Spill file layout (little-endian, fixed-size records so that a record
// dropped by thinning leaves a slot the next spill reuses; the file never grows past the budget):
//   "VAEXTLN1" | u64 floats per point
//   record: u32 "TLPT" | i32 epoch | i64 step | f64 test loss | f64 train loss | u64 floats |
//           floats as float32 | u32 CRC-32 of the record before it
#include "core/train/timeline.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/errors.h"
#include "core/io/safe_file.h"

namespace vae {

namespace {

constexpr char kFileMagic[8] = {'V', 'A', 'E', 'X', 'T', 'L', 'N', '1'};
constexpr std::uint32_t kRecordMagic = 0x54504c54;  // "TLPT"
constexpr std::uint64_t kFileHeaderBytes = sizeof kFileMagic + 8;
constexpr std::uint64_t kRecordHeaderBytes = 4 + 4 + 8 + 8 + 8 + 8;

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T get(const char* in) {
  T value;
  std::memcpy(&value, in, sizeof(T));
  return value;
}

std::uint32_t crc_of(const char* data, std::size_t bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (bytes > 0) {
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(bytes, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    bytes -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

void write_all_at(int fd, const std::string& path, const char* data, std::size_t bytes, std::uint64_t offset) {
  while (bytes > 0) {
    const ssize_t done = ::pwrite(fd, data, bytes, static_cast<off_t>(offset));
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0)
      throw IoError(path + ": cannot write the timeline spill file (" +
                    std::string(done < 0 ? std::strerror(errno) : "no space") + ")");
    data += done;
    bytes -= static_cast<std::size_t>(done);
    offset += static_cast<std::uint64_t>(done);
  }
}

void read_exactly_at(int fd, const std::string& path, char* into, std::size_t bytes, std::uint64_t offset) {
  while (bytes > 0) {
    const ssize_t done = ::pread(fd, into, bytes, static_cast<off_t>(offset));
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) throw IoError(path + ": cannot read the timeline spill file (" + std::strerror(errno) + ")");
    if (done == 0) throw IoError(path + ": timeline spill file is truncated");
    into += done;
    bytes -= static_cast<std::size_t>(done);
    offset += static_cast<std::uint64_t>(done);
  }
}

std::uint64_t file_size_of(int fd, const std::string& path) {
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) throw IoError(path + ": cannot size the timeline spill file (" + std::strerror(errno) + ")");
  return static_cast<std::uint64_t>(end);
}

// One record read and checked: the file's header, the record's header against the expected
// size before any float is read, then the CRC.
std::vector<float> read_record_from(int fd, std::uint64_t file_size, const std::string& path, std::uint64_t offset,
                                    std::size_t weight_count, TimelinePoint* point) {
  const std::uint64_t record = kRecordHeaderBytes + std::uint64_t(weight_count) * sizeof(float) + 4;
  if (file_size < kFileHeaderBytes) throw IoError(path + ": timeline spill file is truncated (no header)");
  char head[kFileHeaderBytes];
  read_exactly_at(fd, path, head, sizeof head, 0);
  if (std::memcmp(head, kFileMagic, sizeof kFileMagic) != 0)
    throw IoError(path + ": not a timeline spill file (unknown format)");
  if (get<std::uint64_t>(head + sizeof kFileMagic) != weight_count)
    throw IoError(path + ": timeline spill file holds points of another model (" +
                  std::to_string(get<std::uint64_t>(head + sizeof kFileMagic)) + " weights, expected " +
                  std::to_string(weight_count) + ")");
  if (offset < kFileHeaderBytes || offset > file_size || record > file_size - offset)
    throw IoError(path + ": timeline spill file is truncated (a point at byte " + std::to_string(offset) +
                  " runs past its end)");
  std::string bytes(record, '\0');
  read_exactly_at(fd, path, bytes.data(), bytes.size(), offset);
  const char* p = bytes.data();
  if (get<std::uint32_t>(p) != kRecordMagic)
    throw IoError(path + ": timeline spill file is corrupt (no point at byte " + std::to_string(offset) + ")");
  if (get<std::uint64_t>(p + 32) != weight_count)
    throw IoError(path + ": timeline spill file is corrupt (a point of " + std::to_string(get<std::uint64_t>(p + 32)) +
                  " weights, expected " + std::to_string(weight_count) + ")");
  if (get<std::uint32_t>(p + record - 4) != crc_of(p, record - 4))
    throw IoError(path + ": timeline spill file is corrupt (checksum mismatch at byte " + std::to_string(offset) + ")");
  if (point) {
    point->epoch = get<std::int32_t>(p + 4);
    point->step = get<std::int64_t>(p + 8);
    point->test_loss = get<double>(p + 16);
    point->train_loss = get<double>(p + 24);
  }
  std::vector<float> weights(weight_count);
  std::memcpy(weights.data(), p + kRecordHeaderBytes, weight_count * sizeof(float));
  return weights;
}

}  // namespace

TimelineStore::TimelineStore(std::size_t weight_count, TimelineBudget budget, std::string spill_path)
    : weight_count_(weight_count), spill_path_(std::move(spill_path)), budget_(budget) {
  if (weight_count_ == 0) throw std::invalid_argument("TimelineStore: a model without weights");
}

TimelineStore::~TimelineStore() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(spill_path_.c_str());  // scratch: a checkpoint carries the timeline when asked to
  }
}

std::uint64_t TimelineStore::record_bytes() const { return kRecordHeaderBytes + point_bytes() + 4; }

std::size_t TimelineStore::capacity_locked() const {
  const std::uint64_t in_memory = budget_.memory_bytes / point_bytes();
  const std::uint64_t on_disk = spill_path_.empty() ? 0 : budget_.disk_bytes / record_bytes();
  // Two points at least (the first and the last), whatever the budget.
  return static_cast<std::size_t>(std::max<std::uint64_t>(2, std::min<std::uint64_t>(in_memory + on_disk, 1u << 30)));
}

void TimelineStore::add(const TimelinePoint& point, std::vector<float> weights) {
  if (weights.size() != weight_count_)
    throw std::invalid_argument("TimelineStore: " + std::to_string(weights.size()) + " weights, expected " +
                                std::to_string(weight_count_));
  std::lock_guard<std::mutex> lock(mutex_);
  Slot slot;
  slot.point = point;
  slot.weights = std::make_shared<const std::vector<float>>(std::move(weights));
  if (!slots_.empty() && slots_.back().point.step == point.step) {
    // The same moment again (an every-N-steps point that is also the epoch's end): keep the
    // later one, which knows the epoch's losses.
    if (!slots_.back().weights) free_offsets_.push_back(slots_.back().offset);
    slot.id = slots_.back().id;
    slot.sequence = slots_.back().sequence;
    slots_.back() = std::move(slot);
  } else {
    slot.id = next_id_++;
    slot.sequence = next_sequence_++;
    // The newest point is always kept; once it is no longer the newest it stays only when it
    // falls on the stride that thinning chose, so the points stay evenly spaced.
    if (slots_.size() >= 2 && slots_.back().sequence % stride_ != 0) drop_locked(slots_.size() - 1);
    slots_.push_back(std::move(slot));
  }
  ++version_;
  enforce_locked();
}

void TimelineStore::drop_locked(std::size_t index) {
  if (!slots_[index].weights) free_offsets_.push_back(slots_[index].offset);
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(index));
  ++thinned_;
}

void TimelineStore::set_budget(const TimelineBudget& budget) {
  std::lock_guard<std::mutex> lock(mutex_);
  budget_ = budget;
  ++version_;
  enforce_locked();
}

TimelineBudget TimelineStore::budget() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return budget_;
}

void TimelineStore::enforce_locked() {
  const std::size_t capacity = capacity_locked();
  while (slots_.size() > capacity) thin_locked();
  std::uint64_t memory = 0;
  for (const auto& slot : slots_)
    if (slot.weights) memory += point_bytes();
  for (std::size_t i = 0; memory > budget_.memory_bytes && i < slots_.size(); ++i) {
    if (!slots_[i].weights) continue;
    if (spill_path_.empty()) break;  // a budget below two points: the minimum stays in memory
    try {
      spill_locked(slots_[i]);
    } catch (const IoError&) {
      // Within budget whatever happens: the point that cannot be written goes.
      slots_[i].weights.reset();
      slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
      ++thinned_;
      throw;
    }
    memory -= point_bytes();
  }
}

void TimelineStore::spill_locked(Slot& slot) {
  if (fd_ < 0) {
    fd_ = ::open(spill_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) throw IoError(spill_path_ + ": cannot create the timeline spill file (" + std::strerror(errno) + ")");
    std::string head(kFileMagic, sizeof kFileMagic);
    put<std::uint64_t>(head, weight_count_);
    write_all_at(fd_, spill_path_, head.data(), head.size(), 0);
    file_bytes_ = kFileHeaderBytes;
  }
  std::string record;
  record.reserve(record_bytes());
  put<std::uint32_t>(record, kRecordMagic);
  put<std::int32_t>(record, slot.point.epoch);
  put<std::int64_t>(record, slot.point.step);
  put<double>(record, slot.point.test_loss);
  put<double>(record, slot.point.train_loss);
  put<std::uint64_t>(record, weight_count_);
  record.append(reinterpret_cast<const char*>(slot.weights->data()), point_bytes());
  put<std::uint32_t>(record, crc_of(record.data(), record.size()));
  std::uint64_t offset = file_bytes_;
  if (!free_offsets_.empty()) {
    offset = free_offsets_.back();
    free_offsets_.pop_back();
  }
  write_all_at(fd_, spill_path_, record.data(), record.size(), offset);
  if (offset == file_bytes_) file_bytes_ += record.size();
  slot.offset = offset;
  slot.weights.reset();
}

void TimelineStore::thin_locked() {
  // Twice the spacing: the first point, every point on the new stride, and the newest.
  stride_ *= 2;
  for (std::size_t i = slots_.size() - 1; i-- > 1;)
    if (slots_[i].sequence % stride_ != 0) drop_locked(i);
}

std::vector<TimelineItem> TimelineStore::list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<TimelineItem> items;
  items.reserve(slots_.size());
  for (const auto& slot : slots_) items.push_back({slot.id, slot.point, slot.weights != nullptr});
  return items;
}

std::size_t TimelineStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

std::shared_ptr<const std::vector<float>> TimelineStore::weights(std::uint64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& slot : slots_) {
    if (slot.id != id) continue;
    if (slot.weights) return slot.weights;
    return std::make_shared<const std::vector<float>>(
        read_record_from(fd_, file_size_of(fd_, spill_path_), spill_path_, slot.offset, weight_count_, nullptr));
  }
  return nullptr;
}

std::vector<TimelineEntry> TimelineStore::entries() const {
  std::vector<TimelineEntry> all;
  for (const auto& item : list()) {
    auto weights = this->weights(item.id);
    if (weights) all.push_back({item.point, std::move(weights)});
  }
  return all;
}

std::uint64_t TimelineStore::memory_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t bytes = 0;
  for (const auto& slot : slots_)
    if (slot.weights) bytes += point_bytes();
  return bytes;
}

std::uint64_t TimelineStore::disk_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return file_bytes_;
}

std::string TimelineStore::spill_path() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spill_path_;
}

void TimelineStore::set_spill_path(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0 && !spill_path_.empty() && !path.empty()) spill_path_ = path;
}

std::uint64_t TimelineStore::version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

std::size_t TimelineStore::thinned_away() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return thinned_;
}

std::vector<float> TimelineStore::read_record(const std::string& path, std::uint64_t offset, std::size_t weight_count,
                                              TimelinePoint* point) {
  try {
    RegularFile file(path, "timeline spill file");
    return read_record_from(file.fd(), file.size(), path, offset, weight_count, point);
  } catch (const DataError& error) {
    throw IoError(error.what());
  }
}

}  // namespace vae
