// Decoder: the image of the current z and one slider per latent dimension labelled with its KL,
// inactive dimensions (core/eval/posterior_health.h, the rule the counts use) greyed out. The
// image follows z as cursor_image.h says. A conditional model adds the class picker the other
// panels share; a model with discrete codes points to the Codes panel instead of sliders.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "app/gui/cursor_image.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/eval/posterior_health.h"
#include "imgui.h"

namespace vae::gui {

class DecoderPanel : public Panel {
 public:
  explicit DecoderPanel(PanelContext& context)
      : ctx_(context), explorer_(context.explorer), image_(context.cursor_worker, context.messages) {}
  void draw() override;

 private:
  const std::vector<float>& kl_per_dim();
  const std::vector<double>& activity();
  void buttons();
  void class_picker();

  PanelContext& ctx_;
  Explorer& explorer_;
  CursorImage image_;
  int encode_index_ = 0;
  Texture pick_texture_;
  int pick_texture_index_ = -1;
  std::mt19937_64 rng_{12345};
  bool sort_by_kl_ = false;
  std::vector<float> test_kl_;  // per-dimension KL over the encoded test set
  std::uint64_t test_kl_serial_ = ~0ull;
  std::vector<double> activity_;  // Cov_x(E_q[z_d]) over the encoded test set, else the last epoch's
  std::uint64_t activity_serial_ = ~0ull;
};

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
    const auto kl = posterior_kl_per_dim(encoded->codes);
    test_kl_.assign(kl.begin(), kl.end());
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
      activity_ = posterior_activity(encoded->codes);
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
  const bool discrete = explorer_.discrete();
  Toolbar bar;
  if (discrete) {
    // A grid of discrete codes has no origin; a random grid is a draw from the uniform prior.
    if (ImGui::Button("Random codes")) {
      const auto& c = explorer_.inference()->capabilities();
      std::uniform_int_distribution<std::int64_t> pick(0, std::max(0, c.codebook_size - 1));
      std::vector<std::int64_t> codes(std::size_t(c.code_grid_height) * std::size_t(c.code_grid_width));
      for (auto& code : codes) code = pick(rng_);
      explorer_.codes_image = -1;
      explorer_.set_codes(std::move(codes));
    }
    tip("Draw every cell of the code grid uniformly from the codebook (the VQ-VAE has no learned prior, so "
        "such grids rarely look like data).");
  } else {
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
  }

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
      const std::size_t index = std::size_t(encode_index_);
      // A conditional model reads the image with its own label, q(z | x, y); the cursor image is
      // then drawn for the chosen class (the same z as another class: style transfer).
      std::vector<int> label;
      if (explorer_.conditional() && index < data->test.labels.size()) label = {data->test.labels[index]};
      const LatentCodes codes = explorer_.inference()->encode(data->test_image(index), 1, 1, label);
      if (discrete) {
        explorer_.codes_image = encode_index_;
        explorer_.set_codes(codes.codes);
      } else {
        explorer_.set_z(codes.mu);
      }
    } catch (const std::exception& e) {
      ctx_.messages.report(std::string("Encoding failed: ") + e.what(), true);
    }
  }
  ImGui::EndDisabled();
  tip(discrete ? "Encode the chosen test image; its grid of codes becomes the cursor (edit it in Codes)."
               : "Encode the chosen test image; its posterior mean becomes z.");
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

