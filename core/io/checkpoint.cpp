// Checkpoint file layout (little-endian):
//   "VAEXCKPT" | u32 format version | u64 n | n bytes of JSON | u64 m | m bytes of blobs | u32 CRC-32
// The JSON holds settings, counters, history and a table of blobs (weights as raw float32,
// LibTorch's serialized Adam state, the generator state). The CRC covers everything before it.
#include "core/io/checkpoint.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/io/export.h"
#include "core/model/vae.h"

namespace vae {
using nlohmann::json;

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

// NaN is not valid JSON: store it as null.
json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }
float float_or_nan(const json& value) {
  return value.is_null() ? std::numeric_limits<float>::quiet_NaN() : value.get<float>();
}

// Version 2: named series. steps: {"step": [...], "epoch": [...], "beta": [...],
// "samples_per_sec": [...], "loss": [...], "terms": {"recon": [...], ...}}, plus "loss_name" and
// "term_names" (the order); epochs: [{..., "train_loss", "test_loss", "test_terms": {...}}].
json history_to_json(const MetricHistory& history) {
  json steps = json::object();
  for (const char* key : {"step", "epoch", "loss", "beta", "samples_per_sec"}) steps[key] = json::array();
  json terms = json::object();
  for (const auto& name : history.term_names) terms[name] = json::array();
  for (const auto& s : history.steps) {
    steps["step"].push_back(s.step);
    steps["epoch"].push_back(s.epoch);
    steps["loss"].push_back(number_or_null(s.loss));
    steps["beta"].push_back(s.beta);
    steps["samples_per_sec"].push_back(s.samples_per_sec);
    for (std::size_t t = 0; t < history.term_names.size(); ++t)
      terms[history.term_names[t]].push_back(number_or_null(MetricHistory::value_of(s.terms, int(t))));
  }
  steps["terms"] = terms;
  json epochs = json::array();
  for (const auto& e : history.epochs) {
    json test_terms = json::object();
    for (std::size_t t = 0; t < history.term_names.size(); ++t)
      test_terms[history.term_names[t]] = number_or_null(MetricHistory::value_of(e.test_terms, int(t)));
    epochs.push_back({{"epoch", e.epoch},
                      {"step", e.step},
                      {"train_loss", number_or_null(e.train_loss)},
                      {"test_loss", number_or_null(e.test_loss)},
                      {"test_terms", test_terms},
                      {"test_nll_is", number_or_null(e.test_nll_is)},
                      {"iw_samples", e.iw_samples},
                      {"active_units", e.active_units}});
  }
  return {{"loss_name", history.loss_name}, {"term_names", history.term_names}, {"steps", steps}, {"epochs", epochs}};
}

// Reads version 2 (named series) and version 1 (fixed columns neg_elbo, recon, kl).
MetricHistory history_from_json(const json& j, std::uint32_t version) {
  MetricHistory history;
  const auto& steps = j.at("steps");
  const std::size_t n = steps.at("step").size();
  const bool named = version >= 2;
  history.loss_name = named ? j.at("loss_name").get<std::string>() : "neg_elbo";
  history.term_names =
      named ? j.at("term_names").get<std::vector<std::string>>() : std::vector<std::string>{"recon", "kl"};
  if (history.term_names.size() > 64) throw std::runtime_error("the history has more than 64 series");
  const char* loss_key = named ? "loss" : "neg_elbo";
  std::vector<const json*> columns;
  for (const auto& name : history.term_names) columns.push_back(named ? &steps.at("terms").at(name) : &steps.at(name));
  for (const char* key : {"epoch", loss_key, "beta", "samples_per_sec"})
    if (steps.at(key).size() != n) throw std::runtime_error(std::string("history column '") + key + "' has the wrong length");
  for (std::size_t t = 0; t < columns.size(); ++t)
    if (columns[t]->size() != n)
      throw std::runtime_error("history series '" + history.term_names[t] + "' has the wrong length");
  history.steps.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = history.steps[i];
    s.step = steps["step"][i].get<std::int64_t>();
    s.epoch = steps["epoch"][i].get<double>();
    s.loss = float_or_nan(steps[loss_key][i]);
    for (const json* column : columns) s.terms.push_back(float_or_nan((*column)[i]));
    s.beta = steps["beta"][i].get<float>();
    s.samples_per_sec = steps["samples_per_sec"][i].get<float>();
  }
  for (const auto& e : j.at("epochs")) {
    EpochMetrics m;
    m.epoch = e.at("epoch").get<int>();
    m.step = e.at("step").get<std::int64_t>();
    m.train_loss = float_or_nan(e.at(named ? "train_loss" : "train_neg_elbo"));
    m.test_loss = float_or_nan(e.at(named ? "test_loss" : "test_neg_elbo"));
    for (const auto& name : history.term_names)
      m.test_terms.push_back(float_or_nan(named ? e.at("test_terms").at(name) : e.at("test_" + name)));
    m.test_nll_is = float_or_nan(e.at("test_nll_is"));
    m.iw_samples = e.at("iw_samples").get<int>();
    m.active_units = e.at("active_units").get<int>();
    history.epochs.push_back(m);
  }
  return history;
}

