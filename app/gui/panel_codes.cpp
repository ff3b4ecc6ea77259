// Codes: the code view of a model with discrete codes (VQ-VAE) instead of Gaussian sliders. The
// grid of codebook indices of an encoded test image, beside that image and the decode of the
// grid; click a cell and pick another code (or turn the wheel over it) to see the decode change.
// Below, how often each codebook entry is used over the encoded test set, with its perplexity.
// Opened by itself, in the Manifold's place, when a VQ-VAE is explored; other models get a plain note.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/cursor_image.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/panel.h"
#include "app/gui/plot_util.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

namespace {

// Up to this many entries the picker shows one button per code; beyond, a number field.
constexpr int kMaxCodeButtons = 256;

// A colour per code index, so equal codes look alike across the grid.
ImU32 code_color(std::int64_t code, float alpha = 1.f) { return class_color(int(code % 10), alpha); }

}  // namespace

class CodesPanel : public Panel {
 public:
  explicit CodesPanel(PanelContext& context)
      : ctx_(context), explorer_(context.explorer), decoded_(context.cursor_worker, context.messages) {}
  void draw() override;

 private:
  void encode_image(int index);
  void refresh_usage();
  void image_row(float side);
  Box code_grid(float side);
  void code_picker();
  void usage_histogram();

  PanelContext& ctx_;
  Explorer& explorer_;
  int image_index_ = 0;
  Texture original_;
  CursorImage decoded_;  // the decode of the grid: explorer z is its code vectors (set_codes)
  int original_index_ = -1;
  std::uint64_t trainer_serial_ = ~0ull;
  int selected_cell_ = -1;     // the cell the picker edits
  std::vector<double> usage_;  // test images' code counts per codebook entry
  double perplexity_ = 0;
  int dead_codes_ = 0;
  std::uint64_t usage_serial_ = ~0ull;
};

void CodesPanel::encode_image(int index) {
  const auto& data = ctx_.session.data();
  const auto& inference = explorer_.inference();
  if (!data || !inference || data->test.count == 0) return;
  index = std::clamp(index, 0, int(data->test.count) - 1);
  try {
    const LatentCodes codes = inference->encode(data->test_image(std::size_t(index)), 1, 1);
    explorer_.codes_image = index;
    explorer_.set_codes(codes.codes);
  } catch (const std::exception& e) {
    ctx_.messages.report(std::string("Encoding failed: ") + e.what(), true);
  }
}

// Codebook use over the encoded test set: counts, perplexity exp(H) and unused entries.
void CodesPanel::refresh_usage() {
  const auto& encoded = explorer_.encoded();
  if (!encoded || encoded->codes.codes.empty()) {
    usage_.clear();
    return;
  }
  if (usage_serial_ == explorer_.encoded_serial()) return;
  usage_serial_ = explorer_.encoded_serial();
  const int k = explorer_.inference()->capabilities().codebook_size;
  usage_.assign(std::size_t(std::max(0, k)), 0.0);
  for (const std::int64_t code : encoded->codes.codes)
    if (code >= 0 && code < k) usage_[std::size_t(code)] += 1;
  double total = 0;
  for (const double c : usage_) total += c;
  double entropy = 0;
  dead_codes_ = 0;
  for (const double c : usage_) {
    if (c == 0) dead_codes_++;
    if (c > 0) entropy -= c / total * std::log(c / total);
  }
  perplexity_ = std::exp(entropy);
}

void CodesPanel::image_row(float side) {
  const auto& data = ctx_.session.data();
  const int count = data ? int(data->test.count) : 0;
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  ImGui::SetNextItemWidth(6.5f * unit);
  ImGui::InputInt("##codeimage", &image_index_);
  image_index_ = std::clamp(image_index_, 0, std::max(0, count - 1));
  hot_spot(ctx_.diagnostics, "Codes.Index");
  tip("Index of the test image whose codes to show.");
  bar.next(Toolbar::button("Encode"));
  ImGui::BeginDisabled(count == 0);
  if (ImGui::Button("Encode##codes")) encode_image(image_index_);
  ImGui::EndDisabled();
  hot_spot(ctx_.diagnostics, "Codes.Encode");
  tip("Encode the test image: each cell gets the index of the codebook entry nearest to the encoder's output there.");

  if (count > 0 && original_index_ != explorer_.codes_image && explorer_.codes_image >= 0 &&
      explorer_.codes_image < count) {
    original_.upload(data->test_picture(std::size_t(explorer_.codes_image)));
    original_index_ = explorer_.codes_image;
  }
  // The image, and the decode of the (edited) grid, side by side.
  const ImVec2 size(side, side);
  if (original_.valid() && explorer_.codes_image >= 0) {
    ImGui::Image(original_.imgui_id(), size);
    tip("The test image the codes came from (before any edits).");
  } else {
    ImGui::Dummy(size);
    tip("The codes were drawn at random: they come from no test image.");
  }
  ImGui::SameLine();
  if (decoded_.texture().valid()) {
    ImGui::Image(decoded_.texture().imgui_id(), size);
  } else {
    ImGui::Dummy(size);
  }
  hot_spot(ctx_.diagnostics, "Codes.Decode");
  tip("The decode of the code grid on the right: change a cell to see what that code draws there.");
}

