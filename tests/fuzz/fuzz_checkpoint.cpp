// libFuzzer target: checkpoint loading. The CRC is not checked here (the fuzzer could not get
// past it; a crafted file recomputes it anyway), so every mutation reaches the validation.
// Only CheckpointError may come out.
#include "core/errors.h"
#include "core/io/checkpoint.h"
#include "core/model/vae.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto checkpoint = vae::parse_checkpoint(bytes, "fuzz-input", /*verify_checksum=*/false);
    if (!checkpoint.model) __builtin_trap();
  } catch (const vae::CheckpointError&) {
  }
  return 0;
}
