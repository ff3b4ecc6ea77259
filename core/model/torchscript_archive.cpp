#include "core/model/torchscript_archive.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "core/errors.h"
#include "core/io/safe_file.h"
#include "core/model/torchscript_vae.h"

namespace vae {

namespace {

// Zip record signatures and fixed sizes (APPNOTE.TXT 4.3).
constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kLocalHeaderBytes = 30;
constexpr std::size_t kCentralHeaderBytes = 46;
constexpr std::size_t kEndBytes = 22;
constexpr std::size_t kZip64EndBytes = 56;
constexpr std::size_t kZip64LocatorBytes = 20;
constexpr std::size_t kMaxCommentBytes = 0xffff;
constexpr std::uint16_t kStored = 0;
constexpr std::uint16_t kDeflated = 8;

// Bounds on what we read: a model has a few hundred entries (one per tensor and code file).
constexpr std::uint64_t kMaxEntries = 100000;
constexpr std::uint64_t kMaxCentralDirectoryBytes = 16ull << 20;
constexpr std::size_t kMaxMetadataBytes = 64 * 1024;  // as parse_torchscript_metadata
// Deflated entries may expand at most this much in total (LibTorch would allocate it).
constexpr std::uint64_t kMaxUncompressedBytes = 8ull << 30;
// Deflate's worst case grows incompressible data by 5 bytes per 16 KiB block, plus headers.
constexpr std::size_t kDeflateSlackBytes = 4096;

std::uint16_t u16(const unsigned char* p) { return std::uint16_t(p[0] | p[1] << 8); }
std::uint32_t u32(const unsigned char* p) { return std::uint32_t(u16(p)) | std::uint32_t(u16(p + 2)) << 16; }
std::uint64_t u64(const unsigned char* p) { return std::uint64_t(u32(p)) | std::uint64_t(u32(p + 4)) << 32; }

struct Entry {
  std::string name;
  std::uint16_t method = 0;
  std::uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
  std::uint64_t data_offset = 0;  // after the local header, once checked
};

class ArchiveReader {
 public:
  explicit ArchiveReader(const std::string& path) : file_(open(path)), path_(path) {}

  TorchScriptArchive inspect() {
    const auto entries = read_central_directory();
    TorchScriptArchive archive;
    archive.entries = entries.size();
    std::set<std::string> names;
    const Entry* metadata = nullptr;
    bool has_data_pickle = false, has_code = false, has_version = false;
    for (const auto& entry : entries) {
      const auto slash = entry.name.find('/');
      if (slash == std::string::npos || slash == 0)
        fail("entry '" + printable(entry.name) + "' is outside the archive's top folder");
      const std::string prefix = entry.name.substr(0, slash);
      if (archive.prefix.empty()) archive.prefix = prefix;
      if (prefix != archive.prefix)
        fail("entries in two top folders ('" + printable(archive.prefix) + "' and '" + printable(prefix) + "')");
      if (!names.insert(entry.name).second) fail("entry '" + printable(entry.name) + "' appears twice");
      const std::string rest = entry.name.substr(slash + 1);
      has_data_pickle |= rest == "data.pkl";
      has_code |= rest.compare(0, 5, "code/") == 0;
      has_version |= rest == "version" || rest == ".data/version";
      if (rest == std::string("extra/") + kTorchScriptMetadataName) metadata = &entry;
      archive.data_bytes += entry.uncompressed;
      if (archive.data_bytes > kMaxUncompressedBytes)
        fail("its entries expand to more than " + describe_bytes(kMaxUncompressedBytes));
    }
    if (!has_data_pickle || !has_version) fail("not a PyTorch archive (no data.pkl or version entry)");
    if (!has_code)
      fail(
          "a plain torch.save() file (weights only, no TorchScript code): save the model with "
          "torch.jit.save(torch.jit.script(model), path, _extra_files=...)");
    if (!metadata)
      throw CheckpointError(path_ + ": no " + std::string(kTorchScriptMetadataName) +
                            " in the archive's _extra_files: save with torch.jit.save(module, path, _extra_files={\"" +
                            kTorchScriptMetadataName + "\": json.dumps({...})}) as README.md describes");
    archive.config = parse_torchscript_metadata(read_entry(*metadata, kMaxMetadataBytes), path_);
    return archive;
  }