// The G x G grid of code indices, one coloured cell each; returns the grid's rectangle.
Box CodesPanel::code_grid(float side) {
  const auto& c = explorer_.inference()->capabilities();
  const int gh = c.code_grid_height, gw = c.code_grid_width;
  const auto& codes = explorer_.codes();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float cell = std::floor(side / float(std::max(gh, gw)));
  const ImVec2 size(cell * float(gw), cell * float(gh));
  ImGui::InvisibleButton("codegrid", ImVec2(std::max(size.x, 1.f), std::max(size.y, 1.f)));
  hot_spot(ctx_.diagnostics, "Codes.Grid");
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* list = ImGui::GetWindowDrawList();
  char text[16];
  // The indices in the cells, in a smaller type when the cells are small (down to about 60%).
  const float widest = ImGui::CalcTextSize(std::to_string(c.codebook_size - 1).c_str()).x;
  const float type_scale = std::min({1.f, (cell - 3) / std::max(1.f, widest), (cell - 2) / ImGui::GetFontSize()});
  const bool numbers = type_scale >= 0.6f;
  const float type_size = ImGui::GetFontSize() * type_scale;
  for (int r = 0; r < gh; ++r) {
    for (int col = 0; col < gw; ++col) {
      const int index = r * gw + col;
      const std::int64_t code = codes[std::size_t(index)];
      const ImVec2 a(p.x + float(col) * cell, p.y + float(r) * cell), b(a.x + cell - 1, a.y + cell - 1);
      list->AddRectFilled(a, b, code_color(code, 0.55f));
      if (index == selected_cell_) list->AddRect(a, b, IM_COL32(255, 240, 60, 255), 0, 0, 2.f);
      if (numbers) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(code));
        const ImVec2 t = ImGui::CalcTextSize(text);
        list->AddText(ImGui::GetFont(), type_size,
                      ImVec2(a.x + (cell - t.x * type_scale) / 2, a.y + (cell - t.y * type_scale) / 2),
                      IM_COL32(255, 255, 255, 240), text);
      }
    }
  }
  if (hovered) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int col = std::clamp(int((m.x - p.x) / cell), 0, gw - 1), r = std::clamp(int((m.y - p.y) / cell), 0, gh - 1);
    const int index = r * gw + col;
    const ImVec2 a(p.x + float(col) * cell, p.y + float(r) * cell);
    list->AddRect(a, ImVec2(a.x + cell - 1, a.y + cell - 1), IM_COL32(255, 255, 255, 200), 0, 0, 1.f);
    const float wheel = ImGui::GetIO().MouseWheel;
    if (wheel != 0) {
      // The wheel steps through the codebook: a quick way to see what each entry draws here.
      std::vector<std::int64_t> edited = codes;
      const std::int64_t k = c.codebook_size;
      edited[std::size_t(index)] = ((edited[std::size_t(index)] + (wheel > 0 ? 1 : -1)) % k + k) % k;
      selected_cell_ = index;
      explorer_.set_codes(std::move(edited));
    }
    if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
      selected_cell_ = index;
      ImGui::OpenPopup("codepicker");
    }
    ImGui::SetTooltip("cell (%d, %d): code %lld\nClick to pick another code; wheel to step through the codebook.", r,
                      col, static_cast<long long>(codes[std::size_t(index)]));
  }
  code_picker();
  return Box{p.x, p.y, size.x, size.y};
}

