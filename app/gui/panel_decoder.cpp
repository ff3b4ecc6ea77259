// Decoder: the image of the current z, decoded on the UI thread in the same frame as any change,
// and one slider per latent dimension labelled with its KL so dead dimensions stand out.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "app/gui/panels.h"
#include "imgui.h"

namespace vae::gui {

namespace {

// Below this average KL (nats) a dimension carries next to no information: posterior collapse.
constexpr float kDeadKl = 0.01f;

void refresh_image(AppState& app) {
  DecoderPanelState& s = app.decoder;
  if (!app.inference || app.z.empty()) return;
  const std::uint64_t key = hash_mix(app.model_serial, app.z_serial);
  if (key == s.key) return;
  s.key = key;
  try {
    s.texture.upload(app.inference->decode_one(app.z));
  } catch (const std::exception& e) {
    report(app, std::string("Decoding failed: ") + e.what(), true);
  }
}

// The trainer's running average over recent batches; before any training step (a checkpoint just
// opened) it is all zeros, and the average over the encoded test set says more.
const std::vector<float>& kl_per_dim(AppState& app, const Snapshot& snap) {
  DecoderPanelState& s = app.decoder;
  const bool live = std::any_of(snap.kl_per_dim.begin(), snap.kl_per_dim.end(), [](float v) { return v > 0; });
  // Models without a Gaussian posterior have no KL per dimension (the snapshot's list is empty).
  if (live || !app.encoded || app.encoded->codes.dims != int(app.z.size()) || app.encoded->codes.logvar.empty())
    return snap.kl_per_dim;
  if (s.test_kl_serial != app.encoded_serial) {
    const LatentCodes& c = app.encoded->codes;
    s.test_kl.assign(std::size_t(c.dims), 0.f);
    for (std::size_t i = 0; i < c.count; ++i) {
      for (int d = 0; d < c.dims; ++d) {
        // KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2
        const float mu = c.mu[i * c.dims + d], lv = c.logvar[i * c.dims + d];
        s.test_kl[std::size_t(d)] += 0.5f * (mu * mu + std::exp(lv) - 1.f - lv);
      }
    }
    for (float& v : s.test_kl) v /= float(std::max<std::size_t>(1, c.count));
    s.test_kl_serial = app.encoded_serial;
  }
  return s.test_kl;
}

void buttons(AppState& app) {
  DecoderPanelState& s = app.decoder;
  const std::size_t dims = app.z.size();
  if (ImGui::Button("Reset")) set_z(app, std::vector<float>(dims, 0.f));
  tip("Set z to the origin, the mode of the prior N(0, I).");
  ImGui::SameLine();
  if (ImGui::Button("Random z")) {
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> z(dims);
    for (float& v : z) v = normal(s.rng);
    set_z(app, z);
  }
  tip("Draw z ~ N(0, I): what the generative model produces on its own.");

  const int count = app.data ? int(app.data->test.count) : 0;
  ImGui::SetNextItemWidth(90);
  ImGui::InputInt("##encidx", &s.encode_index);
  s.encode_index = std::clamp(s.encode_index, 0, std::max(0, count - 1));
  tip("Index of a test image to encode.");
  ImGui::SameLine();
  ImGui::BeginDisabled(!app.inference || count == 0);
  if (ImGui::Button("Encode")) {
    try {
      const LatentCodes codes = app.inference->encode(app.data->test_image(std::size_t(s.encode_index)), 1);
      set_z(app, codes.mu);
    } catch (const std::exception& e) {
      report(app, std::string("Encoding failed: ") + e.what(), true);
    }
  }
  ImGui::EndDisabled();
  tip("Encode the chosen test image; its posterior mean becomes z.");
  if (count > 0) {
    if (s.pick_texture_index != s.encode_index) {
      s.pick_texture.upload(app.data->test_picture(std::size_t(s.encode_index)));
      s.pick_texture_index = s.encode_index;
    }
    ImGui::SameLine();
    ImGui::Image(s.pick_texture.imgui_id(), ImVec2(ImGui::GetFrameHeight(), ImGui::GetFrameHeight()));
    tip("The test image that \"Encode\" uses.");
  }
}

}  // namespace

void draw_decoder_panel(AppState& app, const Snapshot& snap) {
  DecoderPanelState& s = app.decoder;
  refresh_image(app);
  const float avail = ImGui::GetContentRegionAvail().x;
  const float side = std::clamp(avail, 64.f, 200.f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  if (s.texture.valid()) {
    const float aspect = float(s.texture.height()) / float(std::max(1, s.texture.width()));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + (avail - side) / 2, origin.y));
    ImGui::Image(s.texture.imgui_id(), ImVec2(side, side * aspect));
  } else {
    ImGui::Dummy(ImVec2(side, side));
    const char* text = "no model yet";
    ImGui::GetWindowDrawList()->AddText(ImVec2(origin.x + 8, origin.y + side / 2), IM_COL32(200, 200, 200, 255), text);
  }
  hot_spot(app, "Decoder.Image");
  tip("The mean of p(x|z) for the current z (the yellow cursor in Latent space).");
  buttons(app);

  ImGui::Separator();
  const int dims = int(app.z.size());
  const auto& kl = kl_per_dim(app, snap);
  ImGui::BeginChild("sliders", ImVec2(0, 0), false);
  std::vector<float> z = app.z;
  bool changed = false;
  for (int d = 0; d < dims; ++d) {
    const bool known = std::size_t(d) < kl.size();
    const bool dead = known && kl[std::size_t(d)] < kDeadKl;
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
    ImGui::SameLine(ImGui::CalcTextSize("z00 KL 00.00").x + 12);
    ImGui::SetNextItemWidth(-1);
    // Three standard deviations of the prior either way: where nearly all of its mass lies.
    changed |= ImGui::SliderFloat("##z", &z[std::size_t(d)], -3.f, 3.f, "%.2f");
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip("Latent dimension %d. Average KL %s nats%s. Ctrl+click to type a value.", d,
                        known ? std::to_string(kl[std::size_t(d)]).c_str() : "?",
                        dead ? " - inactive (posterior collapse): moving it changes little" : "");
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  if (changed) set_z(app, z);
}

}  // namespace vae::gui
