// Timeline: the points of the run the trainer kept (core/train/timeline.h) as a scrub slider
// and a list, or (Compare) the decode of the cursor z under two points side by side. Choosing one makes the explored
// model (Explorer) that point's weights, so every panel (latent space, decoder, manifold, samples, reconstructions,
// aggregate, density) shows the run as it was, while training goes on; Live returns to the present. Below: what the
// store holds in memory and on disk, its budget, and whether saved checkpoints carry it.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/io/safe_file.h"
#include "imgui.h"

namespace vae::gui {

class TimelinePanel : public Panel {
 public:
  explicit TimelinePanel(PanelContext& context)
      : ctx_(context),
        explorer_(context.explorer),
        left_slot_(context.cursor_worker.add_slot()),
        right_slot_(context.cursor_worker.add_slot()) {}
  void draw() override;

 private:
  void apply_settings(Trainer& trainer);
  void scrubber();
  void point_list();
  void compare_view();
  void show_side(int slot, Texture& texture, std::uint64_t& key, std::uint64_t want,
                 const std::shared_ptr<const Inference>& inference, const char* caption, const char* spot);
  void storage(const TimelineStore& store, Trainer& trainer);
  int shown_index() const;

  PanelContext& ctx_;
  Explorer& explorer_;
  std::vector<TimelineItem> items_;
  std::uint64_t items_version_ = ~0ull;
  std::uint64_t trainer_serial_ = ~0ull;
  // Settings, handed to every new trainer.
  int memory_mb_ = int(TimelineBudget{}.memory_bytes / TimelineBudget::kMegabyte);
  int disk_mb_ = int(TimelineBudget{}.disk_bytes / TimelineBudget::kMegabyte);
  int every_steps_ = 0;
  bool save_in_checkpoints_ = false;
  // Compare: the explored model (left) against another point (right), decoding the cursor z.
  bool compare_ = false;
  int compare_index_ = 0;
  std::uint64_t compare_id_ = 0;
  std::shared_ptr<const Inference> compare_inference_;
  std::uint64_t compare_serial_ = 0;
  int left_slot_, right_slot_;
  Texture left_, right_;
  std::uint64_t left_key_ = 0, right_key_ = 0;
};

void TimelinePanel::apply_settings(Trainer& trainer) {
  TimelineBudget budget;
  budget.memory_bytes = std::uint64_t(memory_mb_) * TimelineBudget::kMegabyte;
  budget.disk_bytes = std::uint64_t(disk_mb_) * TimelineBudget::kMegabyte;
  budget.every_steps = every_steps_;
  trainer.set_timeline_budget(budget);
  // A checkpoint that carried a timeline keeps carrying it when saved again.
  if (save_in_checkpoints_) trainer.set_save_timeline(true);
  save_in_checkpoints_ = trainer.save_timeline();
}

// The list's index of the point explored now; the newest while live.
int TimelinePanel::shown_index() const {
  const auto& point = explorer_.timeline_point();
  if (!point) return int(items_.size()) - 1;
  for (std::size_t i = 0; i < items_.size(); ++i)
    if (items_[i].id == point->id) return int(i);
  return -1;
}

void TimelinePanel::scrubber() {
  const bool live = !explorer_.showing_past();
  const Snapshot& snap = ctx_.session.snapshot();
  if (live) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
  if (ImGui::Button("Live")) explorer_.show_live();
  if (live) ImGui::PopStyleColor();
  hot_spot(ctx_.diagnostics, "Timeline.Live");
  tip("Explore the latest weights again (they follow training).");
  ImGui::SameLine();
  // Wrapped: a narrow panel (1024 x 640) still shows all of it.
  if (!live) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.f, 0.8f, 0.3f, 1.f));
  if (live) {
    ImGui::TextWrapped("live: epoch %d, step %" PRId64, snap.epoch, snap.step);
  } else {
    const auto& point = *explorer_.timeline_point();
    ImGui::TextWrapped("showing epoch %d, step %" PRId64 "%s", point.point.epoch, point.point.step,
                       ctx_.session.training() ? " while training goes on" : "");
  }
  if (!live) ImGui::PopStyleColor();
  hot_spot(ctx_.diagnostics, "Timeline.Status");

  int index = shown_index();
  const int last = int(items_.size()) - 1;
  char format[64];
  if (index >= 0 && index <= last)
    std::snprintf(format, sizeof format, "epoch %d, step %" PRId64, items_[std::size_t(index)].point.epoch,
                  items_[std::size_t(index)].point.step);
  else
    std::snprintf(format, sizeof format, "(thinned out)");
  ImGui::SetNextItemWidth(-1);
  ImGui::BeginDisabled(last < 1);
  if (ImGui::SliderInt("##scrub", &index, 0, std::max(0, last), format, ImGuiSliderFlags_AlwaysClamp) && index >= 0 &&
      index <= last) {
    if (index == last && !ctx_.session.training() && live) {
      // Already the newest weights.
    } else {
      explorer_.show_timeline_point(items_[std::size_t(index)].id);
    }
  }
  ImGui::EndDisabled();
  hot_spot(ctx_.diagnostics, "Timeline.Slider");
  tip("Drag to scrub through the run: every panel shows the model as it was at that point.");
}

