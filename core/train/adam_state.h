#pragma once
// Adam's state in our own checkpoint format (version 2): plain numbers, never a LibTorch
// archive, so no untrusted bytes reach torch::jit::load. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

struct AdamState {
  std::int64_t step = 0;                       // optimiser steps taken (the same for every parameter)
  std::vector<std::string> names;              // parameter names, in named_weights() order
  std::vector<std::vector<float>> exp_avg;     // first moments, flattened like the weights
  std::vector<std::vector<float>> exp_avg_sq;  // second moments
  bool empty() const { return names.empty(); }
};

}  // namespace vae
