// Traversals: one row per latent dimension, that dimension swept over +-range prior standard
// deviations around the cursor z while the others stay put. Rows sorted by KL (over the encoded
// test set), labelled with the dimension and its KL; inactive dimensions (the active-units rule of
// core/eval/posterior_health.h) collapsed unless asked for. A click on a cell moves the cursor
// there. Decoded on the grid worker; exported as a labelled PNG sheet or an animated GIF.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "app/gui/cached_grid.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/logic/hash.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/eval/posterior_health.h"
#include "core/eval/traversal.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

constexpr int kPadding = 2;  // between the cells of the decoded grid, in image pixels
constexpr int kExportZoom = 2;

// The traversal a finished job decoded, handed from the worker to the UI thread by key.
struct LatestTraversal {
  std::mutex mutex;
  std::uint64_t key = 0;
  std::shared_ptr<const Traversal> traversal;
};

}  // namespace

class TraversalsPanel : public Panel {
 public:
  explicit TraversalsPanel(PanelContext& context)
      : ctx_(context),
        grid_(context.grid_worker, context.messages, "Traversals"),
        latest_(std::make_shared<LatestTraversal>()) {}
  void draw() override;
  const char* export_name() const override { return "traversal.png"; }
  void export_picture() override {
    if (!shown_) return ctx_.messages.report("Nothing to export yet", true);
    export_png(ctx_.session, ctx_.messages, traversal_sheet(*shown_, kExportZoom), export_name());
  }

 private:
  void posterior_statistics();
  void refresh();
  void draw_grid();

  PanelContext& ctx_;
  CachedGrid grid_;
  std::shared_ptr<LatestTraversal> latest_;
  std::shared_ptr<const Traversal> shown_;  // what the picture on screen shows
  int steps_ = 9;
  float range_ = 3.f;
  bool show_inactive_ = false;
  // KL and activity per dimension over the encoded test set, for the row order and labels.
  std::uint64_t statistics_serial_ = ~0ull;
  std::vector<double> kl_, activity_;
  double clicked_dim_ = -1, clicked_value_ = 0;  // the last click, for tests
};

void TraversalsPanel::posterior_statistics() {
  const auto& encoded = ctx_.explorer.encoded();
  if (!encoded) {
    kl_.clear();
    activity_.clear();
    statistics_serial_ = ~0ull;
    return;
  }
  if (statistics_serial_ == ctx_.explorer.encoded_serial()) return;
  statistics_serial_ = ctx_.explorer.encoded_serial();
  kl_ = posterior_kl_per_dim(encoded->codes);
  activity_ = posterior_activity(encoded->codes);
}

void TraversalsPanel::refresh() {
  grid_.poll();
  {
    std::lock_guard<std::mutex> lock(latest_->mutex);
    if (latest_->traversal && latest_->key == grid_.shown_key()) shown_ = latest_->traversal;
  }
  const Explorer& explorer = ctx_.explorer;
  const auto& inference = explorer.inference();
  if (!inference || explorer.z().empty()) return;
  posterior_statistics();
  const std::size_t dims = explorer.z().size();
  std::vector<double> kl = kl_.size() == dims ? kl_ : std::vector<double>();
  std::vector<double> activity = activity_.size() == dims ? activity_ : std::vector<double>();
  // With no active dimension at all (an untrained or collapsed model) every row is shown.
  const bool skip = !show_inactive_ && count_active_units(activity) > 0;
  std::uint64_t key = hash_mix(explorer.display_serial(), explorer.z_serial());
  key = hash_mix(key, std::uint64_t(steps_) * 4 + (skip ? 1 : 0));
  key = hash_mix(key, std::uint64_t(std::lround(range_ * 100)));
  key = hash_mix(key, statistics_serial_);
  if (!grid_.wanted(key)) return;
  TraversalOptions options;
  options.steps = steps_;
  options.range = range_;
  options.center = explorer.z();
  options.kl_per_dim = std::move(kl);
  options.activity = std::move(activity);
  options.skip_inactive = skip;
  grid_.request(key, [inference, options, latest = latest_, key](const CancelToken& cancel) {
    cancel.check();
    auto traversal = std::make_shared<Traversal>(compute_traversal(*inference, options));
    cancel.check();
    Image grid = make_grid(traversal->cells, traversal->steps, kPadding, 0.15f);
    std::lock_guard<std::mutex> lock(latest->mutex);
    latest->key = key;
    latest->traversal = std::move(traversal);
    return grid;
  });
}

