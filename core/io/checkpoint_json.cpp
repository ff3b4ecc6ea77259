#include "core/io/checkpoint_json.h"

#include <cmath>
#include <map>
#include <set>

#include "core/errors.h"

namespace vae::checkpoint_json {

namespace {
// JSON strings must be UTF-8, file and folder names need not be: those that are not are stored
// as {"hex": "..."} of their bytes, so any name survives a save and load.
bool is_utf8(const std::string& text) {
  std::size_t i = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  while (i < text.size()) {
    const unsigned char c = bytes[i];
    int extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else
      return false;
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    static const std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

json text_to_json(const std::string& text) {
  if (is_utf8(text)) return text;
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : text) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return json{{"hex", hex}};
}

std::string text_from_json(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  const auto hex = j.at("hex").get<std::string>();
  if (hex.size() % 2) throw std::runtime_error("a hex-escaped name has an odd length");
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error("a hex-escaped name holds a non-hex character");
  };
  std::string text;
  for (std::size_t i = 0; i < hex.size(); i += 2) text += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  return text;
}

json texts_to_json(const std::vector<std::string>& texts) {
  json array = json::array();
  for (const auto& t : texts) array.push_back(text_to_json(t));
  return array;
}

std::vector<std::string> texts_from_json(const json& j) {
  if (!j.is_array()) throw std::runtime_error("class_names is not a list");
  std::vector<std::string> texts;
  for (const auto& t : j) texts.push_back(text_from_json(t));
  return texts;
}

// NaN is not valid JSON: store it as null.
json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }
float float_or_nan(const json& value) {
  return value.is_null() ? std::numeric_limits<float>::quiet_NaN() : value.get<float>();
}

// Version 2: named series. steps: {"step": [...], "epoch": [...], "beta": [...],
// "samples_per_sec": [...], "loss": [...], "terms": {"recon": [...], ...}}, plus "loss_name" and
// "term_names" (the order); epochs: [{..., "train_loss", "test_loss", "test_terms": {...}}].
// Optional in version 2 (a bounded history, core/train/step_history.h): steps "steps_covered"
// (per row), "stride" and "max_rows"; files without them hold one row per step.
json history_to_json(const MetricHistory& history) {
  json steps = json::object();
  for (const char* key : {"step", "epoch", "loss", "beta", "samples_per_sec", "steps_covered"})
    steps[key] = json::array();
  steps["stride"] = history.steps.stride();
  steps["max_rows"] = history.steps.max_rows();
  json terms = json::object();
  for (const auto& name : history.term_names) terms[name] = json::array();
  for (const auto& s : history.steps) {
    steps["step"].push_back(s.step);
    steps["epoch"].push_back(s.epoch);
    steps["loss"].push_back(number_or_null(s.loss));
    steps["beta"].push_back(s.beta);
    steps["samples_per_sec"].push_back(s.samples_per_sec);
    steps["steps_covered"].push_back(s.steps_covered);
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
    // Posterior health per dimension (optional: older files lack it).
    std::vector<json> kl, activity;
    for (float v : e.kl_per_dim) kl.push_back(number_or_null(v));
    for (float v : e.activity) activity.push_back(number_or_null(v));
    epochs.back()["kl_per_dim"] = kl;
    epochs.back()["activity"] = activity;
  }
  return {{"loss_name", history.loss_name}, {"term_names", history.term_names}, {"steps", steps}, {"epochs", epochs}};
}

// Reads version 2 (named series) and version 1 (fixed columns neg_elbo, recon, kl).
MetricHistory history_from_json(const json& j, std::uint32_t version) {
  MetricHistory history;
  const auto& steps = j.at("steps");
  const std::size_t n = steps.at("step").size();
  // The layout decides (as for the optimiser state): named series carry their names.
  const bool named = version >= 2 || j.contains("term_names");
  history.loss_name = named ? j.at("loss_name").get<std::string>() : "neg_elbo";
  history.term_names =
      named ? j.at("term_names").get<std::vector<std::string>>() : std::vector<std::string>{"recon", "kl"};
  if (history.term_names.size() > 64) throw std::runtime_error("the history has more than 64 series");
  const char* loss_key = named ? "loss" : "neg_elbo";
  std::vector<const json*> columns;
  for (const auto& name : history.term_names) columns.push_back(named ? &steps.at("terms").at(name) : &steps.at(name));
  for (const char* key : {"epoch", loss_key, "beta", "samples_per_sec"})
    if (steps.at(key).size() != n)
      throw std::runtime_error(std::string("history column '") + key + "' has the wrong length");
  for (std::size_t t = 0; t < columns.size(); ++t)
    if (columns[t]->size() != n)
      throw std::runtime_error("history series '" + history.term_names[t] + "' has the wrong length");
  // A thinned history (rows covering several steps each) comes back as it was; one without the
  // optional fields is a row per step, replayed so that it is thinned like a live run.
  const bool thinned = steps.contains("steps_covered");
  if (thinned && steps.at("steps_covered").size() != n)
    throw std::runtime_error("history column 'steps_covered' has the wrong length");
  const std::size_t max_rows =
      steps.contains("max_rows") ? integer<std::size_t>(steps.at("max_rows")) : StepHistory::kMaxRows;
  if (thinned && n > max_rows)  // before reading rows that would be refused anyway
    throw std::runtime_error("history: " + std::to_string(n) + " rows exceed its bound of " + std::to_string(max_rows));
  std::vector<StepMetrics> rows;
  if (thinned) rows.reserve(n);
  if (!thinned) {
    if (max_rows < StepHistory::kMinRows || max_rows > StepHistory::kMaxRows)
      throw std::runtime_error("history: the row bound " + std::to_string(max_rows) + " is out of range");
    history.steps.set_max_rows(max_rows);
  }
  for (std::size_t i = 0; i < n; ++i) {
    StepMetrics s;
    s.step = integer<std::int64_t>(steps["step"][i]);
    s.epoch = steps["epoch"][i].get<double>();
    s.loss = float_or_nan(steps[loss_key][i]);
    for (const json* column : columns) s.terms.push_back(float_or_nan((*column)[i]));
    s.beta = steps["beta"][i].get<float>();
    s.samples_per_sec = steps["samples_per_sec"][i].get<float>();
    if (thinned) {
      s.steps_covered = integer<std::uint32_t>(steps["steps_covered"][i]);
      rows.push_back(std::move(s));
    } else {
      history.steps.push_back(std::move(s));
    }
  }
  if (thinned) {
    const auto stride = steps.contains("stride") ? integer<std::uint32_t>(steps.at("stride")) : 1u;
    history.steps.restore(rows, stride, max_rows);  // validates (std::invalid_argument)
  }
  for (const auto& e : j.at("epochs")) {
    EpochMetrics m;
    m.epoch = integer<int>(e.at("epoch"));
    m.step = integer<std::int64_t>(e.at("step"));
    m.train_loss = float_or_nan(e.at(named ? "train_loss" : "train_neg_elbo"));
    m.test_loss = float_or_nan(e.at(named ? "test_loss" : "test_neg_elbo"));
    for (const auto& name : history.term_names)
      m.test_terms.push_back(float_or_nan(named ? e.at("test_terms").at(name) : e.at("test_" + name)));
    m.test_nll_is = float_or_nan(e.at("test_nll_is"));
    m.iw_samples = integer<int>(e.at("iw_samples"));
    m.active_units = integer<int>(e.at("active_units"));
    // Posterior health per dimension (optional: older files lack it); at most one per latent
    // dimension, so a crafted file cannot make it large.
    if (e.contains("kl_per_dim") && e.contains("activity")) {
      constexpr std::size_t kMaxDims = 256;
      if (e.at("kl_per_dim").size() > kMaxDims || e.at("activity").size() > kMaxDims)
        throw std::runtime_error("history: more than 256 latent dimensions in kl_per_dim or activity");
      for (const auto& v : e.at("kl_per_dim")) m.kl_per_dim.push_back(float_or_nan(v));
      for (const auto& v : e.at("activity")) m.activity.push_back(float_or_nan(v));
      if (m.kl_per_dim.size() != m.activity.size())
        throw std::runtime_error("history: kl_per_dim and activity differ in length");
    }
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
          {"class_names", texts_to_json(c.class_names)},
          {"codebook", c.codebook},
          {"code_dim", c.code_dim},
          {"commitment", c.commitment}};
}

ModelConfig model_config_from_json(const json& j) {
  ModelConfig c;
  c.kind = parse_model_kind(j.at("kind").get<std::string>());
  c.channels = integer<int>(j.at("channels"));
  c.height = integer<int>(j.at("height"));
  c.width = integer<int>(j.at("width"));
  c.hidden = integers<int>(j.at("hidden"));
  c.latent = integer<int>(j.at("latent"));
  c.likelihood = parse_likelihood(j.at("likelihood").get<std::string>());
  c.learn_variance = j.at("learn_variance").get<bool>();
  c.gaussian_sigma = j.at("gaussian_sigma").get<double>();
  // Version 2 fields; a version-1 file holds an unconditional Gaussian VAE.
  c.family = parse_model_family(j.value("family", std::string("vae")));
  c.conditional = j.value("conditional", false);
  c.classes = j.contains("classes") ? integer<int>(j.at("classes")) : 0;
  c.class_names = j.contains("class_names") ? texts_from_json(j.at("class_names")) : std::vector<std::string>{};
  if (c.class_names.size() > 1000) throw std::runtime_error("more than 1000 class names");
  c.codebook = j.contains("codebook") ? integer<int>(j.at("codebook")) : c.codebook;
  c.code_dim = j.contains("code_dim") ? integer<int>(j.at("code_dim")) : c.code_dim;
  c.commitment = j.value("commitment", c.commitment);
  return c;
}

json train_config_to_json(const TrainConfig& t) {
  return {{"beta", t.beta}, {"learning_rate", t.learning_rate}, {"batch_size", t.batch_size}, {"epochs", t.epochs},
          {"seed", t.seed}, {"iw_samples", t.iw_samples},       {"iw_limit", t.iw_limit}};
}

TrainConfig train_config_from_json(const json& j) {
  TrainConfig t;
  t.beta = j.at("beta").get<double>();
  t.learning_rate = j.at("learning_rate").get<double>();
  t.batch_size = integer<int>(j.at("batch_size"));
  t.epochs = integer<int>(j.at("epochs"));
  t.seed = integer<unsigned long long>(j.at("seed"));
  t.iw_samples = integer<int>(j.at("iw_samples"));
  t.iw_limit = integer<int>(j.at("iw_limit"));
  return t;
}

}  // namespace vae::checkpoint_json
