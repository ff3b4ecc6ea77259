#include "core/data/image_decode.h"

#include <stb/stb_image.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/io/safe_file.h"

namespace vae {

std::string image_format_of(const std::string& bytes) {
  static const char kPng[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) return "PNG";
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF)
    return "JPEG";
  // "BM", then the file size and two reserved fields, then the pixel offset.
  if (bytes.size() >= 26 && bytes[0] == 'B' && bytes[1] == 'M') return "BMP";
  return "";
}

namespace {

// stb_image 2.27 (Debian 12) writes past a 257-entry table when a JPEG Huffman table (DHT)
// declares more than 256 codes, or codes a 16-bit table cannot hold (found by fuzz_image). Such
// tables are invalid JPEG: refuse them before stb sees them. A scan that uses a table no DHT
// defined makes stb read its uninitialised table (a SEGV, found by fuzz_image in a progressive
// file): refused too. Walks every marker segment (between scans too); returns an empty string
// when the tables are fine, else what is wrong.
std::string check_jpeg_huffman_tables(const std::string& bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t at = 2;        // after SOI
  bool defined[2][4] = {};   // [DC = 0, AC = 1][table id]
  bool progressive = false;  // SOF2: a scan decodes either DC or AC coefficients
  while (at + 4 <= bytes.size()) {
    if (data[at] != 0xFF) {  // stb skips bytes between markers, and so must this walk
      ++at;
      continue;
    }
    const unsigned char marker = data[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      at += 2;
      continue;
    }
    if (marker == 0xD9) return "";  // end of image
    const std::size_t length = (std::size_t(data[at + 2]) << 8) | data[at + 3];
    if (marker == 0xC4 && at + 2 + length > bytes.size()) return "a Huffman table segment runs past the end";
    if (length < 2 || at + 2 + length > bytes.size()) return "";  // truncated: stb says so
    if (marker == 0xC2) progressive = true;
    if (marker == 0xDA) {
      // The tables the scan's components use must exist: DC for a first DC scan, AC for an AC
      // scan (progressive), both for a baseline scan. Malformed headers are left to stb.
      const std::size_t components = length >= 3 ? data[at + 4] : 0;
      if (length >= 6 + 2 * components && components >= 1 && components <= 4) {
        const unsigned spectral_start = data[at + 5 + 2 * components];
        const unsigned refinement = data[at + 7 + 2 * components] >> 4;
        for (std::size_t c = 0; c < components; ++c) {
          const unsigned tables = data[at + 6 + 2 * c];
          const unsigned dc = tables >> 4, ac = tables & 15;
          const bool needs_dc = !progressive || (spectral_start == 0 && refinement == 0);
          const bool needs_ac = !progressive || spectral_start > 0;
          if ((needs_dc && dc < 4 && !defined[0][dc]) || (needs_ac && ac < 4 && !defined[1][ac]))
            return "a scan uses a Huffman table that was never defined";
        }
      }
      // Skip its entropy-coded data to the next marker (progressive files define more tables
      // between scans). 0xFF00 is a stuffed byte, 0xFFD0-D7 restart markers.
      at += 2 + length;
      while (at + 1 < bytes.size() &&
             !(data[at] == 0xFF && data[at + 1] != 0 && !(data[at + 1] >= 0xD0 && data[at + 1] <= 0xD7)))
        ++at;
      continue;
    }
    if (marker == 0xC4) {
      std::size_t p = at + 4;
      const std::size_t end = at + 2 + length;
      while (p + 17 <= end) {
        if ((data[p] >> 4) < 2 && (data[p] & 15) < 4) defined[data[p] >> 4][data[p] & 15] = true;
        int total = 0;
        std::uint32_t code = 0;
        for (int bits = 1; bits <= 16; ++bits) {
          const int count = data[p + bits];
          total += count;
          code += static_cast<std::uint32_t>(count);
          if (code > (1u << bits)) return "a Huffman table with more codes than its code lengths allow";
          code <<= 1;
        }
        if (total > 256) return "a Huffman table of " + std::to_string(total) + " codes (at most 256)";
        p += 17 + static_cast<std::size_t>(total);
      }
    }
    at += 2 + length;
  }
  return "";
}

std::uint32_t be32(const unsigned char* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// Bytes of filtered scanlines a PNG of this header decompresses to (Adam7 passes when interlaced),
// or 0 for a header stb would refuse anyway.
std::uint64_t png_raw_bytes(std::uint32_t width, std::uint32_t height, int depth, int color, int interlace) {
  int samples = 0;
  switch (color) {
    case 0:
      samples = 1;
      break;  // grey
    case 2:
      samples = 3;
      break;  // RGB
    case 3:
      samples = 1;
      break;  // palette index
    case 4:
      samples = 2;
      break;  // grey + alpha
    case 6:
      samples = 4;
      break;  // RGBA
    default:
      return 0;
  }
  if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) return 0;
  const std::uint64_t bits = std::uint64_t(samples) * depth;
  auto pass = [&](std::uint64_t w, std::uint64_t h) { return w && h ? h * (1 + (w * bits + 7) / 8) : 0; };
  if (interlace == 0) return pass(width, height);
  static const int kAdam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                   {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  std::uint64_t total = 0;
  for (const auto& p : kAdam7)
    total += pass((width + p[2] - 1 - p[0]) / p[2] * (width > std::uint32_t(p[0])),
                  (height + p[3] - 1 - p[1]) / p[3] * (height > std::uint32_t(p[1])));
  return total;
}

// stb_image 2.27 inflates a PNG's image data into a buffer it doubles without limit, and reads
// zeros past the end of a truncated stream: an 83-byte PNG claiming 6x5 pixels made it use
// 450 MB at peak and 2.3 s for three decodes under ASan (found by fuzz_image). Inflate the IDAT
// stream here first, counting bytes into a small scratch buffer, and refuse a stream that is
// damaged, ends early, or expands beyond what the header's size needs. Returns an empty string when the stream is fine,
// else what is wrong.
std::string check_png_stream(const std::string& bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t at = 8;        // after the signature
  bool raw_deflate = false;  // Apple's CgBI variant stores raw deflate without the zlib header
  std::uint64_t expected = 0;
  std::vector<std::pair<std::size_t, std::size_t>> idat;  // offset, length
  while (at + 8 <= bytes.size()) {
    const std::size_t length = be32(data + at);
    const std::string type(bytes, at + 4, 4);
    if (length > bytes.size() - at - 8) return "a " + type + " chunk runs past the end of the file";
    const unsigned char* chunk = data + at + 8;
    if (type == "CgBI") raw_deflate = true;
    if (type == "IHDR" && length >= 13) {
      expected = png_raw_bytes(be32(chunk), be32(chunk + 4), chunk[8], chunk[9], chunk[12]);
      if (expected == 0) return "";  // an invalid header: stb refuses it without inflating
    }
    if (type == "IDAT") idat.emplace_back(at + 8, length);
    if (type == "IEND") break;
    at += 12 + length;
  }
  if (expected == 0 || idat.empty()) return "";  // stb refuses these before inflating
  z_stream z{};
  if (inflateInit2(&z, raw_deflate ? -MAX_WBITS : MAX_WBITS) != Z_OK) return "cannot start decompression";
  unsigned char scratch[1 << 15];
  std::uint64_t produced = 0;
  int status = Z_OK;
  for (const auto& [offset, length] : idat) {
    z.next_in = const_cast<unsigned char*>(data + offset);
    z.avail_in = static_cast<uInt>(length);
    while (z.avail_in > 0 && status == Z_OK) {
      z.next_out = scratch;
      z.avail_out = sizeof scratch;
      status = inflate(&z, Z_NO_FLUSH);
      produced += sizeof scratch - z.avail_out;
      if (produced > expected) break;
      if (status == Z_BUF_ERROR) status = Z_OK;  // needs the next chunk's bytes
    }
    if (status != Z_OK || produced > expected) break;
  }
  // Drain what is buffered inside zlib once the input is used up.
  while (status == Z_OK && produced <= expected) {
    z.next_out = scratch;
    z.avail_out = sizeof scratch;
    status = inflate(&z, Z_NO_FLUSH);
    const std::size_t got = sizeof scratch - z.avail_out;
    produced += got;
    if (got == 0 && status != Z_STREAM_END) break;
  }
  const bool bad_check = status == Z_DATA_ERROR && z.msg && std::strcmp(z.msg, "incorrect data check") == 0;
  inflateEnd(&z);
  if (produced > expected)
    return "its compressed pixel data expands beyond the " + std::to_string(expected) + " bytes its size needs";
  if (status == Z_STREAM_END || bad_check) return "";  // stb does not verify the checksum either
  if (status == Z_DATA_ERROR || status == Z_MEM_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR)
    return "damaged compressed pixel data";
  return "compressed pixel data ends early (truncated file?)";
}

}  // namespace

DecodedImage decode_image(const std::string& bytes, const std::string& path, int channels) {
  if (bytes.empty()) throw DataError(path + ": empty file, not an image");
  if (bytes.size() > kMaxImageFileBytes)
    throw DataError(path + ": image file of " + describe_bytes(bytes.size()) + " is too large");
  const std::string format = image_format_of(bytes);
  if (format.empty()) throw DataError(path + ": not a PNG, JPEG or BMP image (unrecognised file signature)");
  if (format == "JPEG") {
    const std::string problem = check_jpeg_huffman_tables(bytes);
    if (!problem.empty()) throw DataError(path + ": corrupt JPEG: " + problem);
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int width = 0, height = 0, file_channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &file_channels))
    throw DataError(path + ": cannot read the " + format + " header (" + std::string(stbi_failure_reason()) + ")");
  if (width <= 0 || height <= 0)
    throw DataError(path + ": " + format + " image of " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels holds nothing");
  if (std::int64_t(width) * height > kMaxImagePixels)
    throw DataError(path + ": " + format + " image of " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels is larger than the " + std::to_string(kMaxImagePixels / 1000000) +
                    " megapixels this program decodes");
  if (format == "PNG") {
    const std::string problem = check_png_stream(bytes);
    if (!problem.empty()) throw DataError(path + ": corrupt PNG: " + problem);
  }
  if (file_channels < 1 || file_channels > 4)
    throw DataError(path + ": " + format + " image with " + std::to_string(file_channels) + " channels");
  const int wanted = channels > 0 ? channels : file_channels;
  int decoded_width = 0, decoded_height = 0, decoded_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, length, &decoded_width, &decoded_height, &decoded_channels, wanted), stbi_image_free);
  if (!pixels)
    throw DataError(path + ": cannot decode the " + format + " image (" + std::string(stbi_failure_reason()) + ")");
  // The header read above and the decoder must agree; anything else is a crafted file.
  if (decoded_width != width || decoded_height != height)
    throw DataError(path + ": " + format + " image decodes to another size than its header says");
  DecodedImage image;
  image.width = width;
  image.height = height;
  image.channels = wanted;
  image.pixels.assign(pixels.get(), pixels.get() + std::size_t(width) * height * wanted);
  return image;
}

DecodedImage read_image_file(const std::string& path, int channels) {
  return decode_image(read_regular_file(path, kMaxImageFileBytes, "image"), path, channels);
}

}  // namespace vae
