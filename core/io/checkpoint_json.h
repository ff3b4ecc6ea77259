#pragma once
// The checkpoint's JSON pieces (core/io/checkpoint.cpp): names that need not be UTF-8, whole
// numbers read range-checked, the metric history, and the model and training settings. Every
// reader validates what it reads and throws std::runtime_error (or ConfigError) with what was
// wrong; the checkpoint parser adds the file's name. Internal to core/io.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/train/metrics.h"

namespace vae::checkpoint_json {

using nlohmann::json;

// Integers read as integers of the right range: nlohmann's get<int>() of 1e300 would be an
// undefined float-to-int conversion, of 2^40 a silent wrap.
template <typename Int>
Int integer(const json& j) {
  if (j.is_number_unsigned()) {
    const auto value = j.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<Int>::max()))
      throw std::runtime_error("a number is out of range");
    return static_cast<Int>(value);
  }
  if (j.is_number_integer()) {
    const auto value = j.get<std::int64_t>();
    if (value < static_cast<std::int64_t>(std::numeric_limits<Int>::min()) ||
        (value > 0 && static_cast<std::uint64_t>(value) > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())))
      throw std::runtime_error("a number is out of range");
    return static_cast<Int>(value);
  }
  throw std::runtime_error("a whole number was expected, found " + std::string(j.type_name()));
}

template <typename Int>
std::vector<Int> integers(const json& j) {
  if (!j.is_array())
    throw std::runtime_error("a list of whole numbers was expected, found " + std::string(j.type_name()));
  std::vector<Int> values;
  values.reserve(j.size());
  for (const auto& v : j) values.push_back(integer<Int>(v));
  return values;
}

// Names: a JSON string when the text is UTF-8, else {"hex": "..."} of its bytes.
json text_to_json(const std::string& text);
std::string text_from_json(const json& j);
json texts_to_json(const std::vector<std::string>& texts);
std::vector<std::string> texts_from_json(const json& j);

// NaN is not valid JSON: stored as null, read back as NaN.
json number_or_null(double value);
float float_or_nan(const json& value);

// The metric history in the layout of format `version` (1 or 2; see the definitions).
json history_to_json(const MetricHistory& history);
MetricHistory history_from_json(const json& j, std::uint32_t version);

json model_config_to_json(const ModelConfig& c);
ModelConfig model_config_from_json(const json& j);
json train_config_to_json(const TrainConfig& t);
TrainConfig train_config_from_json(const json& j);

}  // namespace vae::checkpoint_json