json model_config_to_json(const ModelConfig& c) {
  return {{"kind", to_string(c.kind)},
          {"channels", c.channels},
          {"height", c.height},
          {"width", c.width},
          {"hidden", c.hidden},
          {"latent", c.latent},
          {"likelihood", to_string(c.likelihood)},
          {"learn_variance", c.learn_variance},
          {"gaussian_sigma", c.gaussian_sigma},
          {"family", to_string(c.family)},
          {"conditional", c.conditional},
          {"classes", c.classes},
          {"class_names", c.class_names},
          {"codebook", c.codebook},
          {"code_dim", c.code_dim},
          {"commitment", c.commitment}};
}

ModelConfig model_config_from_json(const json& j) {
  ModelConfig c;
  c.kind = parse_model_kind(j.at("kind").get<std::string>());
  c.channels = j.at("channels").get<int>();
  c.height = j.at("height").get<int>();
  c.width = j.at("width").get<int>();
  c.hidden = j.at("hidden").get<std::vector<int>>();
  c.latent = j.at("latent").get<int>();
  c.likelihood = parse_likelihood(j.at("likelihood").get<std::string>());
  c.learn_variance = j.at("learn_variance").get<bool>();
  c.gaussian_sigma = j.at("gaussian_sigma").get<double>();
  // Version 2 fields; a version-1 file holds an unconditional Gaussian VAE.
  c.family = parse_model_family(j.value("family", std::string("vae")));
  c.conditional = j.value("conditional", false);
  c.classes = j.value("classes", 0);
  c.class_names = j.value("class_names", std::vector<std::string>{});
  if (c.class_names.size() > 1000) throw std::runtime_error("more than 1000 class names");
  c.codebook = j.value("codebook", c.codebook);
  c.code_dim = j.value("code_dim", c.code_dim);
  c.commitment = j.value("commitment", c.commitment);
  return c;
}

json train_config_to_json(const TrainConfig& t) {
  return {{"beta", t.beta},   {"learning_rate", t.learning_rate}, {"batch_size", t.batch_size},
          {"epochs", t.epochs}, {"seed", t.seed},                 {"iw_samples", t.iw_samples},
          {"iw_limit", t.iw_limit}};
}

TrainConfig train_config_from_json(const json& j) {
  TrainConfig t;
  t.beta = j.at("beta").get<double>();
  t.learning_rate = j.at("learning_rate").get<double>();
  t.batch_size = j.at("batch_size").get<int>();
  t.epochs = j.at("epochs").get<int>();
  t.seed = j.at("seed").get<unsigned long long>();
  t.iw_samples = j.at("iw_samples").get<int>();
  t.iw_limit = j.at("iw_limit").get<int>();
  return t;
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

}  // namespace

void save_checkpoint(const Checkpoint& checkpoint, const std::string& path) {
  if (!checkpoint.model) throw IoError(path + ": no model to save");
  if (!checkpoint.model->capabilities().trainable)
    throw IoError(path + ": a " + checkpoint.model->capabilities().family +
                  " is read-only here and is not saved as a checkpoint (keep its .pt file)");
  std::string blobs;
  json tensors = json::array();
  for (const auto& [name, tensor] : named_weights(checkpoint.model->module())) {
    const auto data = tensor.detach().to(torch::kFloat).contiguous();
    tensors.push_back({{"name", name}, {"shape", data.sizes().vec()}, {"offset", blobs.size()}, {"bytes", data.nbytes()}});
    blobs.append(static_cast<const char*>(data.data_ptr()), data.nbytes());
  }
  auto blob = [&](const std::string& bytes) {
    json entry = {{"offset", blobs.size()}, {"bytes", bytes.size()}};
    blobs += bytes;
    return entry;
  };
  json header = {{"format", "vae-explorer checkpoint"},
                 {"model", model_config_to_json(checkpoint.model_config)},
                 {"train", train_config_to_json(checkpoint.train_config)},
                 {"data", {{"spec", checkpoint.data_spec}, {"identity", checkpoint.data_identity},
                           {"class_names", checkpoint.class_names}, {"test_fraction", checkpoint.data_test_fraction},
                           {"seed", checkpoint.data_seed}}},
                 {"progress", {{"step", checkpoint.step}, {"epoch", checkpoint.epoch},
                               {"step_in_epoch", checkpoint.step_in_epoch}, {"epoch_order", checkpoint.epoch_order}}},
                 {"history", history_to_json(checkpoint.history)},
                 {"tensors", tensors}};
  header["optimizer"] = blob(checkpoint.optimizer_state);
  header["rng"] = blob(checkpoint.rng_state);

  const std::string header_text = header.dump();
  std::string file(kMagic, sizeof kMagic);
  put<std::uint32_t>(file, kCheckpointVersion);
  put<std::uint64_t>(file, header_text.size());
  file += header_text;
  put<std::uint64_t>(file, blobs.size());
  file += blobs;
  put<std::uint32_t>(file, crc32_of(file, file.size()));
  write_file_atomically(path, file);
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
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof kMagic] = {};
  return in.read(magic, sizeof magic) && std::memcmp(magic, kMagic, sizeof kMagic) == 0;
}

