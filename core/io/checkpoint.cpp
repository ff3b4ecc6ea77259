// Checkpoint file layout (little-endian):
//   "VAEXCKPT" | u32 format version | u64 n | n bytes of JSON | u64 m | m bytes of blobs | u32 CRC-32
// The JSON holds settings, counters, history and a table of blobs (weights as raw float32,
// Adam's moments as raw float32, the generator state). The CRC covers everything before it.
// Version 1 stored Adam as a LibTorch archive; such blobs are never parsed (see load_note).
// The CRC catches accidents, not crafted files: every number is validated on its own.
#include "core/io/checkpoint.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/errors.h"
#include "core/io/checkpoint_json.h"
#include "core/io/export.h"
#include "core/io/safe_file.h"
#include "core/model/vae.h"

namespace vae {
using nlohmann::json;
using namespace checkpoint_json;

namespace {

constexpr char kMagic[8] = {'V', 'A', 'E', 'X', 'C', 'K', 'P', 'T'};

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T get(const std::string& in, std::size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof(T));
  return value;
}

std::uint32_t crc32_of(const std::string& bytes, std::size_t length) {
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t done = 0;
  while (done < length) {
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(length - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + done), chunk);
    done += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

// A lower bound on the parameters a configuration builds, from its weight matrices alone, so
// that a small file declaring huge layers is refused before the model is allocated.
std::uint64_t minimum_parameter_count(const ModelConfig& c) {
  const std::uint64_t latent = static_cast<std::uint64_t>(c.latent);
  std::uint64_t count = 0;
  if (c.family == ModelFamily::VqVae)
    return static_cast<std::uint64_t>(c.codebook) * static_cast<std::uint64_t>(c.code_dim);
  if (c.kind == ModelKind::Mlp) {
    const std::uint64_t pixels = static_cast<std::uint64_t>(c.image_size());
    count += 2 * pixels * static_cast<std::uint64_t>(c.hidden.front());  // first encoder, last decoder layer
    for (std::size_t i = 0; i + 1 < c.hidden.size(); ++i)
      count += 2 * static_cast<std::uint64_t>(c.hidden[i]) * static_cast<std::uint64_t>(c.hidden[i + 1]);
    count += 3 * latent * static_cast<std::uint64_t>(c.hidden.back());  // two heads, first decoder layer
  } else {
    count += 3 * latent * static_cast<std::uint64_t>(c.hidden.front());
  }
  return count;
}

// Configuration numbers a checkpoint may hold, beyond what ModelConfig::validate checks.
void check_bounds(const ModelConfig& model) {
  if (model.hidden.size() > 64)
    throw std::runtime_error("declares " + std::to_string(model.hidden.size()) + " hidden layers (at most 64)");
}

// Adam's moments: one pair of float32 blobs per parameter, in named_weights() order.
json adam_to_json(const AdamState& adam, const std::function<json(const void*, std::size_t)>& blob) {
  if (adam.empty()) return json{{"format", "none"}};
  if (adam.exp_avg.size() != adam.names.size() || adam.exp_avg_sq.size() != adam.names.size())
    throw std::logic_error("AdamState: names and moments differ in count");
  json parameters = json::array();
  for (std::size_t i = 0; i < adam.names.size(); ++i) {
    if (adam.exp_avg[i].size() != adam.exp_avg_sq[i].size())
      throw std::logic_error("AdamState: moments of '" + adam.names[i] + "' differ in size");
    parameters.push_back({{"name", adam.names[i]},
                          {"exp_avg", blob(adam.exp_avg[i].data(), adam.exp_avg[i].size() * sizeof(float))},
                          {"exp_avg_sq", blob(adam.exp_avg_sq[i].data(), adam.exp_avg_sq[i].size() * sizeof(float))}});
  }
  return json{{"format", "adam"}, {"step", adam.step}, {"parameters", parameters}};
}

// The optional timeline: one float32 blob per point, the model's weights in named_weights()
// order, with the point's counters and losses (NaN stored as null).
json timeline_to_json(const std::vector<TimelineEntry>& timeline,
                      const std::function<json(const void*, std::size_t)>& blob) {
  json points = json::array();
  for (const auto& entry : timeline) {
    if (!entry.weights) throw std::logic_error("a timeline point without weights");
    points.push_back({{"epoch", entry.point.epoch},
                      {"step", entry.point.step},
                      {"test_loss", number_or_null(entry.point.test_loss)},
                      {"train_loss", number_or_null(entry.point.train_loss)},
                      {"weights", blob(entry.weights->data(), entry.weights->size() * sizeof(float))}});
  }
  return json{{"format", "weights-f32"}, {"points", points}};
}

// Checked whole: a bounded number of points, each of exactly the model's size, counters in range
// and ordered, every weight finite. `floats_at` reads a blob of a stated size or throws.
std::vector<TimelineEntry> timeline_from_json(
    const json& j, std::size_t weight_count,
    const std::function<std::vector<float>(const json&, const std::string&, std::size_t)>& floats_at) {
  if (j.at("format").get<std::string>() != "weights-f32") throw std::runtime_error("unknown timeline format");
  const auto& points = j.at("points");
  if (!points.is_array()) throw std::runtime_error("the timeline is not a list");
  if (points.size() > kMaxTimelinePoints)
    throw std::runtime_error("the timeline holds " + std::to_string(points.size()) + " points (at most " +
                             std::to_string(kMaxTimelinePoints) + ")");
  std::vector<TimelineEntry> timeline;
  for (const auto& p : points) {
    TimelineEntry entry;
    entry.point.epoch = integer<int>(p.at("epoch"));
    entry.point.step = integer<std::int64_t>(p.at("step"));
    if (entry.point.epoch < 0 || entry.point.epoch > 100000 || entry.point.step < 0)
      throw std::runtime_error("a timeline point has a negative or huge epoch or step");
    if (!timeline.empty() && entry.point.step < timeline.back().point.step)
      throw std::runtime_error("the timeline's points are not in step order");
    entry.point.test_loss = float_or_nan(p.at("test_loss"));
    entry.point.train_loss = float_or_nan(p.at("train_loss"));
    const std::string what = "timeline point " + std::to_string(timeline.size());
    auto weights = floats_at(p.at("weights"), what, weight_count);
    for (const float w : weights)
      if (!std::isfinite(w)) throw std::runtime_error(what + " holds weights that are not finite");
    entry.weights = std::make_shared<const std::vector<float>>(std::move(weights));
    timeline.push_back(std::move(entry));
  }
  return timeline;
}

}  // namespace

void save_checkpoint(const Checkpoint& checkpoint, const std::string& path) {
  if (!checkpoint.model) throw IoError(path + ": no model to save");
  if (!checkpoint.model->capabilities().trainable)
    throw IoError(path + ": a " + checkpoint.model->capabilities().family +
                  " is read-only here and is not saved as a checkpoint (keep its .pt file)");
  std::string blobs;
  auto blob = [&](const void* data, std::size_t bytes) {
    json entry = {{"offset", blobs.size()}, {"bytes", bytes}};
    blobs.append(static_cast<const char*>(data), bytes);
    return entry;
  };
  json tensors = json::array();
  for (const auto& [name, tensor] : named_weights(checkpoint.model->module())) {
    const auto data = tensor.detach().to(torch::kFloat).contiguous();
    json entry = blob(data.data_ptr(), data.nbytes());
    entry["name"] = name;
    entry["shape"] = data.sizes().vec();
    tensors.push_back(entry);
  }
  json header = {{"format", "vae-explorer checkpoint"},
                 {"model", model_config_to_json(checkpoint.model_config)},
                 {"train", train_config_to_json(checkpoint.train_config)},
                 {"data",
                  {{"spec", text_to_json(checkpoint.data_spec)},
                   {"identity", text_to_json(checkpoint.data_identity)},
                   {"class_names", texts_to_json(checkpoint.class_names)},
                   {"test_fraction", checkpoint.data_test_fraction},
                   {"seed", checkpoint.data_seed}}},
                 {"progress",
                  {{"step", checkpoint.step},
                   {"epoch", checkpoint.epoch},
                   {"step_in_epoch", checkpoint.step_in_epoch},
                   {"epoch_order", checkpoint.epoch_order}}},
                 {"history", history_to_json(checkpoint.history)},
                 {"tensors", tensors}};
  header["optimizer"] = adam_to_json(checkpoint.optimizer_state, blob);
  header["rng"] = blob(checkpoint.rng_state.data(), checkpoint.rng_state.size());
  if (!checkpoint.timeline.empty()) header["timeline"] = timeline_to_json(checkpoint.timeline, blob);

  // Strings are UTF-8 by now (text_to_json); replace rather than throw should one slip through.
  const std::string header_text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string file(kMagic, sizeof kMagic);
  put<std::uint32_t>(file, kCheckpointVersion);
  put<std::uint64_t>(file, header_text.size());
  file += header_text;
  put<std::uint64_t>(file, blobs.size());
  file += blobs;
  put<std::uint32_t>(file, crc32_of(file, file.size()));
  write_file_atomically(path, file);
}

std::uint64_t timeline_bytes(const std::vector<TimelineEntry>& timeline) {
  std::uint64_t bytes = 0;
  for (const auto& entry : timeline)
    if (entry.weights) bytes += entry.weights->size() * sizeof(float);
  return bytes;
}

DataSpec data_spec_for(const Checkpoint& checkpoint, const std::string& override_text) {
  const std::string text = override_text.empty() ? checkpoint.data_spec : override_text;
  if (text.empty()) throw ConfigError("the checkpoint does not say which data it was trained on; pass --data");
  DataSpec spec = DataSpec::parse(text);
  spec.image_size = checkpoint.model_config.height;
  spec.rgb = checkpoint.model_config.channels == 3;
  if (checkpoint.data_seed > 0) spec.seed = checkpoint.data_seed;
  if (checkpoint.data_test_fraction > 0) spec.test_fraction = checkpoint.data_test_fraction;
  return spec;
}

bool looks_like_checkpoint(const std::string& path) {
  try {
    RegularFile file(path, "checkpoint");
    char magic[sizeof kMagic] = {};
    return file.read_at(0, magic, sizeof magic) == sizeof magic && std::memcmp(magic, kMagic, sizeof kMagic) == 0;
  } catch (const DataError&) {
    return false;  // folders, FIFOs, devices, missing files: not a checkpoint
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string file;
  try {
    RegularFile input(path, "checkpoint");
    // The magic first, so a large foreign file is refused without reading it whole.
    char magic[sizeof kMagic] = {};
    if (input.read_at(0, magic, sizeof magic) != sizeof magic || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
      throw CheckpointError(path + ": not a VAE Explorer checkpoint (unknown file format)");
    file = input.read_all(kMaxCheckpointBytes);
  } catch (const DataError& error) {
    throw CheckpointError(error.what());
  }
  return parse_checkpoint(file, path);
}

namespace {

// The size of a CPU generator's state, as get_state() writes it.
std::size_t generator_state_bytes() {
  static const std::size_t bytes =
      static_cast<std::size_t>(at::make_generator<at::CPUGeneratorImpl>(1).get_state().nbytes());
  return bytes;
}

std::int64_t non_negative(const json& j, const char* what, std::int64_t limit) {
  const auto value = integer<std::int64_t>(j);
  if (value < 0 || value > limit)
    throw std::runtime_error(std::string(what) + " is " + std::to_string(value) + ", outside 0.." +
                             std::to_string(limit));
  return value;
}

}  // namespace

Checkpoint parse_checkpoint(const std::string& file, const std::string& path, bool verify_checksum) {
  constexpr std::size_t kFixed = sizeof kMagic + 4 + 8;
  if (file.size() < sizeof kMagic || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    throw CheckpointError(path + ": not a VAE Explorer checkpoint (unknown file format)");
  if (file.size() < kFixed)
    throw CheckpointError(path + ": checkpoint is truncated (" + std::to_string(file.size()) + " bytes)");
  const auto version = get<std::uint32_t>(file, sizeof kMagic);
  if (version < 1 || version > kCheckpointVersion)
    throw CheckpointError(path + ": checkpoint format version " + std::to_string(version) +
                          "; this build reads versions 1 to " + std::to_string(kCheckpointVersion));
  const auto header_size = get<std::uint64_t>(file, 12);
  if (header_size > file.size() - kFixed || file.size() - kFixed - header_size < 8 + 4)
    throw CheckpointError(path + ": checkpoint is truncated (header runs past the end of the file)");
  const std::size_t blob_start = kFixed + header_size + 8;
  const auto blob_size = get<std::uint64_t>(file, kFixed + header_size);
  if (blob_size != file.size() - blob_start - 4)
    throw CheckpointError(path + ": checkpoint is truncated or has trailing bytes (" + std::to_string(file.size()) +
                          " bytes, expected " + std::to_string(blob_start + blob_size + 4) + ")");
  if (verify_checksum && get<std::uint32_t>(file, file.size() - 4) != crc32_of(file, file.size() - 4))
    throw CheckpointError(path + ": checkpoint is corrupt (checksum mismatch)");

  Checkpoint checkpoint;
  try {
    const json header = json::parse(file.begin() + kFixed, file.begin() + kFixed + header_size);
    // Blobs: inside the blob area, and (weights, moments) a whole number of floats.
    auto blob_range = [&](const json& entry, const std::string& what) {
      const auto offset = integer<std::uint64_t>(entry.at("offset"));
      const auto bytes = integer<std::uint64_t>(entry.at("bytes"));
      if (offset > blob_size || bytes > blob_size - offset) throw std::runtime_error(what + " lies outside the file");
      return std::pair<std::size_t, std::size_t>(blob_start + offset, bytes);
    };
    auto floats_at = [&](const json& entry, const std::string& what, std::size_t expected) {
      const auto [offset, bytes] = blob_range(entry, what);
      if (bytes != expected * sizeof(float))
        throw std::runtime_error(what + " holds " + std::to_string(bytes) + " bytes, expected " +
                                 std::to_string(expected * sizeof(float)));
      std::vector<float> values(expected);
      std::memcpy(values.data(), file.data() + offset, bytes);
      return values;
    };

    // Settings first, all of them bounded, before anything is allocated from them.
    checkpoint.model_config = model_config_from_json(header.at("model"));
    checkpoint.model_config.validate();
    check_bounds(checkpoint.model_config);
    checkpoint.train_config = train_config_from_json(header.at("train"));
    checkpoint.train_config.validate();
    const auto& data = header.at("data");
    checkpoint.data_spec = text_from_json(data.at("spec"));
    checkpoint.data_identity = text_from_json(data.at("identity"));
    checkpoint.class_names = texts_from_json(data.at("class_names"));
    // Optional: absent in files written before they were recorded (the CLI then used the
    // training seed for the data too).
    checkpoint.data_test_fraction = data.value("test_fraction", 0.0);
    if (!(checkpoint.data_test_fraction >= 0 && checkpoint.data_test_fraction < 1))
      throw std::runtime_error("the data's test fraction is outside [0, 1)");
    checkpoint.data_seed = data.contains("seed") ? integer<std::uint64_t>(data.at("seed"))
                                                 : static_cast<std::uint64_t>(checkpoint.train_config.seed);

    const auto& progress = header.at("progress");
    constexpr std::int64_t kMaxCount = std::int64_t(1) << 53;
    checkpoint.step = non_negative(progress.at("step"), "the step count", kMaxCount);
    checkpoint.epoch = static_cast<int>(non_negative(progress.at("epoch"), "the epoch", 100000));
    checkpoint.step_in_epoch = non_negative(progress.at("step_in_epoch"), "the step within the epoch", kMaxCount);
    checkpoint.epoch_order = integers<std::int64_t>(progress.at("epoch_order"));
    if (checkpoint.step_in_epoch > 0) {
      // The shuffle of the epoch in progress: a permutation, with batches still to come.
      const auto n = static_cast<std::int64_t>(checkpoint.epoch_order.size());
      std::vector<bool> seen(checkpoint.epoch_order.size(), false);
      for (const auto index : checkpoint.epoch_order) {
        if (index < 0 || index >= n || seen[static_cast<std::size_t>(index)])
          throw std::runtime_error("the epoch order is not a permutation of 0.." + std::to_string(n - 1));
        seen[static_cast<std::size_t>(index)] = true;
      }
      const std::int64_t batch = checkpoint.train_config.batch_size;
      if (n == 0 || checkpoint.step_in_epoch >= (n + batch - 1) / batch)
        throw std::runtime_error("stopped at step " + std::to_string(checkpoint.step_in_epoch) + " of an epoch of " +
                                 std::to_string(n) + " images in batches of " + std::to_string(batch));
    } else if (!checkpoint.epoch_order.empty()) {
      throw std::runtime_error("holds an epoch order but no step within the epoch");
    }
    checkpoint.history = history_from_json(header.at("history"), version);

    const auto [rng_offset, rng_bytes] = blob_range(header.at("rng"), "the generator state");
    if (rng_bytes != 0) {
      if (rng_bytes != generator_state_bytes())
        throw std::runtime_error("the generator state is " + std::to_string(rng_bytes) + " bytes, expected " +
                                 std::to_string(generator_state_bytes()));
      checkpoint.rng_state = file.substr(rng_offset, rng_bytes);
      // LibTorch checks the rest of it (the Mersenne Twister's position); try it on a scratch one.
      auto state = torch::empty({static_cast<std::int64_t>(rng_bytes)}, torch::kUInt8);
      std::memcpy(state.data_ptr(), checkpoint.rng_state.data(), rng_bytes);
      try {
        at::make_generator<at::CPUGeneratorImpl>(1).set_state(state);
      } catch (const std::exception&) {
        throw std::runtime_error("the generator state is invalid");
      }
    }

    // The tensor table, checked whole against the file and the configuration before the model
    // is built: a small file cannot make us allocate a large model.
    const auto& tensors = header.at("tensors");
    if (!tensors.is_array()) throw std::runtime_error("the tensor table is not a list");
    std::uint64_t table_floats = 0;
    std::set<std::string> table_names;
    for (const auto& entry : tensors) {
      const auto name = entry.at("name").get<std::string>();
      if (!table_names.insert(name).second) throw std::runtime_error("weight '" + name + "' appears twice");
      const auto [offset, bytes] = blob_range(entry, "weight '" + name + "'");
      (void)offset;
      table_floats += bytes / sizeof(float);
    }
    const std::uint64_t minimum = minimum_parameter_count(checkpoint.model_config);
    if (minimum > table_floats)
      throw std::runtime_error("the model (" + checkpoint.model_config.describe() + ") needs at least " +
                               std::to_string(minimum) + " weights, the file holds " + std::to_string(table_floats));

    Vae model(checkpoint.model_config);
    const auto weights = named_weights(model);
    if (tensors.size() != weights.size())
      throw std::runtime_error("holds " + std::to_string(tensors.size()) + " weight tensors, the model has " +
                               std::to_string(weights.size()));
    std::map<std::string, torch::Tensor> by_name(weights.begin(), weights.end());
    torch::NoGradGuard no_grad;
    for (const auto& entry : tensors) {
      const auto name = entry.at("name").get<std::string>();
      const auto found = by_name.find(name);
      if (found == by_name.end()) throw std::runtime_error("unknown weight '" + name + "'");
      auto& param = found->second;
      const auto shape = integers<std::int64_t>(entry.at("shape"));
      if (shape != param.sizes().vec()) throw std::runtime_error("weight '" + name + "' has the wrong shape");
      const auto [offset, bytes] = blob_range(entry, "weight '" + name + "'");
      if (bytes != static_cast<std::size_t>(param.nbytes()))
        throw std::runtime_error("weight '" + name + "' has the wrong size");
      std::memcpy(param.data_ptr(), file.data() + offset, bytes);
      // Training never saves NaN or infinite weights (a bad step is undone first): such a file
      // is damaged or crafted, and would only decode NaN (found by fuzz_resume).
      if (param.scalar_type() == torch::kFloat) {
        const float* values = param.data_ptr<float>();
        for (std::int64_t k = 0; k < param.numel(); ++k)
          if (!std::isfinite(values[k])) throw std::runtime_error("weight '" + name + "' holds NaN or infinite values");
      }
    }
    checkpoint.model = std::make_shared<const ModelState>(model);

    const auto& optimizer = header.at("optimizer");
    if (optimizer.contains("offset")) {  // version 1's layout: one blob
      // A LibTorch archive: parsing it means torch::jit::load of untrusted bytes. Not read.
      if (blob_range(optimizer, "the optimiser state").second > 0)
        checkpoint.load_note =
            "the optimiser state of this version-1 checkpoint (a LibTorch archive) is not read; "
            "Adam continues with fresh moments";
    } else if (optimizer.at("format").get<std::string>() == "adam") {
      auto& adam = checkpoint.optimizer_state;
      adam.step = non_negative(optimizer.at("step"), "the optimiser's step count", kMaxCount);
      const auto& parameters = optimizer.at("parameters");
      if (parameters.size() != weights.size())
        throw std::runtime_error("the optimiser state covers " + std::to_string(parameters.size()) +
                                 " parameters, the model has " + std::to_string(weights.size()));
      for (std::size_t i = 0; i < weights.size(); ++i) {
        const auto& entry = parameters[i];
        const auto name = entry.at("name").get<std::string>();
        if (name != weights[i].first)
          throw std::runtime_error("the optimiser state lists '" + name + "' where the model has '" + weights[i].first +
                                   "'");
        const auto numel = static_cast<std::size_t>(weights[i].second.numel());
        adam.names.push_back(name);
        adam.exp_avg.push_back(floats_at(entry.at("exp_avg"), "the first moment of '" + name + "'", numel));
        adam.exp_avg_sq.push_back(floats_at(entry.at("exp_avg_sq"), "the second moment of '" + name + "'", numel));
        for (std::size_t k = 0; k < numel; ++k)
          if (!std::isfinite(adam.exp_avg.back()[k]) || !(adam.exp_avg_sq.back()[k] >= 0) ||
              !std::isfinite(adam.exp_avg_sq.back()[k]))
            throw std::runtime_error("the optimiser state of '" + name + "' holds invalid values");
      }
    } else if (optimizer.at("format").get<std::string>() != "none") {
      throw std::runtime_error("unknown optimiser state format");
    }
    // Optional: earlier points of the run (train --save-timeline).
    if (header.contains("timeline")) {
      std::size_t weight_count = 0;
      for (const auto& [name, tensor] : weights) weight_count += static_cast<std::size_t>(tensor.numel());
      checkpoint.timeline = timeline_from_json(header.at("timeline"), weight_count, floats_at);
    }
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& error) {
    throw CheckpointError(path + ": checkpoint is inconsistent: " + error.what());
  }
  return checkpoint;
}

}  // namespace vae