void TraversalsPanel::draw_grid() {
  const Texture& texture = grid_.texture();
  const Traversal* t = shown_.get();
  if (!texture.valid() || !t || t->cells.empty()) {
    ImGui::TextDisabled(grid_.updating() ? "decoding ..." : "(nothing decoded yet)");
    return;
  }
  const int rows = int(t->dims.size());
  const int cell_w = t->cells.front().width, cell_h = t->cells.front().height;
  // Labels left of the rows, offsets above the columns.
  const float label_w = ImGui::CalcTextSize("z000  KL 00.00 ").x;
  const float header_h = ImGui::GetTextLineHeightWithSpacing();
  const float avail_w = std::max(40.f, ImGui::GetContentRegionAvail().x - label_w);
  // As wide as there is room for, at most 4 screen pixels per image pixel; rows scroll.
  const float scale = std::clamp(avail_w / float(texture.width()), 0.25f, 4.f);
  const float pitch_x = float(cell_w + kPadding) * scale, pitch_y = float(cell_h + kPadding) * scale;
  ImDrawList* list = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float grid_x = origin.x + label_w, grid_y = origin.y + header_h;
  // Offsets above the columns: all of them when they fit, else the two ends and the middle.
  const bool all_offsets = ImGui::CalcTextSize("+0.0 ").x <= pitch_x;
  for (int s = 0; s < t->steps; ++s) {
    if (!all_offsets && s != 0 && s != t->steps - 1 && s != t->steps / 2) continue;
    char text[16];
    std::snprintf(text, sizeof text, "%+.1f", t->offsets[std::size_t(s)]);
    const float x = grid_x + float(kPadding) * scale + float(s) * pitch_x +
                    (float(cell_w) * scale - ImGui::CalcTextSize(text).x) / 2;
    list->AddText(ImVec2(x, origin.y), IM_COL32(170, 170, 170, 255), text);
  }
  for (int r = 0; r < rows; ++r) {
    char text[48];
    if (std::isnan(t->kl[std::size_t(r)]))
      std::snprintf(text, sizeof text, "z%d", t->dims[std::size_t(r)]);
    else
      std::snprintf(text, sizeof text, "z%d  KL %.2f", t->dims[std::size_t(r)], t->kl[std::size_t(r)]);
    const float y = grid_y + float(kPadding) * scale + float(r) * pitch_y +
                    (float(cell_h) * scale - ImGui::GetTextLineHeight()) / 2;
    list->AddText(ImVec2(origin.x, y),
                  t->active[std::size_t(r)] ? IM_COL32(230, 230, 230, 255) : IM_COL32(130, 130, 130, 255), text);
  }
  ImGui::SetCursorScreenPos(ImVec2(grid_x, grid_y));
  const ImVec2 size(float(texture.width()) * scale, float(texture.height()) * scale);
  const bool clicked = ImGui::ImageButton(texture.imgui_id(), size, ImVec2(0, 0), ImVec2(1, 1), 0);
  hot_spot(ctx_.diagnostics, "Traversals.Grid");
  // The cell under the mouse: (row, step), or -1 between cells.
  const ImVec2 mouse = ImGui::GetMousePos();
  const float fx = (mouse.x - grid_x) / scale - float(kPadding), fy = (mouse.y - grid_y) / scale - float(kPadding);
  const int step = fx >= 0 ? int(fx) / (cell_w + kPadding) : -1, row = fy >= 0 ? int(fy) / (cell_h + kPadding) : -1;
  const bool on_cell = step >= 0 && step < t->steps && row >= 0 && row < rows &&
                       int(fx) % (cell_w + kPadding) < cell_w && int(fy) % (cell_h + kPadding) < cell_h;
  // The column of the centre (offset 0) is the cursor itself: outlined.
  for (int s = 0; s < t->steps; ++s)
    if (std::abs(t->offsets[std::size_t(s)]) < 1e-9) {
      const float x = grid_x + float(kPadding) * scale + float(s) * pitch_x;
      list->AddRect(ImVec2(x - 1, grid_y), ImVec2(x + float(cell_w) * scale + 1, grid_y + size.y),
                    IM_COL32(255, 200, 60, 200));
    }
  if (ImGui::IsItemHovered() && on_cell) {
    const int d = t->dims[std::size_t(row)];
    const float value = t->center[std::size_t(d)] + float(t->offsets[std::size_t(step)]);
    ImGui::SetTooltip("z%d = %.2f (cursor %+.1f)%s\nClick: move the cursor here.", d, value,
                      t->offsets[std::size_t(step)], t->active[std::size_t(row)] ? "" : "\ninactive dimension");
    if (clicked) {
      std::vector<float> z = t->center;
      z[std::size_t(d)] = value;
      if (z.size() == ctx_.explorer.z().size()) {
        ctx_.explorer.set_z(std::move(z));
        clicked_dim_ = d;
        clicked_value_ = value;
      }
    }
  }
  ImGui::SetCursorScreenPos(ImVec2(origin.x, grid_y + size.y + ImGui::GetStyle().ItemSpacing.y));
  ImGui::Dummy(ImVec2(1, 1));
}