Checkpoint load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open checkpoint (no such file or no permission)");
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::size_t kFixed = sizeof kMagic + 4 + 8;
  if (file.size() < sizeof kMagic || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    throw CheckpointError(path + ": not a VAE Explorer checkpoint (unknown file format)");
  if (file.size() < kFixed) throw CheckpointError(path + ": checkpoint is truncated (" + std::to_string(file.size()) + " bytes)");
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
    throw CheckpointError(path + ": checkpoint is truncated or has trailing bytes (" +
                          std::to_string(file.size()) + " bytes, expected " + std::to_string(blob_start + blob_size + 4) + ")");
  if (get<std::uint32_t>(file, file.size() - 4) != crc32_of(file, file.size() - 4))
    throw CheckpointError(path + ": checkpoint is corrupt (checksum mismatch)");

  Checkpoint checkpoint;
  try {
    const json header = json::parse(file.begin() + kFixed, file.begin() + kFixed + header_size);
    checkpoint.model_config = model_config_from_json(header.at("model"));
    checkpoint.model_config.validate();
    checkpoint.train_config = train_config_from_json(header.at("train"));
    const auto& data = header.at("data");
    checkpoint.data_spec = data.at("spec").get<std::string>();
    checkpoint.data_identity = data.at("identity").get<std::string>();
    checkpoint.class_names = data.at("class_names").get<std::vector<std::string>>();
    // Optional: absent in files written before they were recorded (the CLI then used the
    // training seed for the data too).
    checkpoint.data_test_fraction = data.value("test_fraction", 0.0);
    checkpoint.data_seed = data.value("seed", static_cast<std::uint64_t>(checkpoint.train_config.seed));
    const auto& progress = header.at("progress");
    checkpoint.step = progress.at("step").get<std::int64_t>();
    checkpoint.epoch = progress.at("epoch").get<int>();
    checkpoint.step_in_epoch = progress.at("step_in_epoch").get<std::int64_t>();
    checkpoint.epoch_order = progress.at("epoch_order").get<std::vector<std::int64_t>>();
    checkpoint.history = history_from_json(header.at("history"), version);

    auto blob_at = [&](const json& entry) {
      const auto offset = entry.at("offset").get<std::uint64_t>();
      const auto bytes = entry.at("bytes").get<std::uint64_t>();
      if (offset > blob_size || bytes > blob_size - offset) throw std::runtime_error("a blob lies outside the file");
      return file.substr(blob_start + offset, bytes);
    };
    checkpoint.optimizer_state = blob_at(header.at("optimizer"));
    checkpoint.rng_state = blob_at(header.at("rng"));

    Vae model(checkpoint.model_config);
    auto params = model->named_parameters(true);
    const auto& tensors = header.at("tensors");
    if (tensors.size() != params.size())
      throw std::runtime_error("holds " + std::to_string(tensors.size()) + " weight tensors, the model has " +
                               std::to_string(params.size()));
    torch::NoGradGuard no_grad;
    for (const auto& entry : tensors) {
      const auto name = entry.at("name").get<std::string>();
      auto* param = params.find(name);
      if (!param) throw std::runtime_error("unknown weight '" + name + "'");
      const auto shape = entry.at("shape").get<std::vector<std::int64_t>>();
      if (shape != param->sizes().vec()) throw std::runtime_error("weight '" + name + "' has the wrong shape");
      const std::string bytes = blob_at(entry);
      if (bytes.size() != static_cast<std::size_t>(param->nbytes()))
        throw std::runtime_error("weight '" + name + "' has the wrong size");
      std::memcpy(param->data_ptr(), bytes.data(), bytes.size());
    }
    checkpoint.model = std::make_shared<const ModelState>(model);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& error) {
    throw CheckpointError(path + ": checkpoint is inconsistent: " + error.what());
  }
  return checkpoint;
}

}  // namespace vae
