#include "core/data/image_decode.h"

#include <stb/stb_image.h>

#include <cstring>
#include <memory>

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
// tables are invalid JPEG: refuse them before stb sees them. Walks every marker segment (between
// scans too); returns an empty string when the tables are fine, else what is wrong.
std::string check_jpeg_huffman_tables(const std::string& bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t at = 2;  // after SOI
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
    if (marker == 0xDA) {
      // A scan: skip its entropy-coded data to the next marker (progressive files define
      // more tables between scans). 0xFF00 is a stuffed byte, 0xFFD0-D7 restart markers.
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
