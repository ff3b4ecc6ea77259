// Interpolation: decodes K points on the path between two latent codes, each either the cursor
// or the posterior mean of a test image; linear or spherical. Decoded in the background.
// Conditional models can instead hold z and change y: the first end point drawn as every class
// (style transfer between classes).
#include <algorithm>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/grid_panel.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/eval/traversal.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

class InterpolationPanel : public GridPanel {
 public:
  explicit InterpolationPanel(PanelContext& context) : GridPanel(context, "Interpolation", "interpolation.png") {}
  void draw() override;

 private:
  void refresh();
  std::vector<Image> frames() const;
  void endpoint_controls(Toolbar& bar, int which);

  int source_[2] = {1, 0};  // 0: cursor, 1: test image
  int index_[2] = {0, 1};
  int steps_ = 8;
  bool spherical_ = false;
  int path_ = 0;  // conditional: 0 between the end points, 1 the first end point as every class
};

void InterpolationPanel::refresh() {
  grid_.poll();
  const Explorer& explorer = ctx_.explorer;
  const auto& inference = explorer.inference();
  const auto& data = ctx_.session.data();
  if (!inference || explorer.z().empty()) return;
  const bool every_class = explorer.conditional() && path_ == 1;
  std::uint64_t key = hash_mix(explorer.display_serial(), std::uint64_t(steps_) * 2 + (spherical_ ? 1 : 0));
  key = hash_mix(key, every_class ? 2 : 1);
  for (int k = 0; k < 2; ++k) {
    key = hash_mix(key, std::uint64_t(source_[k]) * 1000003 + std::uint64_t(index_[k]));
    if (source_[k] == 0) key = hash_mix(key, explorer.z_serial());
  }
  key = hash_mix(key, ctx_.session.data_serial());
  if (!grid_.wanted(key)) return;
  // An end point is the cursor, or the test image to encode on the worker (-1: the cursor).
  long image[2];
  for (int k = 0; k < 2; ++k) {
    const bool test = source_[k] == 1 && data && data->test.count > 0;
    image[k] = test ? long(std::min<std::size_t>(std::size_t(std::max(0, index_[k])), data->test.count - 1)) : -1;
  }
  const int steps = steps_;
  const bool spherical = spherical_;
  const int classes = every_class ? explorer.num_classes() : 0;
  grid_.request(key, [inference, data, z = explorer.z(), a = image[0], b = image[1], steps, spherical,
                      classes](const CancelToken& cancel) {
    auto endpoint = [&](long index) {
      if (index < 0) return z;
      // A conditional model reads a test image with its own label.
      std::vector<int> label;
      if (inference->capabilities().conditional && std::size_t(index) < data->test.labels.size())
        label = {data->test.labels[std::size_t(index)]};
      return inference->encode(data->test_image(std::size_t(index)), 1, 1, label).mu;
    };
    if (classes > 0) {
      // Hold z, change y: the same z drawn as each class.
      const auto held = endpoint(a);
      std::vector<float> zs;
      std::vector<int> labels;
      for (int k = 0; k < classes; ++k) {
        zs.insert(zs.end(), held.begin(), held.end());
        labels.push_back(k);
      }
      const auto images = decode_cancellable(*inference, zs, std::size_t(classes), cancel, labels);
      return make_grid(images, int(images.size()), 1, 1.0f);
    }
    const auto from = endpoint(a), to = endpoint(b);
    cancel.check();
    const auto path = interpolate(from, to, steps, spherical);
    const std::size_t count = path.size() / from.size();
    const auto images = decode_cancellable(*inference, path, count, cancel);
    return make_grid(images, int(images.size()), 1, 1.0f);
  });
}

