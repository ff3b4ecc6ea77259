#pragma once
// Builders of the model families, one per file, registered in factory.cpp. Engine-internal.
#include <memory>

#include "core/model/vae.h"

namespace vae {

std::shared_ptr<VaeImpl> build_gaussian_vae(const ModelConfig& config);  // gaussian_vae.cpp
std::shared_ptr<VaeImpl> build_vq_vae(const ModelConfig& config);        // vq_vae.cpp

}  // namespace vae
