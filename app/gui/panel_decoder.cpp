// Decoder: the image of the current z and one slider per latent dimension labelled with its KL,
// inactive dimensions (core/eval/posterior_health.h, the rule the counts use) greyed out. The
// image follows z in the same frame when decoding one image is cheap (the MLP: well under a
// millisecond); for expensive models it is decoded on a worker of its own, at most a frame
// behind, so dragging stays at the frame rate.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/eval/posterior_health.h"
#include "imgui.h"

namespace vae::gui {

namespace {
// Decodes of one image that took longer than this go to the worker from then on.
constexpr double kSameFrameBudget = 0.004;

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
}  // namespace

class DecoderPanel : public Panel {
 public:
  explicit DecoderPanel(PanelContext& context)
      : ctx_(context), explorer_(context.explorer), slot_(context.cursor_worker.add_slot()) {}
  void draw() override;

 private:
  void refresh_image();
  const std::vector<float>& kl_per_dim();
  const std::vector<double>& activity();
  void buttons();

  PanelContext& ctx_;
  Explorer& explorer_;
  int slot_;
  Texture texture_;
  std::uint64_t key_ = 0;      // (model, z) last asked for
  double decode_seconds_ = 0;  // how long the last decode of one image took
  int encode_index_ = 0;
  Texture pick_texture_;
  int pick_texture_index_ = -1;
  std::mt19937_64 rng_{12345};
  std::vector<float> test_kl_;  // per-dimension KL over the encoded test set
  std::uint64_t test_kl_serial_ = ~0ull;
  std::vector<double> activity_;  // Cov_x(E_q[z_d]) over the encoded test set, else the last epoch's
  std::uint64_t activity_serial_ = ~0ull;
  std::string last_error_;
};

void DecoderPanel::refresh_image() {
  DecodeWorker& worker = ctx_.cursor_worker;
  if (auto done = worker.take(slot_)) {
    decode_seconds_ = done->seconds;
    if (done->error.empty()) {
      texture_.upload_rgba(done->rgba.data(), done->image.width, done->image.height);
      last_error_.clear();
    } else if (done->error != last_error_) {
      ctx_.messages.report("Decoding failed: " + done->error, true);
      last_error_ = done->error;
    }
  }
  const auto& inference = explorer_.inference();
  if (!inference || explorer_.z().empty()) return;
  const std::uint64_t key = hash_mix(explorer_.model_serial(), explorer_.z_serial());
  if (key == key_) return;
  key_ = key;
  if (decode_seconds_ <= kSameFrameBudget) {
    // The UI thread's own CPU time: on a busy machine wall time would count the time others ran.
    const double t0 = thread_seconds();
    try {
      texture_.upload(inference->decode_one(explorer_.z()));
      last_error_.clear();
    } catch (const std::exception& e) {
      if (e.what() != last_error_) ctx_.messages.report(std::string("Decoding failed: ") + e.what(), true);
      last_error_ = e.what();
    }
    decode_seconds_ = thread_seconds() - t0;
  } else {
    worker.submit(slot_, key, [inference, z = explorer_.z()](const CancelToken&) { return inference->decode_one(z); });
  }
}

// The trainer's running average over recent batches; before any training step (a checkpoint just
// opened) it is all zeros, and the average over the encoded test set says more.
const std::vector<float>& DecoderPanel::kl_per_dim() {
  const Snapshot& snap = ctx_.session.snapshot();
  const auto& encoded = explorer_.encoded();
  // (An earlier point of the timeline is described by its own encoded test set, not by training.)
  const bool live = !explorer_.showing_past() &&
                    std::any_of(snap.kl_per_dim.begin(), snap.kl_per_dim.end(), [](float v) { return v > 0; });
  // Models without a Gaussian posterior have no KL per dimension (the snapshot's list is empty).
  if (live || !encoded || encoded->codes.dims != int(explorer_.z().size()) || encoded->codes.logvar.empty())
    return snap.kl_per_dim;
  if (test_kl_serial_ != explorer_.encoded_serial()) {
    const LatentCodes& c = encoded->codes;
    test_kl_.assign(std::size_t(c.dims), 0.f);
    for (std::size_t i = 0; i < c.count; ++i) {
      for (int d = 0; d < c.dims; ++d) {
        // KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2
        const float mu = c.mu[i * std::size_t(c.dims) + std::size_t(d)];
        const float lv = c.logvar[i * std::size_t(c.dims) + std::size_t(d)];
        test_kl_[std::size_t(d)] += 0.5f * (mu * mu + std::exp(lv) - 1.f - lv);
      }
    }
    for (float& v : test_kl_) v /= float(std::max<std::size_t>(1, c.count));
    test_kl_serial_ = explorer_.encoded_serial();
  }
  return test_kl_;
}

// Burda et al.'s activity statistic, the one behind every active-unit count: from the encoded
// test set when there is one, else the last finished epoch's; empty when neither is known.
const std::vector<double>& DecoderPanel::activity() {
  const auto& encoded = explorer_.encoded();
  if (encoded && encoded->codes.dims == int(explorer_.z().size()) && encoded->codes.count > 1) {
    if (activity_serial_ != explorer_.encoded_serial()) {
      const LatentCodes& c = encoded->codes;
      std::vector<double> sum(std::size_t(c.dims), 0.0), sum_sq(std::size_t(c.dims), 0.0);
      for (std::size_t i = 0; i < c.count; ++i)
        for (int d = 0; d < c.dims; ++d) {
          const double mu = c.mu[i * std::size_t(c.dims) + std::size_t(d)];
          sum[std::size_t(d)] += mu;
          sum_sq[std::size_t(d)] += mu * mu;
        }
      activity_.assign(std::size_t(c.dims), 0.0);
      const double n = double(c.count);
      for (int d = 0; d < c.dims; ++d) {
        const double mean = sum[std::size_t(d)] / n;
        activity_[std::size_t(d)] = std::max(0.0, (sum_sq[std::size_t(d)] / n - mean * mean) * n / (n - 1));
      }
      activity_serial_ = explorer_.encoded_serial();
    }
    return activity_;
  }
  const auto& epochs = ctx_.session.snapshot().history.epochs;
  activity_.clear();
  if (!epochs.empty()) activity_.assign(epochs.back().activity.begin(), epochs.back().activity.end());
  activity_serial_ = ~0ull;
  return activity_;
}

void DecoderPanel::buttons() {
  const std::size_t dims = explorer_.z().size();
  Toolbar bar;
  if (ImGui::Button("Reset")) explorer_.set_z(std::vector<float>(dims, 0.f));
  tip("Set z to the origin, the mode of the prior N(0, I).");
  bar.next(Toolbar::button("Random z"));
  if (ImGui::Button("Random z")) {
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> z(dims);
    for (float& v : z) v = normal(rng_);
    explorer_.set_z(z);
  }
  tip("Draw z ~ N(0, I): what the generative model produces on its own.");

  const auto& data = ctx_.session.data();
  const int count = data ? int(data->test.count) : 0;
  const float unit = ImGui::GetFontSize();
  ImGui::SetNextItemWidth(6.5f * unit);
  ImGui::InputInt("##encidx", &encode_index_);
  encode_index_ = std::clamp(encode_index_, 0, std::max(0, count - 1));
  tip("Index of a test image to encode.");
  bar.next(Toolbar::button("Encode"));
  ImGui::BeginDisabled(!explorer_.inference() || count == 0);
  if (ImGui::Button("Encode")) {
    try {
      const LatentCodes codes = explorer_.inference()->encode(data->test_image(std::size_t(encode_index_)), 1);
      explorer_.set_z(codes.mu);
    } catch (const std::exception& e) {
      ctx_.messages.report(std::string("Encoding failed: ") + e.what(), true);
    }
  }
  ImGui::EndDisabled();
  tip("Encode the chosen test image; its posterior mean becomes z.");
  if (count > 0) {
    if (pick_texture_index_ != encode_index_) {
      pick_texture_.upload(data->test_picture(std::size_t(encode_index_)));
      pick_texture_index_ = encode_index_;
    }
    bar.next(ImGui::GetFrameHeight());
    ImGui::Image(pick_texture_.imgui_id(), ImVec2(ImGui::GetFrameHeight(), ImGui::GetFrameHeight()));
    tip("The test image that \"Encode\" uses.");
  }
}

void DecoderPanel::draw() {
  refresh_image();
  const float avail = ImGui::GetContentRegionAvail().x;
  // As wide as the panel, but leaving at least half of its height to the sliders.
  const float side = std::max(32.f, std::min(avail, 0.45f * ImGui::GetContentRegionAvail().y));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  if (texture_.valid()) {
    const float aspect = float(texture_.height()) / float(std::max(1, texture_.width()));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + std::floor((avail - side) / 2), origin.y));
    ImGui::Image(texture_.imgui_id(), ImVec2(side, side * aspect));
  } else {
    ImGui::Dummy(ImVec2(side, side));
    ImGui::GetWindowDrawList()->AddText(ImVec2(origin.x + 8, origin.y + side / 2), IM_COL32(200, 200, 200, 255),
                                        "no model yet");
  }
  hot_spot(ctx_.diagnostics, "Decoder.Image");
  tip("The mean of p(x|z) for the current z (the yellow cursor in Latent space).");
  buttons();

  ImGui::Separator();
  const int dims = int(explorer_.z().size());
  const auto& kl = kl_per_dim();
  const auto& active = activity();
  ImGui::BeginChild("sliders", ImVec2(0, 0), false);
  std::vector<float> z = explorer_.z();
  bool changed = false;
  const float label_width = ImGui::CalcTextSize("z00 KL 00.00").x + ImGui::GetStyle().ItemSpacing.x;
  for (int d = 0; d < dims; ++d) {
    const bool known = std::size_t(d) < kl.size();
    const bool dead = std::size_t(d) < active.size() && !is_active_unit(active[std::size_t(d)]);
    char label[48];
    if (known) {
      std::snprintf(label, sizeof label, "z%-2d KL %5.2f", d, kl[std::size_t(d)]);
    } else {
      std::snprintf(label, sizeof label, "z%-2d", d);
    }
    ImGui::PushID(d);
    if (dead) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.5f, 0.5f, 0.5f, 1));
    ImGui::TextUnformatted(label);
    if (dead) ImGui::PopStyleColor();
    // Beside the label when there is room for a usable slider, below it otherwise.
    if (ImGui::GetContentRegionAvail().x > label_width + 4 * ImGui::GetFontSize()) ImGui::SameLine(label_width);
    ImGui::SetNextItemWidth(-1);
    // Three standard deviations of the prior either way: where nearly all of its mass lies.
    changed |= ImGui::SliderFloat("##z", &z[std::size_t(d)], -3.f, 3.f, "%.2f");
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip("Latent dimension %d. Average KL %s nats%s. Ctrl+click to type a value.", d,
                        known ? std::to_string(kl[std::size_t(d)]).c_str() : "?",
                        dead ? " - inactive (its posterior mean hardly moves with the input, Cov_x(E[z]) <= 0.01): "
                               "moving it changes little"
                             : "");
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  if (changed) explorer_.set_z(z);
}

VAE_REGISTER_PANEL(DecoderPanel,
                   {"Decoder", "Decoder (cursor image)", "Ctrl+4", {2, 0, 0.39f, 0.52f, 0.4f, 140.f, 220.f}, 40});

}  // namespace vae::gui
