// The model factory: one registration line per family built from settings.
#include <functional>
#include <map>

#include "core/errors.h"
#include "core/model/families.h"

namespace vae {

namespace {

using Builder = std::function<std::shared_ptr<VaeImpl>(const ModelConfig&)>;

const std::map<ModelFamily, Builder>& registry() {
  static const std::map<ModelFamily, Builder> builders = {
      {ModelFamily::Vae, build_gaussian_vae},
      {ModelFamily::VqVae, build_vq_vae},
  };
  return builders;
}

}  // namespace

Vae make_model(const ModelConfig& config) {
  config.validate();
  const auto found = registry().find(config.family);
  if (found == registry().end())
    throw ConfigError("a " + to_string(config.family) + " model is not built from settings: load it from its file");
  return Vae(found->second(config));
}

}  // namespace vae
