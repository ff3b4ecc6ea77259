#pragma once
// Typed errors raised at the edges of the engine (files, parsing, model loading, settings).
// Every message names the file or setting at fault and what is wrong with it, so the CLI can
// print it as is and the window can show it in its error area.
#include <stdexcept>
#include <string>

namespace vae {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A data file or folder that cannot be read or does not hold what it claims.
struct DataError : Error {
  using Error::Error;
};

// A checkpoint that is truncated, foreign, of another format version or inconsistent.
struct CheckpointError : Error {
  using Error::Error;
};

// Settings that cannot work together (latent size 0, batch larger than the data set, ...).
struct ConfigError : Error {
  using Error::Error;
};

// A file that cannot be written (export, checkpoint, CSV).
struct IoError : Error {
  using Error::Error;
};

}  // namespace vae