void TimelinePanel::point_list() {
  const float height = std::max(3 * ImGui::GetFrameHeightWithSpacing(),
                                ImGui::GetContentRegionAvail().y - 2.2f * ImGui::GetFrameHeightWithSpacing());
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("points", 4, flags, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("epoch", ImGuiTableColumnFlags_None, 0.8f);
  ImGui::TableSetupColumn("step", ImGuiTableColumnFlags_None, 1.f);
  ImGui::TableSetupColumn("test loss", ImGuiTableColumnFlags_None, 1.2f);
  ImGui::TableSetupColumn("kept", ImGuiTableColumnFlags_None, 1.f);
  ImGui::TableHeadersRow();
  const int shown = explorer_.showing_past() ? shown_index() : -1;
  // Only the visible rows are laid out: a long run keeps hundreds of points.
  ImGuiListClipper clipper;
  clipper.Begin(int(items_.size()));
  while (clipper.Step())
    for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
      const std::size_t i = std::size_t(row);
      const auto& item = items_[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(int(i));
      char label[32];
      std::snprintf(label, sizeof label, "%d", item.point.epoch);
      if (ImGui::Selectable(label, int(i) == shown, ImGuiSelectableFlags_SpanAllColumns))
        explorer_.show_timeline_point(item.id);
      // Epoch ends by epoch, points between epochs by step (for tests and measurement).
      if (ctx_.diagnostics)
        hot_spot(ctx_.diagnostics, std::isnan(item.point.test_loss) && item.point.step > 0
                                       ? "Timeline.Step" + std::to_string(item.point.step)
                                       : "Timeline.Epoch" + std::to_string(item.point.epoch));
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Explore the model as it was here.");
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::Text("%" PRId64, item.point.step);
      ImGui::TableNextColumn();
      if (std::isnan(item.point.test_loss))
        ImGui::TextDisabled("-");
      else
        ImGui::Text("%.2f", item.point.test_loss);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(item.in_memory ? "memory" : "disk");
    }
  ImGui::EndTable();
}

// One side of the comparison: decoded on the cursor worker (a conv model may take a while),
// uploaded when done.
void TimelinePanel::show_side(int slot, Texture& texture, std::uint64_t& key, std::uint64_t want,
                              const std::shared_ptr<const Inference>& inference, const char* caption,
                              const char* spot) {
  if (auto done = ctx_.cursor_worker.take(slot))
    if (done->error.empty()) texture.upload_rgba(done->rgba.data(), done->image.width, done->image.height);
  if (inference && !explorer_.z().empty() && want != key) {
    key = want;
    ctx_.cursor_worker.submit(slot, want,
                              [inference, z = explorer_.z()](const CancelToken&) { return inference->decode_one(z); });
  }
  ImGui::BeginGroup();
  const float side = std::max(32.f, std::min(0.5f * ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x,
                                             ImGui::GetContentRegionAvail().y - 2.5f * ImGui::GetTextLineHeight()));
  if (texture.valid())
    ImGui::Image(texture.imgui_id(), ImVec2(side, side));
  else
    ImGui::Dummy(ImVec2(side, side));
  hot_spot(ctx_.diagnostics, spot);
  ImGui::TextUnformatted(caption);
  ImGui::EndGroup();
}

void TimelinePanel::compare_view() {
  const int last = int(items_.size()) - 1;
  compare_index_ = std::clamp(compare_index_, 0, std::max(0, last));
  if (last < 0) return;
  const auto& item = items_[std::size_t(compare_index_)];
  char format[64];
  std::snprintf(format, sizeof format, "against epoch %d, step %" PRId64, item.point.epoch, item.point.step);
  ImGui::SetNextItemWidth(-1);
  ImGui::SliderInt("##compare", &compare_index_, 0, std::max(0, last), format, ImGuiSliderFlags_AlwaysClamp);
  hot_spot(ctx_.diagnostics, "Timeline.CompareSlider");
  tip("The point shown on the right, beside the explored model on the left.");
  const auto& wanted = items_[std::size_t(compare_index_)];
  if (wanted.id != compare_id_ || !compare_inference_) {
    try {
      Trainer* trainer = ctx_.session.trainer();
      const auto weights = trainer->timeline()->weights(wanted.id);
      if (weights) {
        compare_inference_ =
            std::make_shared<const Inference>(model_from_weights(ctx_.session.snapshot().model_config, *weights), 0);
        ++compare_serial_;
      }
    } catch (const std::exception& e) {
      ctx_.messages.report(std::string("Could not compare with that point: ") + e.what(), true);
    }
    compare_id_ = wanted.id;
  }
  const Snapshot& snap = ctx_.session.snapshot();
  const auto& shown = explorer_.timeline_point();
  char left[64], right[64];
  if (shown)
    std::snprintf(left, sizeof left, "epoch %d (explored)", shown->point.epoch);
  else
    std::snprintf(left, sizeof left, "live, epoch %d", snap.epoch);
  std::snprintf(right, sizeof right, "epoch %d", wanted.point.epoch);
  show_side(left_slot_, left_, left_key_, hash_mix(explorer_.model_serial(), explorer_.z_serial()),
            explorer_.inference(), left, "Timeline.CompareLeft");
  ImGui::SameLine();
  show_side(right_slot_, right_, right_key_, hash_mix(compare_serial_ | (1ull << 63), explorer_.z_serial()),
            compare_inference_, right, "Timeline.CompareRight");
}

void TimelinePanel::storage(const TimelineStore& store, Trainer& trainer) {
  const std::string memory = describe_bytes(store.memory_bytes());
  const std::string disk = describe_bytes(store.disk_bytes());
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%zu point%s: %s in memory, %s on disk", items_.size(), items_.size() == 1 ? "" : "s",
                     memory.c_str(), disk.c_str());
  ImGui::PopStyleColor();
  hot_spot(ctx_.diagnostics, "Timeline.Storage");
  if (ImGui::IsItemHovered()) {
    const std::string spill = store.spill_path();
    ImGui::SetTooltip(
        "The weights at the end of every epoch, %s a point. Beyond the memory budget points spill to\n%s\n"
        "(removed at exit); beyond the disk budget the timeline thins out, keeping the first,\n"
        "the last and evenly spaced points (%zu dropped so far).",
        describe_bytes(store.point_bytes()).c_str(), spill.c_str(), store.thinned_away());
  }
  if (!ImGui::CollapsingHeader("Budget and saving")) return;
  const float unit = ImGui::GetFontSize();
  bool changed = false;
  ImGui::SetNextItemWidth(6 * unit);
  changed |= ImGui::InputInt("memory MB", &memory_mb_, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue);
  tip("Weights kept in memory before points spill to the scratch file.");
  ImGui::SetNextItemWidth(6 * unit);
  changed |= ImGui::InputInt("disk MB", &disk_mb_, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue);
  tip("The scratch file's limit; beyond it the timeline keeps fewer, evenly spaced points.");
  ImGui::SetNextItemWidth(6 * unit);
  changed |= ImGui::InputInt("every N steps", &every_steps_, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue);
  tip("Also keep a point every N optimiser steps (0: at the end of every epoch only).");
  memory_mb_ = std::clamp(memory_mb_, 0, 1 << 20);
  disk_mb_ = std::clamp(disk_mb_, 0, 1 << 22);
  every_steps_ = std::max(0, every_steps_);
  if (changed) apply_settings(trainer);
  if (ImGui::Checkbox("Save the timeline in checkpoints", &save_in_checkpoints_))
    trainer.set_save_timeline(save_in_checkpoints_);
  hot_spot(ctx_.diagnostics, "Timeline.SaveInCheckpoints");
  char help[160];
  std::snprintf(help, sizeof help, "Checkpoints then carry every point (%s now), so a loaded run can be replayed here.",
                describe_bytes(std::uint64_t(items_.size()) * store.point_bytes()).c_str());
  tip(help);
}

