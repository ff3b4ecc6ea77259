#pragma once
// "--name N" options of the C++ benchmarks: each name maps to an int it sets. Returns false
// (after a message naming the option) on an unknown name, a missing value or one outside 1..100000.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace vae::bench {

inline bool parse_int_options(int argc, char** argv, const char* program, const std::map<std::string, int*>& options) {
  std::string names;
  for (const auto& [name, target] : options) names += (names.empty() ? "" : ", ") + name;
  for (int i = 1; i < argc; i += 2) {
    const std::string option = argv[i];
    const auto found = options.find(option);
    if (found == options.end()) {
      std::fprintf(stderr, "%s: unknown option %s (%s)\n", program, option.c_str(), names.c_str());
      return false;
    }
    const int value = i + 1 < argc ? std::atoi(argv[i + 1]) : 0;
    if (value <= 0 || value > 100000) {
      std::fprintf(stderr, "%s: %s needs a number from 1 to 100000\n", program, option.c_str());
      return false;
    }
    *found->second = value;
  }
  return true;
}

}  // namespace vae::bench
