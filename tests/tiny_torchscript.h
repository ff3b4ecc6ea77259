#pragma once
// A TorchScript VAE on 1x4x4 images with latent size 2, saved by LibTorch itself: the archive
// layout torch.jit.save writes, for the TorchScript archive tests and fuzz seeds. Empty metadata
// leaves vae_explorer.json out.
#include <torch/script.h>

#include <sstream>
#include <string>

namespace vae::testing {

inline std::string tiny_torchscript_archive(const std::string& metadata) {
  torch::jit::Module module("TinyVae");
  module.define(R"(
def encode(self, x):
    n = x.size(0)
    return torch.zeros(n, 2), torch.zeros(n, 2)
def decode(self, z):
    return torch.zeros(z.size(0), 1, 4, 4)
)");
  std::ostringstream out;
  torch::jit::ExtraFilesMap extra;
  if (!metadata.empty()) extra["vae_explorer.json"] = metadata;
  module.save(out, extra);
  return out.str();
}

}  // namespace vae::testing
