// libFuzzer target: IDX files, raw and gzip (the first two bytes decide), read as images and as
// labels. Only DataError may come out; anything else (a crash, another exception, a leak, an
// allocation past -rss_limit_mb) is a finding.
#include "core/data/dataset.h"
#include "core/errors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vae::fuzz::MemoryFile file(data, size);
  try {
    const auto images = vae::read_idx_images(file.path());
    if (images.bytes.size() != images.count * images.rows * images.cols) __builtin_trap();
  } catch (const vae::DataError&) {
  }
  try {
    vae::read_idx_labels(file.path());
  } catch (const vae::DataError&) {
  }
  return 0;
}
