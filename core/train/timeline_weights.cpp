// The timeline's bridge to LibTorch: a model's weights as one flat float32 vector (in
// named_weights() order, the order checkpoints use) and a frozen model built back from it.
#include <torch/torch.h>

#include <cstring>

#include "core/errors.h"
#include "core/model/vae.h"
#include "core/train/timeline.h"

namespace vae {

std::vector<float> flatten_weights(const ModelState& model) {
  torch::NoGradGuard no_grad;
  // Exactly the size: growing by insert would leave up to twice the capacity, which a timeline
  // point keeps for its life (the store counts size, not capacity, against its budget).
  std::vector<float> flat;
  flat.reserve(weight_count_of(model));
  for (const auto& [name, tensor] : named_weights(model.module())) {
    const auto data = tensor.detach().to(torch::kFloat).contiguous();
    const auto* first = data.data_ptr<float>();
    flat.insert(flat.end(), first, first + data.numel());
  }
  return flat;
}

std::size_t weight_count_of(const ModelState& model) {
  std::size_t count = 0;
  for (const auto& [name, tensor] : named_weights(model.module())) count += static_cast<std::size_t>(tensor.numel());
  return count;
}

std::shared_ptr<const ModelState> model_from_weights(const ModelConfig& config, const std::vector<float>& weights) {
  Vae model(config);
  torch::NoGradGuard no_grad;
  std::size_t used = 0;
  const auto named = named_weights(model);
  for (const auto& [name, tensor] : named) used += static_cast<std::size_t>(tensor.numel());
  if (used != weights.size())
    throw CheckpointError("a timeline point holds " + std::to_string(weights.size()) + " weights, the model (" +
                          config.describe() + ") has " + std::to_string(used));
  used = 0;
  for (const auto& [name, tensor] : named) {
    const auto n = static_cast<std::size_t>(tensor.numel());
    std::memcpy(tensor.data_ptr<float>(), weights.data() + used, n * sizeof(float));
    used += n;
  }
  model->eval();
  return std::make_shared<const ModelState>(model);
}

}  // namespace vae