 private:
  static RegularFile open(const std::string& path) {
    try {
      return RegularFile(path, "TorchScript model");
    } catch (const DataError& error) {
      throw CheckpointError(error.what());
    }
  }
  [[noreturn]] void fail(const std::string& what) const { throw CheckpointError(path_ + ": " + what); }
  static std::string printable(const std::string& name) {
    std::string text;
    for (char c : name.substr(0, 80)) text += (c >= 32 && c < 127) ? c : '?';
    return text;
  }
  std::vector<unsigned char> read(std::uint64_t offset, std::uint64_t count, const char* what) const {
    if (offset > file_.size() || count > file_.size() - offset)
      fail(std::string(what) + " runs past the end of the file");
    std::vector<unsigned char> bytes(count);
    if (file_.read_at(offset, bytes.data(), count) != count) fail(std::string("cannot read ") + what);
    return bytes;
  }

  std::vector<Entry> read_central_directory() const {
    const std::uint64_t size = file_.size();
    if (size < kEndBytes) fail("truncated (too short for a zip archive)");
    // The end record is in the last 22 bytes plus at most a 64 KiB comment: search backwards.
    const std::uint64_t tail_bytes = std::min<std::uint64_t>(size, kEndBytes + kMaxCommentBytes);
    const auto tail = read(size - tail_bytes, tail_bytes, "end of the zip archive");
    std::int64_t at = -1;
    for (std::int64_t i = std::int64_t(tail_bytes - kEndBytes); i >= 0; --i)
      if (u32(&tail[std::size_t(i)]) == kEndSignature &&
          std::uint64_t(i) + kEndBytes + u16(&tail[std::size_t(i) + 20]) == tail_bytes) {
        at = i;
        break;
      }
    if (at < 0) fail("truncated or not a zip archive (no end-of-central-directory record)");
    const unsigned char* end = &tail[std::size_t(at)];
    const std::uint64_t end_offset = size - tail_bytes + std::uint64_t(at);
    if (u16(end + 4) != 0 || u16(end + 6) != 0) fail("a multi-disk zip archive");
    std::uint64_t count = u16(end + 10), directory_bytes = u32(end + 12), directory_offset = u32(end + 16);
    if (count == 0xffff || directory_bytes == 0xffffffff || directory_offset == 0xffffffff) {
      if (end_offset < kZip64LocatorBytes) fail("ZIP64 locator missing");
      const auto locator = read(end_offset - kZip64LocatorBytes, kZip64LocatorBytes, "ZIP64 locator");
      if (u32(&locator[0]) != kZip64LocatorSignature) fail("ZIP64 locator missing");
      const auto zip64 = read(u64(&locator[8]), kZip64EndBytes, "ZIP64 end record");
      if (u32(&zip64[0]) != kZip64EndSignature) fail("bad ZIP64 end record");
      count = u64(&zip64[32]);
      directory_bytes = u64(&zip64[40]);
      directory_offset = u64(&zip64[48]);
    }
    if (count == 0) fail("an empty zip archive");
    if (count > kMaxEntries) fail("more than " + std::to_string(kMaxEntries) + " entries");
    if (directory_bytes > kMaxCentralDirectoryBytes) fail("central directory larger than 16 MiB");
    if (directory_bytes < count * kCentralHeaderBytes) fail("central directory too small for its entries");
    const auto directory = read(directory_offset, directory_bytes, "central directory");

    std::vector<Entry> entries;
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (directory_bytes - pos < kCentralHeaderBytes || u32(&directory[pos]) != kCentralHeaderSignature)
        fail("central directory entry " + std::to_string(i) + " is damaged");
      const unsigned char* h = &directory[pos];
      Entry e;
      const std::uint16_t flags = u16(h + 8);
      e.method = u16(h + 10);
      e.compressed = u32(h + 20);
      e.uncompressed = u32(h + 24);
      const std::size_t name_bytes = u16(h + 28), extra_bytes = u16(h + 30), comment_bytes = u16(h + 32);
      e.local_offset = u32(h + 42);
      const std::size_t record = kCentralHeaderBytes + name_bytes + extra_bytes + comment_bytes;
      if (directory_bytes - pos < record) fail("central directory entry " + std::to_string(i) + " runs past its end");
      e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderBytes), name_bytes);
      if (flags & 0x1) fail("entry '" + printable(e.name) + "' is encrypted");
      read_zip64_extra(e, h + kCentralHeaderBytes + name_bytes, extra_bytes);
      if (e.method != kStored && e.method != kDeflated)
        fail("entry '" + printable(e.name) + "' uses compression method " + std::to_string(e.method) +
             " (only stored and deflated entries are read)");
      if (e.method == kStored && e.compressed != e.uncompressed)
        fail("stored entry '" + printable(e.name) + "' has two sizes");
      check_local_header(e);
      entries.push_back(std::move(e));
      pos += record;
    }
    return entries;
  }

  // ZIP64 extended information (header 0x0001): the 64-bit values of the fields set to 0xffffffff.
  void read_zip64_extra(Entry& e, const unsigned char* extra, std::size_t bytes) const {
    const bool need_uncompressed = e.uncompressed == 0xffffffff, need_compressed = e.compressed == 0xffffffff,
               need_offset = e.local_offset == 0xffffffff;
    std::size_t pos = 0;
    while (bytes - pos >= 4) {
      const std::uint16_t id = u16(extra + pos), length = u16(extra + pos + 2);
      if (bytes - pos - 4 < length) fail("entry '" + printable(e.name) + "' has a damaged extra field");
      if (id == 0x0001) {
        const unsigned char* field = extra + pos + 4;
        std::size_t left = length;
        auto take = [&](std::uint64_t& value) {
          if (left < 8) fail("entry '" + printable(e.name) + "' has a short ZIP64 field");
          value = u64(field);
          field += 8;
          left -= 8;
        };
        if (need_uncompressed) take(e.uncompressed);
        if (need_compressed) take(e.compressed);
        if (need_offset) take(e.local_offset);
        return;
      }
      pos += 4 + std::size_t(length);
    }
    if (need_uncompressed || need_compressed || need_offset)
      fail("entry '" + printable(e.name) + "' lacks its ZIP64 sizes");
  }

  void check_local_header(Entry& e) const {
    const auto h = read(e.local_offset, kLocalHeaderBytes, "a local file header");
    if (u32(&h[0]) != kLocalHeaderSignature) fail("entry '" + printable(e.name) + "' has no local header");
    const std::uint64_t start = e.local_offset + kLocalHeaderBytes + u16(&h[26]) + u16(&h[28]);
    if (u16(&h[26]) != e.name.size()) fail("entry '" + printable(e.name) + "': local and central names differ");
    if (start > file_.size() || e.compressed > file_.size() - start)
      fail("entry '" + printable(e.name) + "' runs past the end of the file (truncated?)");
    e.data_offset = start;
  }

  std::string read_entry(const Entry& e, std::size_t max_bytes) const {
    if (e.uncompressed > max_bytes)
      fail("entry '" + printable(e.name) + "' is larger than " + describe_bytes(max_bytes));
    if (e.compressed > max_bytes + kDeflateSlackBytes)
      fail("entry '" + printable(e.name) + "' is larger than " + describe_bytes(max_bytes));
    const auto raw = read(e.data_offset, e.compressed, "an entry");
    if (e.method == kStored) return std::string(raw.begin(), raw.end());
    // Raw deflate, inflated into at most max_bytes + 1 so that a lying size is noticed.
    std::string out(max_bytes + 1, '\0');
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("cannot start decompression");
    z.next_in = const_cast<unsigned char*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<unsigned char*>(&out[0]);
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_FINISH);
    const std::size_t produced = out.size() - z.avail_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END || produced != e.uncompressed)
      fail("entry '" + printable(e.name) + "' does not decompress to its stated size");
    out.resize(produced);
    return out;
  }

  RegularFile file_;
  std::string path_;
};

}  // namespace

TorchScriptArchive inspect_torchscript_archive(const std::string& path) { return ArchiveReader(path).inspect(); }

}  // namespace vae