// Conditional models: the class the cursor image (and every grid) is drawn for, shared through
// the Explorer. Arrows step through the classes: the same z drawn as each class in turn.
void DecoderPanel::class_picker() {
  if (!explorer_.conditional()) return;
  const int classes = explorer_.num_classes();
  int chosen = explorer_.chosen_class();
  Toolbar bar;
  if (ImGui::ArrowButton("##prevclass", ImGuiDir_Left)) chosen = (chosen + classes - 1) % classes;
  hot_spot(ctx_.diagnostics, "Decoder.PrevClass");
  tip("Previous class: the same z drawn as another class.");
  bar.next(ImGui::GetFrameHeight());
  if (ImGui::ArrowButton("##nextclass", ImGuiDir_Right)) chosen = (chosen + 1) % classes;
  hot_spot(ctx_.diagnostics, "Decoder.NextClass");
  tip("Next class: the same z drawn as another class.");
  // The box beside the arrows when there is room for a short name, below them otherwise.
  const float unit = ImGui::GetFontSize();
  const float room = ImGui::GetContentRegionMax().x - (ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x) -
                     ImGui::GetStyle().ItemSpacing.x;
  const float width = room >= 4.5f * unit ? std::min(8.f * unit, room) : 8.f * unit;
  bar.next(width);
  ImGui::SetNextItemWidth(width);
  const std::string current = "class " + std::to_string(chosen) + ": " + explorer_.class_name(chosen);
  if (ImGui::BeginCombo("##class", current.c_str())) {
    for (int k = 0; k < classes; ++k) {
      const std::string item = std::to_string(k) + ": " + explorer_.class_name(k);
      if (ImGui::Selectable(item.c_str(), k == chosen)) chosen = k;
    }
    ImGui::EndCombo();
  }
  hot_spot(ctx_.diagnostics, "Decoder.Class");
  tip("The class y the conditional decoder p(x | y, z) draws the cursor image for. Manifold, Samples and "
      "Interpolation use it too.");
  if (chosen != explorer_.chosen_class()) explorer_.set_chosen_class(chosen);
}

void DecoderPanel::draw() {
  image_.refresh(explorer_);
  const Texture& texture = image_.texture();
  const float avail = ImGui::GetContentRegionAvail().x;
  // As wide as the panel, but leaving at least half of its height to the sliders.
  const float side = std::max(32.f, std::min(avail, 0.45f * ImGui::GetContentRegionAvail().y));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  if (texture.valid()) {
    const float aspect = float(texture.height()) / float(std::max(1, texture.width()));
    ImGui::SetCursorScreenPos(ImVec2(origin.x + std::floor((avail - side) / 2), origin.y));
    ImGui::Image(texture.imgui_id(), ImVec2(side, side * aspect));
  } else {
    ImGui::Dummy(ImVec2(side, side));
    ImGui::GetWindowDrawList()->AddText(ImVec2(origin.x + 8, origin.y + side / 2), IM_COL32(200, 200, 200, 255),
                                        "no model yet");
  }
  hot_spot(ctx_.diagnostics, "Decoder.Image");
  tip("The mean of p(x|z) for the current z (the yellow cursor in Latent space).");
  buttons();

  class_picker();
  ImGui::Separator();
  if (explorer_.discrete()) {
    const auto& c = explorer_.inference()->capabilities();
    ImGui::TextWrapped(
        "This %s's latent is a %dx%d grid of discrete codes from a codebook of %d entries, not a "
        "point to slide: no per-dimension sliders or KL. Edit the codes cell by cell in the Codes "
        "panel.",
        c.family.c_str(), c.code_grid_height, c.code_grid_width, c.codebook_size);
    if (ImGui::Button("Open Codes panel")) explorer_.open_panel_request = "Codes";
    return;
  }
  const int dims = int(explorer_.z().size());
  const auto& kl = kl_per_dim();
  const auto& active = activity();
  ImGui::BeginChild("sliders", ImVec2(0, 0), false);
  if (!kl.empty()) {
    ImGui::Checkbox("sort by KL", &sort_by_kl_);
    hot_spot(ctx_.diagnostics, "Decoder.SortByKl");
    tip("Show the dimensions that carry the most information (highest KL) first.");
  }
  std::vector<int> order(std::size_t(std::max(0, dims)));
  std::iota(order.begin(), order.end(), 0);
  if (sort_by_kl_ && kl.size() >= order.size())
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return kl[std::size_t(a)] > kl[std::size_t(b)]; });
  std::vector<float> z = explorer_.z();
  bool changed = false;
  const float label_width = ImGui::CalcTextSize("z00 KL 00.00").x + ImGui::GetStyle().ItemSpacing.x;
  for (const int d : order) {
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
