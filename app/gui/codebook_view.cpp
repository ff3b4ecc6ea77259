#include "app/gui/codebook_view.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "app/gui/background_task.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/panel.h"
#include "app/gui/plot_util.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

CodebookView::~CodebookView() {
  if (pending_.valid()) pending_.wait();
}

void CodebookView::refresh() {
  Explorer& explorer = ctx_.explorer;
  if (pending_.valid() && pending_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    try {
      points_ = pending_.get();
    } catch (const std::exception& e) {
      ctx_.messages.report(std::string("Codebook PCA failed: ") + e.what(), true);
    }
  }
  const auto& inference = explorer.inference();
  if (!pending_.valid() && inference && points_key_ != explorer.display_serial()) {
    points_key_ = explorer.display_serial();
    pending_ = start_background_task("vae-codebook", [inference]() {
      auto points = std::make_shared<Points>();
      const auto& c = inference->capabilities();
      const std::vector<float> book = inference->codebook();
      const std::size_t k = std::size_t(c.codebook_size);
      points->code_dim = c.code_dim;
      points->xy.assign(2 * k, 0.f);
      if (k >= 2 && c.code_dim >= 1) {
        const Pca pca = compute_pca(book, k, c.code_dim, 2);
        const auto projected = pca.project(book, k);
        for (std::size_t i = 0; i < k; ++i)
          for (int a = 0; a < pca.components; ++a)
            points->xy[2 * i + std::size_t(a)] = projected[i * std::size_t(pca.components) + std::size_t(a)];
      }
      return std::shared_ptr<const Points>(std::move(points));
    });
  }
  const auto& encoded = explorer.encoded();
  if (encoded && !encoded->codes.codes.empty() && usage_serial_ != explorer.encoded_serial()) {
    usage_serial_ = explorer.encoded_serial();
    usage_.assign(std::size_t(inference ? inference->capabilities().codebook_size : 0), 0.0);
    for (const std::int64_t code : encoded->codes.codes)
      if (code >= 0 && std::size_t(code) < usage_.size()) usage_[std::size_t(code)] += 1;
  }
}

void CodebookView::draw() {
  refresh();
  Explorer& explorer = ctx_.explorer;
  const auto& c = explorer.inference()->capabilities();
  ImGui::TextWrapped(
      "Codebook: %d entries of %d numbers, on their first two principal components. Size: use by "
      "the test set; ringed: the codes of the grid in Codes.",
      c.codebook_size, c.code_dim);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 60.f);
  size.y = std::max(size.y, 60.f);
  ImGui::InvisibleButton("codebook_plot", size);
  const bool hovered = ImGui::IsItemHovered();
  PlotFrame f = make_plot_frame(p0, ImVec2(p0.x + size.x, p0.y + size.y));
  if (ctx_.diagnostics)
    ctx_.diagnostics->record("Latent space.Plot",
                             Box{f.inner0.x, f.inner0.y, f.inner1.x - f.inner0.x, f.inner1.y - f.inner0.y});
  ImDrawList* list = ImGui::GetWindowDrawList();
  if (!points_) {
    draw_axes(list, f, "PC1", "PC2");
    centred_note(list, f.inner0, f.inner1, "Projecting the codebook ...");
    return;
  }
  const auto& xy = points_->xy;
  const std::size_t k = xy.size() / 2;
  // Fit every entry, with a margin, keeping the axes' scales equal.
  double x0 = 1e30, x1 = -1e30, y0 = 1e30, y1 = -1e30;
  for (std::size_t i = 0; i < k; ++i) {
    x0 = std::min(x0, double(xy[2 * i])), x1 = std::max(x1, double(xy[2 * i]));
    y0 = std::min(y0, double(xy[2 * i + 1])), y1 = std::max(y1, double(xy[2 * i + 1]));
  }
  const double w = f.inner1.x - f.inner0.x, h = f.inner1.y - f.inner0.y;
  const double span = std::max({(x1 - x0) / w, (y1 - y0) / h, 1e-9}) * 1.15;
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  f.x0 = cx - span * w / 2, f.x1 = cx + span * w / 2;
  f.y0 = cy - span * h / 2, f.y1 = cy + span * h / 2;
  draw_axes(list, f, "PC1", "PC2");

  double total = 0;
  for (const double u : usage_) total += u;
  std::vector<int> in_grid(k, 0);
  for (const std::int64_t code : explorer.codes())
    if (code >= 0 && std::size_t(code) < k) in_grid[std::size_t(code)]++;
  list->PushClipRect(f.inner0, f.inner1, true);
  int hover = -1;
  double best = 8.0 * 8.0;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t i = 0; i < k; ++i) {
    const ImVec2 at(f.to_px_x(xy[2 * i]), f.to_px_y(xy[2 * i + 1]));
    const double share = i < usage_.size() && total > 0 ? usage_[i] / total : 0;
    const bool dead = i < usage_.size() && usage_[i] == 0;
    // Area in proportion to use; dead entries are small grey crosses.
    const float r = 2.5f + 14.f * float(std::sqrt(share));
    if (dead) {
      list->AddLine(ImVec2(at.x - 3, at.y - 3), ImVec2(at.x + 3, at.y + 3), IM_COL32(150, 150, 150, 200));
      list->AddLine(ImVec2(at.x - 3, at.y + 3), ImVec2(at.x + 3, at.y - 3), IM_COL32(150, 150, 150, 200));
    } else {
      list->AddCircleFilled(at, r, class_color(int(i % 10), 0.7f), 16);
    }
    if (in_grid[i] > 0) list->AddCircle(at, r + 3, IM_COL32(255, 240, 60, 255), 20, 2.f);
    const double dx = at.x - mouse.x, dy = at.y - mouse.y;
    if (hovered && dx * dx + dy * dy < best) best = dx * dx + dy * dy, hover = int(i);
  }
  list->PopClipRect();
  if (hover >= 0) {
    const std::size_t i = std::size_t(hover);
    ImGui::SetTooltip("code %d\n%.0f uses in the encoded test set%s\n%d cells of the grid in Codes", hover,
                      i < usage_.size() ? usage_[i] : 0.0, i < usage_.size() && usage_[i] == 0 ? " (dead)" : "",
                      in_grid[i]);
  }
}

}  // namespace vae::gui
