// libFuzzer target: image decoding as the image-folder loader and the drop target do it
// (signature check, header, pixel cap, stb), to grey, RGB and the file's own channels.
#include "core/data/image_decode.h"
#include "core/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (int channels : {1, 3, 0}) {
    try {
      const auto image = vae::decode_image(bytes, "fuzz-input", channels);
      const std::size_t expected = std::size_t(image.width) * image.height * image.channels;
      if (image.width <= 0 || image.height <= 0 || image.pixels.size() != expected) __builtin_trap();
    } catch (const vae::DataError&) {
    }
  }
  return 0;
}
