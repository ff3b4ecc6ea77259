#pragma once
// Decoding image files that may be hostile: only PNG, JPEG and BMP, recognised by their
// signature (stb would otherwise decode whatever the content is, PNM and TGA included, whatever
// the file is called), dimensions checked before a pixel is decoded. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// Images with more pixels than this are refused before decoding (a 4096 x 4096 photo passes).
constexpr std::int64_t kMaxImagePixels = std::int64_t(4096) * 4096;
// Image files larger than this are refused before reading.
constexpr std::uint64_t kMaxImageFileBytes = std::uint64_t(64) << 20;

struct DecodedImage {
  int width = 0;
  int height = 0;
  int channels = 0;                   // of `pixels`: the requested count, or the file's own
  std::vector<unsigned char> pixels;  // interleaved, 8 bits per channel, row after row
};

// "PNG", "JPEG", "BMP", or empty when the bytes start with none of their signatures.
std::string image_format_of(const std::string& bytes);

// Decodes `bytes` (the contents of `path`, named in errors) to `channels` channels (1 or 3; 0
// keeps the file's own count). Throws DataError naming the file.
DecodedImage decode_image(const std::string& bytes, const std::string& path, int channels);

// Reads (regular files only, at most kMaxImageFileBytes) and decodes.
DecodedImage read_image_file(const std::string& path, int channels);

}  // namespace vae