void TimelinePanel::draw() {
  Trainer* trainer = ctx_.session.trainer();
  const auto store = trainer ? trainer->timeline() : nullptr;
  if (!store) {
    ImGui::TextWrapped(trainer ? "This model is read-only: it is explored, not trained, so it has no timeline."
                               : "No run yet: the timeline fills as a model trains, one point an epoch.");
    return;
  }
  if (ctx_.session.trainer_serial() != trainer_serial_) {
    trainer_serial_ = ctx_.session.trainer_serial();
    apply_settings(*trainer);
    compare_inference_.reset();  // another model's points
  }
  if (store->version() != items_version_) {
    items_version_ = store->version();
    items_ = store->list();
    // The point explored was thinned out: its weights stay on screen, the list just lacks it.
  }
  scrubber();
  ImGui::Checkbox("Compare", &compare_);
  hot_spot(ctx_.diagnostics, "Timeline.Compare");
  tip("Decode the cursor z under the explored model and under another point, side by side.");
  if (compare_) {
    compare_view();
    return;
  }
  point_list();
  storage(*store, *trainer);
}

VAE_REGISTER_PANEL(
    TimelinePanel,
    {"Timeline", "Timeline of the run", "Ctrl+Shift+R", {0, 1, 0.24f, 0.4f, 1.f, 240.f, 150.f}, 95, false});

}  // namespace vae::gui