void CodesPanel::code_picker() {
  if (!ImGui::BeginPopup("codepicker")) return;
  const auto& c = explorer_.inference()->capabilities();
  const auto& codes = explorer_.codes();
  if (selected_cell_ < 0 || std::size_t(selected_cell_) >= codes.size()) {
    ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return;
  }
  std::int64_t code = codes[std::size_t(selected_cell_)];
  std::int64_t chosen = code;
  ImGui::Text("Code of cell (%d, %d)", selected_cell_ / c.code_grid_width, selected_cell_ % c.code_grid_width);
  if (c.codebook_size <= kMaxCodeButtons) {
    const int columns = 8;
    const float w = ImGui::CalcTextSize("0000").x + 2 * ImGui::GetStyle().FramePadding.x;
    for (int k = 0; k < c.codebook_size; ++k) {
      if (k % columns != 0) ImGui::SameLine();
      char label[16];
      std::snprintf(label, sizeof label, "%d", k);
      const bool current = k == code;
      const bool unused = k < int(usage_.size()) && usage_[std::size_t(k)] == 0;
      ImGui::PushStyleColor(ImGuiCol_Button, current ? ImVec4(0.8f, 0.6f, 0.1f, 1.f)
                                                     : ImGui::ColorConvertU32ToFloat4(code_color(k, 0.45f)));
      if (unused) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.6f, 0.6f, 0.6f, 1.f));
      if (ImGui::Button(label, ImVec2(w, 0))) {
        chosen = k;
        ImGui::CloseCurrentPopup();
      }
      if (unused) ImGui::PopStyleColor();
      ImGui::PopStyleColor();
      hot_spot(ctx_.diagnostics, "Codes.Pick." + std::to_string(k));
      if (ImGui::IsItemHovered() && k < int(usage_.size()))
        ImGui::SetTooltip("code %d: %.0f uses in the encoded test set%s", k, usage_[std::size_t(k)],
                          unused ? " (a dead code)" : "");
    }
  } else {
    int value = int(code);
    ImGui::SetNextItemWidth(6.f * ImGui::GetFontSize());
    if (ImGui::InputInt("code", &value)) chosen = std::clamp(value, 0, c.codebook_size - 1);
  }
  ImGui::EndPopup();
  if (chosen != code) {
    std::vector<std::int64_t> edited = codes;
    edited[std::size_t(selected_cell_)] = chosen;
    explorer_.set_codes(std::move(edited));
  }
}

void CodesPanel::usage_histogram() {
  ImGui::Separator();
  if (usage_.empty()) {
    ImGui::TextDisabled(explorer_.encoding() ? "Encoding the test set ..." : "Codebook usage: no encoded test set yet");
    return;
  }
  ImGui::TextWrapped("Codebook usage: perplexity %.1f of %zu, %d unused", perplexity_, usage_.size(), dead_codes_);
  tip("How often each codebook entry is the nearest one, over every cell of every encoded test image. Perplexity "
      "exp(H) is the number of equally used codes with the same entropy; unused ('dead') codes never win.");
  std::vector<float> counts(usage_.begin(), usage_.end());
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGui::PlotHistogram("##usage", counts.data(), int(counts.size()), 0, nullptr, 0.f, FLT_MAX,
                       ImVec2(avail.x, std::max(3.f * ImGui::GetFontSize(), avail.y)));
  hot_spot(ctx_.diagnostics, "Codes.Usage");
  // The codes of the shown grid, marked under their bars.
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  const float bar = (b.x - a.x) / float(counts.size());
  ImDrawList* list = ImGui::GetWindowDrawList();
  std::vector<bool> shown(counts.size(), false);
  for (const std::int64_t code : explorer_.codes())
    if (code >= 0 && std::size_t(code) < shown.size()) shown[std::size_t(code)] = true;
  for (std::size_t k = 0; k < shown.size(); ++k)
    if (shown[k])
      list->AddRectFilled(ImVec2(a.x + bar * float(k), b.y - 3), ImVec2(a.x + bar * float(k + 1), b.y),
                          IM_COL32(255, 240, 60, 255));
}

void CodesPanel::draw() {
  const auto& inference = explorer_.inference();
  if (!inference) {
    ImGui::TextDisabled("No model yet");
    return;
  }
  if (!explorer_.discrete()) {
    ImGui::TextWrapped(
        "The code view is for models with discrete codes (VQ-VAE). This model is a %s with a "
        "continuous latent: move it with the Decoder's sliders or in Latent space.",
        inference->capabilities().family.c_str());
    return;
  }
  if (ctx_.session.trainer_serial() != trainer_serial_) {
    trainer_serial_ = ctx_.session.trainer_serial();
    selected_cell_ = -1;
    usage_serial_ = ~0ull;
  }
  // A fresh model shows the codes of the first test image rather than an empty grid.
  if (explorer_.codes().empty()) encode_image(image_index_);
  decoded_.refresh(explorer_);
  refresh_usage();
  const float unit = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  // Two images and the grid share the width; the histogram keeps a few lines below.
  const float side = std::max(2.f * unit, std::min(avail.x / 2 - unit, avail.y * 0.18f));
  image_row(side);
  if (explorer_.codes().empty()) return;
  const auto& c = inference->capabilities();
  ImGui::Text("%dx%d codes of %d", c.code_grid_height, c.code_grid_width, c.codebook_size);
  // The histogram below keeps about five lines.
  code_grid(std::max(2.f * unit, std::min(avail.x, ImGui::GetContentRegionAvail().y - 5.5f * unit)));
  usage_histogram();
}

VAE_REGISTER_PANEL(CodesPanel,
                   {"Codes", "Codes (VQ-VAE)", "Ctrl+Shift+K", {2, 0, 0.39f, 0.52f, 0.6f, 180.f, 220.f}, 45, false});

}  // namespace vae::gui
