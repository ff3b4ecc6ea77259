#include "app/gui/cached_grid.h"

#include <algorithm>
#include <cmath>

#include "app/gui/logic/rgba.h"
#include "app/gui/messages.h"
#include "core/eval/inference.h"
#include "imgui.h"

namespace vae::gui {

CachedGrid::CachedGrid(DecodeWorker& worker, MessageLog& messages, std::string what)
    : worker_(worker), messages_(messages), what_(std::move(what)), slot_(worker.add_slot()) {}

void CachedGrid::poll() {
  auto done = worker_.take(slot_);
  if (!done) return;
  shown_key_ = done->key;
  if (!done->error.empty()) {
    if (done->error != last_error_) messages_.report(what_ + ": " + done->error, true);
    last_error_ = done->error;
    return;
  }
  last_error_.clear();
  if (done->image.width <= 0 || done->image.height <= 0) return;
  texture_.upload_rgba(done->rgba.data(), done->image.width, done->image.height);
  image_ = std::move(done->image);
}

void CachedGrid::request(std::uint64_t key, DecodeWorker::Job job) {
  requested_key_ = key;
  has_request_ = true;
  worker_.submit(slot_, key, std::move(job));
}

Box CachedGrid::draw(float reserve_below, float max_scale) const {
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* list = ImGui::GetWindowDrawList();
  if (!texture_.valid()) {
    ImGui::Dummy(ImVec2(std::max(avail.x, 10.f), ImGui::GetTextLineHeight()));
    list->AddText(p, IM_COL32(200, 200, 200, 255), updating() ? "decoding ..." : "(nothing decoded yet)");
    return Box{p.x, p.y, 0, 0};
  }
  const float w = float(texture_.width()), h = float(texture_.height());
  const float scale = fit_scale(w, h, avail.x, std::max(1.f, avail.y - reserve_below), max_scale);
  const ImVec2 size(std::max(1.f, std::floor(w * scale)), std::max(1.f, std::floor(h * scale)));
  const float x = p.x + std::max(0.f, std::floor((avail.x - size.x) / 2));
  ImGui::SetCursorScreenPos(ImVec2(x, p.y));
  ImGui::Image(texture_.imgui_id(), size);
  if (updating()) {
    // A small steady dot in the corner: a newer picture is being decoded. (Steady, not pulsing:
    // an animated mark would force a full redraw every frame while the worker is busy.)
    const float r = std::max(3.f, ImGui::GetFontSize() * 0.25f);
    list->AddCircleFilled(ImVec2(x + size.x - r - 3, p.y + r + 3), r + 1.5f, IM_COL32(0, 0, 0, 160));
    list->AddCircleFilled(ImVec2(x + size.x - r - 3, p.y + r + 3), r, IM_COL32(255, 200, 60, 220));
  }
  return Box{x, p.y, size.x, size.y};
}

}  // namespace vae::gui

namespace vae::gui {

std::vector<Image> decode_cancellable(const Inference& inference, const std::vector<float>& z, std::size_t count,
                                      const CancelToken& cancel, const std::vector<int>& labels) {
  constexpr std::size_t kBatch = 25;
  const std::size_t dims = count ? z.size() / count : 0;
  std::vector<Image> out;
  out.reserve(count);
  for (std::size_t first = 0; first < count; first += kBatch) {
    cancel.check();
    const std::size_t n = std::min(kBatch, count - first);
    std::vector<float> part(z.begin() + long(first * dims), z.begin() + long((first + n) * dims));
    std::vector<int> part_labels;
    if (!labels.empty()) part_labels.assign(labels.begin() + long(first), labels.begin() + long(first + n));
    auto images = inference.decode(part, n, part_labels);
    for (auto& image : images) out.push_back(std::move(image));
  }
  return out;
}

}  // namespace vae::gui
