#pragma once
// Cache keys: a small, fast mix of the settings a cached picture depends on. Torch-free, GL-free.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace vae::gui {

inline std::uint64_t hash_mix(std::uint64_t seed, std::uint64_t value) {
  // splitmix64 finaliser: enough to key caches on a handful of settings.
  std::uint64_t x = seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A running hash of raw bytes (8 at a time): draw lists' commands, vertex states.
inline std::uint64_t hash_bytes(std::uint64_t h, const void* bytes, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    h = (h ^ word) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

inline std::uint64_t hash_floats(std::uint64_t seed, const std::vector<float>& values) {
  std::uint64_t h = hash_mix(seed, values.size());
  for (float v : values) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    h = hash_mix(h, bits);
  }
  return h;
}

}  // namespace vae::gui