// The row on screen cut back into its images (one row of make_grid's cells, 1 pixel apart),
// enlarged for a GIF: no decoding again.
std::vector<Image> InterpolationPanel::frames() const {
  constexpr int kPad = 1, kZoom = 4;
  const Image& row = grid_.image();
  const int h = row.height - 2 * kPad, w = h;  // the decoded images are as wide as high
  std::vector<Image> out;
  if (h <= 0) return out;
  for (int x0 = kPad; x0 + w <= row.width - kPad; x0 += w + kPad) {
    Image cell(row.channels, h, w);
    for (int c = 0; c < row.channels; ++c)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) cell.at(c, y, x) = row.at(c, y + kPad, x0 + x);
    out.push_back(upscale(cell, kZoom));
  }
  return out;
}

void InterpolationPanel::endpoint_controls(Toolbar& bar, int which) {
  const auto& data = ctx_.session.data();
  const int count = data ? int(data->test.count) : 1;
  const float unit = ImGui::GetFontSize();
  ImGui::PushID(which);
  const char* label = which == 0 ? "from" : "to";
  if (which > 0) bar.next(ImGui::CalcTextSize(label).x);
  ImGui::TextUnformatted(label);
  bar.next(7.5f * unit);
  ImGui::SetNextItemWidth(7.5f * unit);
  ImGui::Combo("##src", &source_[which], "cursor z\0test image\0");
  tip("An end point: the current cursor z, or the posterior mean of a test image.");
  if (source_[which] == 1) {
    bar.next(6.f * unit);
    ImGui::SetNextItemWidth(6.f * unit);
    ImGui::InputInt("##idx", &index_[which]);
    index_[which] = std::clamp(index_[which], 0, std::max(0, count - 1));
    tip("Index of the test image.");
  }
  ImGui::PopID();
}

void InterpolationPanel::draw() {
  Toolbar bar;
  const float unit = ImGui::GetFontSize();
  const bool conditional = ctx_.explorer.conditional();
  if (conditional) {
    ImGui::SetNextItemWidth(10.f * unit);
    ImGui::Combo("##path", &path_, "change z (path)\0hold z, every class\0");
    hot_spot(ctx_.diagnostics, "Interpolation.Path");
    tip("Change z: images along the path between two end points, drawn for the chosen class. Hold z, every "
        "class: the first end point's z drawn as each class in turn (style transfer between classes).");
    bar.next(ImGui::CalcTextSize("from").x);
  }
  const bool every_class = conditional && path_ == 1;
  endpoint_controls(bar, 0);
  if (!every_class) {
    endpoint_controls(bar, 1);
    bar.next(Toolbar::labelled(6.f * unit, "steps"));
    ImGui::SetNextItemWidth(6.f * unit);
    ImGui::SliderInt("steps", &steps_, 2, 24);
    tip("Number of images along the path, end points included.");
    bar.next(Toolbar::checkbox("spherical"));
    ImGui::Checkbox("spherical", &spherical_);
    tip("Spherical interpolation (slerp) keeps the norm typical of N(0, I) samples instead of cutting through the "
        "low-density centre of the prior.");
  }
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##interp")) export_picture();
  hot_spot(ctx_.diagnostics, "Interpolation.Export");
  tip("Write the row as interpolation.png in the export folder.");
  bar.next(Toolbar::button("Export GIF"));
  if (ImGui::Button("Export GIF##interp")) export_gif(ctx_.session, ctx_.messages, frames(), "interpolation.gif");
  hot_spot(ctx_.diagnostics, "Interpolation.ExportGif");
  tip("Write interpolation.gif in the export folder: the path as an animation, one frame per image.");
  refresh();
  grid_.draw();
  hot_spot(ctx_.diagnostics, "Interpolation.Row");
  tip(every_class ? "The same z drawn as every class, class 0 on the left."
                  : "Decoded path from the first end point (left) to the second (right).");
}

VAE_REGISTER_PANEL(InterpolationPanel,
                   {"Interpolation", "Interpolation", "Ctrl+6", {2, 1, 0.39f, 0.2f, 1.f, 150.f, 110.f}, 60});

}  // namespace vae::gui
