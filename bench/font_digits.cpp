// font-digits: writes a test-only IDX folder of printed digits, MNIST-like, rendered from the
// DejaVu fonts Debian ships (fonts-dejavu-core): an out-of-distribution set for a model trained
// on Fashion-MNIST that needs no download. Each image: one digit in a random face, size,
// rotation and slant, anti-aliased, its ink fitted into a 20x20 box and centred by mass in 28x28
// as LeCun's preprocessing does.
//
//   font-digits OUT_DIR [COUNT=10000] [SEED=1]
//
// Writes OUT_DIR/t10k-images-idx3-ubyte and OUT_DIR/t10k-labels-idx1-ubyte.
#include <stb/stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kSide = 28;
constexpr int kBox = 20;   // the ink is scaled to fit this square, as in MNIST
constexpr int kSuper = 4;  // supersampling of the rotated glyph before box-filtering
constexpr const char* kFontDir = "/usr/share/fonts/truetype/dejavu";

struct Font {
  std::vector<unsigned char> bytes;
  stbtt_fontinfo info;
};

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Renders `digit` into a kSide x kSide image with values 0..255.
std::vector<std::uint8_t> render(const Font& font, int digit, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const float scale = stbtt_ScaleForPixelHeight(&font.info, 96.f);
  int w = 0, h = 0, xoff = 0, yoff = 0;
  unsigned char* glyph = stbtt_GetCodepointBitmap(&font.info, scale, scale, '0' + digit, &w, &h, &xoff, &yoff);
  std::vector<double> canvas(std::size_t(kSide * kSuper) * kSide * kSuper, 0.0);
  if (glyph && w > 0 && h > 0) {
    // Inverse map from the supersampled canvas into the glyph: rotate, slant, scale to the box.
    const double angle = (unit(rng) - 0.5) * 0.5;  // about +-14 degrees
    const double slant = (unit(rng) - 0.5) * 0.4;
    const double fit = (kBox * kSuper) / double(std::max(w, h)) * (0.75 + 0.25 * unit(rng));
    const double c = std::cos(angle), s = std::sin(angle);
    const double centre = kSide * kSuper / 2.0;
    for (int y = 0; y < kSide * kSuper; ++y)
      for (int x = 0; x < kSide * kSuper; ++x) {
        const double u = (x + 0.5 - centre) / fit, v = (y + 0.5 - centre) / fit;
        const double ru = c * u + s * v, rv = -s * u + c * v;
        const double gx = ru + slant * rv + w / 2.0, gy = rv + h / 2.0;
        const int ix = static_cast<int>(std::floor(gx)), iy = static_cast<int>(std::floor(gy));
        if (ix < 0 || iy < 0 || ix >= w || iy >= h) continue;
        canvas[std::size_t(y) * kSide * kSuper + x] = glyph[std::size_t(iy) * w + ix] / 255.0;
      }
  }
  stbtt_FreeBitmap(glyph, nullptr);
  // Box filter down to 28x28, then shift so the centre of mass is the image centre.
  std::vector<double> small(kSide * kSide, 0.0);
  double mass = 0, mx = 0, my = 0;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      double sum = 0;
      for (int sy = 0; sy < kSuper; ++sy)
        for (int sx = 0; sx < kSuper; ++sx)
          sum += canvas[std::size_t(y * kSuper + sy) * kSide * kSuper + x * kSuper + sx];
      const double value = sum / (kSuper * kSuper);
      small[y * kSide + x] = value;
      mass += value;
      mx += value * (x + 0.5);
      my += value * (y + 0.5);
    }
  const int shift_x = mass > 0 ? static_cast<int>(std::lround(kSide / 2.0 - mx / mass)) : 0;
  const int shift_y = mass > 0 ? static_cast<int>(std::lround(kSide / 2.0 - my / mass)) : 0;
  std::vector<std::uint8_t> out(kSide * kSide, 0);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      const int sx = x - shift_x, sy = y - shift_y;
      if (sx < 0 || sy < 0 || sx >= kSide || sy >= kSide) continue;
      out[y * kSide + x] = static_cast<std::uint8_t>(std::lround(std::clamp(small[sy * kSide + sx], 0.0, 1.0) * 255));
    }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: font-digits OUT_DIR [COUNT=10000] [SEED=1]\n";
    return 2;
  }
  const std::string out_dir = argv[1];
  const long count = argc > 2 ? std::atol(argv[2]) : 10000;
  const unsigned long long seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  if (count < 1 || count > 1000000) {
    std::cerr << "font-digits: COUNT must be between 1 and 1000000\n";
    return 2;
  }
  std::vector<Font> fonts;
  for (const char* name :
       {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf",
        "DejaVuSansCondensed.ttf", "DejaVuSans-ExtraLight.ttf", "DejaVuSerifCondensed-Italic.ttf"}) {
    const std::string path = std::string(kFontDir) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    Font font;
    font.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!stbtt_InitFont(&font.info, font.bytes.data(), stbtt_GetFontOffsetForIndex(font.bytes.data(), 0))) continue;
    fonts.push_back(std::move(font));
  }
  if (fonts.empty()) {
    std::cerr << "font-digits: no DejaVu font under " << kFontDir << " (install fonts-dejavu-core)\n";
    return 1;
  }
  // stbtt_fontinfo points into `bytes`; moving the vector kept its buffer, so the pointers hold.
  std::filesystem::create_directories(out_dir);
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> images, labels;
  put_u32(images, 0x803);
  put_u32(images, static_cast<std::uint32_t>(count));
  put_u32(images, kSide);
  put_u32(images, kSide);
  put_u32(labels, 0x801);
  put_u32(labels, static_cast<std::uint32_t>(count));
  for (long i = 0; i < count; ++i) {
    const int digit = static_cast<int>(i % 10);
    const Font& font = fonts[rng() % fonts.size()];
    const auto image = render(font, digit, rng);
    images.insert(images.end(), image.begin(), image.end());
    labels.push_back(static_cast<std::uint8_t>(digit));
  }
  std::ofstream(out_dir + "/t10k-images-idx3-ubyte", std::ios::binary)
      .write(reinterpret_cast<const char*>(images.data()), static_cast<std::streamsize>(images.size()));
  std::ofstream(out_dir + "/t10k-labels-idx1-ubyte", std::ios::binary)
      .write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(labels.size()));
  std::cerr << "font-digits: wrote " << count << " digits from " << fonts.size() << " faces to " << out_dir << "\n";
  return 0;
}