void TraversalsPanel::draw() {
  const auto& inference = ctx_.explorer.inference();
  const ImVec2 p0 = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
  if (!inference) {
    centred_note(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + avail.x, p0.y + avail.y), "no model yet");
    return;
  }
  if (!inference->capabilities().continuous_latent ||
      inference->capabilities().posterior == PosteriorKind::DiscreteCodes) {
    ImGui::TextWrapped(
        "Traversals do not apply to this %s: its latent is a grid of discrete codes, and moving one value of one code "
        "vector leaves the codebook. The Codes panel shows what each code decodes to.",
        inference->capabilities().family.c_str());
    return;
  }
  if (ctx_.diagnostics && clicked_dim_ >= 0) {
    ctx_.diagnostics->record_value("Traversals.clicked_dim", clicked_dim_);
    ctx_.diagnostics->record_value("Traversals.clicked_value", clicked_value_);
    if (!ctx_.explorer.z().empty() && std::size_t(clicked_dim_) < ctx_.explorer.z().size())
      ctx_.diagnostics->record_value("Traversals.cursor_value", ctx_.explorer.z()[std::size_t(clicked_dim_)]);
  }
  const float unit = ImGui::GetFontSize();
  Toolbar bar;
  ImGui::SetNextItemWidth(6 * unit);
  ImGui::SliderInt("steps", &steps_, 3, 15);
  tip("Values per dimension, evenly spaced over the range, the cursor's value in the middle (odd counts).");
  bar.next(Toolbar::labelled(6 * unit, "range"));
  ImGui::SetNextItemWidth(6 * unit);
  ImGui::SliderFloat("range", &range_, 0.5f, 5.f, "+-%.1f sd");
  tip("How far each dimension is moved either way from the cursor, in standard deviations of the prior N(0, 1).");
  bar.next(Toolbar::checkbox("inactive rows"));
  ImGui::Checkbox("inactive rows", &show_inactive_);
  tip("Also show the dimensions that are not active units (Cov_x(E[z_d | x]) <= 0.01, Burda et al.): the "
      "posterior ignores them, so moving them changes little.");
  bar.next(Toolbar::button("Export PNG"));
  if (ImGui::Button("Export PNG##traversal")) export_picture();
  tip("Write the rows as traversal.png in the export folder, labelled with each dimension, its KL and the offsets.");
  bar.next(Toolbar::button("Export GIF"));
  if (ImGui::Button("Export GIF##traversal")) {
    if (shown_)
      export_gif(ctx_.session, ctx_.messages, traversal_frames(*shown_, kExportZoom), "traversal.gif");
    else
      ctx_.messages.report("Nothing to export yet", true);
  }
  hot_spot(ctx_.diagnostics, "Traversals.ExportGif");
  tip("Write traversal.gif in the export folder: one frame per step, every row's image in each frame.");
  refresh();
  if (shown_ && !activity_.empty()) {
    const int active = count_active_units(activity_), all = int(activity_.size());
    if (active < all && !show_inactive_ && active > 0)
      ImGui::TextDisabled("%d of %d dimensions active; %d inactive hidden", active, all, all - active);
  } else if (kl_.empty() && ctx_.explorer.encoded()) {
    ImGui::TextDisabled("rows in dimension order: this model has no per-dimension KL");
  }
  ImGui::BeginChild("rows", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  draw_grid();
  ImGui::EndChild();
}

VAE_REGISTER_PANEL(
    TraversalsPanel,
    {"Traversals", "Latent traversals", "Ctrl+Shift+T", {3, 1, 0.45f, 1.f, 1.f, 220.f, 160.f}, 93, false});

}  // namespace vae::gui
