// Aggregate posterior: q(z) = E_x q(z|x) over the encoded test set against the prior N(0, I)
// (seed 004). A density map of q(z) in the current plane with the prior's 1/2/3-sigma circles,
// showing the "holes" where the prior has mass and the data has none; per-dimension marginal
// histograms of z ~ q(z) with the N(0, 1) density over them, sorted by KL; and an estimate of
// KL(q(z) || p(z)). Computed off the UI thread whenever the encoded test set or the plane changes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <numeric>

#include "app/gui/background_task.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/eval/aggregate_posterior.h"
#include "imgui.h"

namespace vae::gui {

namespace {

constexpr int kGridResolution = 48;     // cells per side of the density map
constexpr double kGridExtent = 4.0;     // the map covers +-4 in plane coordinates
constexpr int kMaxHistograms = 16;      // dimensions shown, highest KL first
constexpr std::size_t kMixture = 3000;  // examples forming q(z) in the KL estimate and the map
// While training, the test set is re-encoded every few seconds; the analysis (millions of mixture
// terms) follows a new encoding at most this often, so that it leaves the cores to training. A
// change of plane is followed at once.
constexpr double kTrainingRefreshSeconds = 10.0;

struct Analysis {
  AggregatePosterior aggregate;
  PlaneDensity plane;
  std::string plane_x, plane_y;
  double seconds = 0;
};

// The plane as origin + two orthonormal directions of latent space.
void plane_basis(const Plane& plane, int dims, std::vector<float>& origin, std::vector<float>& u,
                 std::vector<float>& v) {
  origin.assign(std::size_t(dims), 0.f);
  u.assign(std::size_t(dims), 0.f);
  v.assign(std::size_t(dims), 0.f);
  if (plane.uses_pca(std::size_t(dims))) {
    origin = plane.pca->mean;
    std::copy(plane.pca->axes.begin(), plane.pca->axes.begin() + dims, u.begin());
    std::copy(plane.pca->axes.begin() + dims, plane.pca->axes.begin() + 2 * dims, v.begin());
  } else {
    u[std::size_t(std::clamp(plane.dim_x, 0, dims - 1))] = 1.f;
    v[std::size_t(std::clamp(plane.dim_y, 0, dims - 1))] = 1.f;
  }
}

ImU32 heat(double t) {  // 0..1 -> dark blue .. yellow
  t = std::clamp(t, 0.0, 1.0);
  const float r = float(std::min(1.0, 1.8 * t)), g = float(std::pow(t, 0.8)), b = float(0.35 + 0.4 * (1 - t) - 0.3 * t);
  return ImGui::GetColorU32(ImVec4(r, g, std::max(0.f, b), 1.f));
}

}  // namespace

class AggregatePanel : public Panel {
 public:
  explicit AggregatePanel(PanelContext& context) : ctx_(context), explorer_(context.explorer) {}
  void draw() override;

 private:
  void refresh();
  void draw_map(const Analysis& a, float size);
  void draw_histograms(const Analysis& a, float width);

  PanelContext& ctx_;
  Explorer& explorer_;
  std::future<std::shared_ptr<const Analysis>> pending_;
  std::shared_ptr<const Analysis> analysis_;
  std::uint64_t key_ = 0;
  std::uint64_t plane_choice_ = 0;  // the plane's mode and axes, whatever the encoding
  double started_ = -1e9;           // Session::now() when the last analysis started
  std::string error_;
};

void AggregatePanel::refresh() {
  if (pending_.valid() && pending_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    try {
      analysis_ = pending_.get();
      error_.clear();
    } catch (const std::exception& e) {
      pending_ = {};
      error_ = e.what();
    }
  }
  const auto& encoded = explorer_.encoded();
  if (!encoded || encoded->codes.count == 0 || pending_.valid()) return;
  const int dims = encoded->codes.dims;
  const std::uint64_t key = explorer_.encoded_serial() * 1000003ull + explorer_.plane_key();
  if (key == key_) return;
  const std::uint64_t plane_choice = explorer_.plane().key(std::size_t(dims), 0);
  const double now = ctx_.session.now();
  if (ctx_.session.training() && analysis_ && plane_choice == plane_choice_ && now - started_ < kTrainingRefreshSeconds)
    return;
  key_ = key;
  plane_choice_ = plane_choice;
  started_ = now;
  Plane plane = explorer_.plane();
  plane.pca = encoded->has_pca ? &encoded->pca : nullptr;
  std::vector<float> origin, u, v;
  plane_basis(plane, dims, origin, u, v);
  const std::string x_name = plane.axis_name(0, std::size_t(dims)), y_name = plane.axis_name(1, std::size_t(dims));
  pending_ = start_background_task("vae-aggregate", [encoded, origin, u, v, x_name, y_name] {
    const auto start = std::chrono::steady_clock::now();
    auto a = std::make_shared<Analysis>();
    AggregatePosteriorOptions options;
    options.mixture_limit = kMixture;
    a->aggregate = analyse_aggregate_posterior(encoded->codes, options);
    a->plane = plane_density(encoded->codes, origin, u, v, kGridResolution, kGridExtent, kMixture);
    a->plane_x = x_name;
    a->plane_y = y_name;
    a->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::shared_ptr<const Analysis>(a);
  });
}

void AggregatePanel::draw_map(const Analysis& a, float size) {
  const PlaneDensity& p = a.plane;
  ImDrawList* list = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("map", ImVec2(size, size));
  hot_spot(ctx_.diagnostics, "Aggregate posterior.Map");
  const double peak = *std::max_element(p.posterior.begin(), p.posterior.end());
  const float cell = size / float(p.resolution);
  for (int row = 0; row < p.resolution; ++row)
    for (int col = 0; col < p.resolution; ++col) {
      const std::size_t i = std::size_t(row) * std::size_t(p.resolution) + std::size_t(col);
      // Square root: the tails stay visible next to the peak.
      const double t = peak > 0 ? std::sqrt(p.posterior[i] / peak) : 0;
      // Row 0 is the most negative v: drawn at the bottom.
      const float y0 = origin.y + size - float(row + 1) * cell;
      list->AddRectFilled(ImVec2(origin.x + float(col) * cell, y0), ImVec2(origin.x + float(col + 1) * cell, y0 + cell),
                          heat(t));
      if (p.posterior[i] < 0.1 * p.prior[i] && p.prior[i] > 1e-3)  // a hole: hatch it
        list->AddLine(ImVec2(origin.x + float(col) * cell, y0 + cell), ImVec2(origin.x + float(col + 1) * cell, y0),
                      IM_COL32(255, 80, 80, 110));
    }
  // The prior N(0, I) seen in the plane: circles of radius 1, 2, 3 around the projection of 0.
  double cu = 0, cv = 0;
  {
    // The prior's centre in plane coordinates is where the prior density peaks on the grid.
    const auto top = std::max_element(p.prior.begin(), p.prior.end()) - p.prior.begin();
    const double step = 2 * p.extent / p.resolution;
    cu = -p.extent + (double(top % p.resolution) + 0.5) * step;
    cv = -p.extent + (double(top / p.resolution) + 0.5) * step;
  }
  const float scale = size / float(2 * p.extent);
  const ImVec2 centre(origin.x + float(cu + p.extent) * scale, origin.y + size - float(cv + p.extent) * scale);
  for (int k = 1; k <= 3; ++k) list->AddCircle(centre, float(k) * scale, IM_COL32(255, 255, 255, 200), 64, 1.5f);
  list->AddRect(origin, ImVec2(origin.x + size, origin.y + size), IM_COL32(120, 120, 120, 255));
  char caption[160];
  std::snprintf(caption, sizeof caption, "%s (x) / %s (y), +-%.0f; circles: prior 1/2/3 sigma", a.plane_x.c_str(),
                a.plane_y.c_str(), p.extent);
  ImGui::TextUnformatted(caption);
  if (ImGui::IsItemHovered() || ImGui::IsMouseHoveringRect(origin, ImVec2(origin.x + size, origin.y + size)))
    ImGui::SetTooltip(
        "Density of q(z) = average of q(z|x) over the test set, projected on the current plane (brighter = more "
        "data). White circles: 1, 2 and 3 standard deviations of the prior N(0, I). Red hatching: holes, where the "
        "prior has mass but q(z) has less than a tenth of the prior's density: prior samples landing there decode "
        "to images unlike any training image.");
}

void AggregatePanel::draw_histograms(const Analysis& a, float width) {
  const AggregatePosterior& q = a.aggregate;
  std::vector<int> order(std::size_t(q.dims));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return q.moment_kl_per_dim[std::size_t(x)] > q.moment_kl_per_dim[std::size_t(y)];
  });
  const int shown = std::min(q.dims, kMaxHistograms);
  const float unit = ImGui::GetFontSize();
  const int columns = std::max(1, int(width / (9 * unit)));
  const float w = width / float(columns) - ImGui::GetStyle().ItemSpacing.x, h = 4.5f * unit;
  ImDrawList* list = ImGui::GetWindowDrawList();
  for (int k = 0; k < shown; ++k) {
    const int d = order[std::size_t(k)];
    const MarginalHistogram& m = q.marginals[std::size_t(d)];
    if (k % columns != 0) ImGui::SameLine();
    ImGui::BeginGroup();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(("hist" + std::to_string(d)).c_str(), ImVec2(w, h));
    const double top = std::max(*std::max_element(m.density.begin(), m.density.end()),
                                *std::max_element(m.prior_density.begin(), m.prior_density.end()));
    const float bar = w / float(m.density.size());
    list->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + h), IM_COL32(30, 30, 34, 255));
    for (std::size_t b = 0; b < m.density.size(); ++b) {
      const float bh = float(m.density[b] / top) * (h - 2);
      list->AddRectFilled(ImVec2(p0.x + float(b) * bar, p0.y + h - bh), ImVec2(p0.x + float(b + 1) * bar, p0.y + h),
                          IM_COL32(90, 150, 230, 255));
    }
    for (std::size_t b = 1; b < m.prior_density.size(); ++b)
      list->AddLine(ImVec2(p0.x + (float(b) - 0.5f) * bar, p0.y + h - float(m.prior_density[b - 1] / top) * (h - 2)),
                    ImVec2(p0.x + (float(b) + 0.5f) * bar, p0.y + h - float(m.prior_density[b] / top) * (h - 2)),
                    IM_COL32(255, 200, 60, 255), 1.5f);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip(
          "z%d: samples of q(z_%d) (blue) against N(0, 1) (yellow), over [-4, 4].\nmean %.3f, variance %.3f, "
          "KL(N(mean, var) || N(0, 1)) %.3f nats\ntotal variation to N(0, 1) %.3f, outside [-4, 4] %.1f%%",
          d, d, q.mean[std::size_t(d)], q.variance[std::size_t(d)], q.moment_kl_per_dim[std::size_t(d)],
          m.total_variation, 100 * m.outside);
    ImGui::Text("z%d  m %+.2f  v %.2f", d, q.mean[std::size_t(d)], q.variance[std::size_t(d)]);
    ImGui::EndGroup();
  }
  if (q.dims > shown) ImGui::TextDisabled("%d more dimensions with lower KL not shown", q.dims - shown);
}

void AggregatePanel::draw() {
  if (const auto& inference = explorer_.inference(); inference && !inference->capabilities().posterior_variance) {
    ImGui::TextWrapped(
        "The aggregate posterior against N(0, I) does not apply to this %s: its posterior q(z|x) is a "
        "point (a code vector), not a Gaussian, and its prior is %s. See the codebook usage in Codes.",
        inference->capabilities().family.c_str(), inference->capabilities().prior.c_str());
    return;
  }
  refresh();
  if (!error_.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", error_.c_str());
  if (!analysis_) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    centred_note(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + avail.x, p0.y + avail.y),
                 explorer_.inference() ? "encoding the test set..." : "no model yet");
    return;
  }
  const Analysis& a = *analysis_;
  ImGui::Text("KL(q(z) || p(z)) between %.2f and %.2f nats (%zu test images)%s", std::max(0.0, a.aggregate.kl_lower),
              a.aggregate.kl, a.aggregate.count, pending_.valid() ? " (updating)" : "");
  hot_spot(ctx_.diagnostics, "Aggregate posterior.KL");
  tip("How far the aggregate posterior q(z) = E_x q(z|x) is from the prior N(0, I), estimated by Monte Carlo "
      "(z ~ q(z), averaging log q(z) - log p(z); Hoffman & Johnson 2016). The upper value uses the mixture of the "
      "encoded posteriors itself, the lower one leaves out the posterior each sample came from: they bracket the "
      "data distribution's KL in expectation. 0 means samples from the prior look like encoded data.");
  ImGui::Text("prior mass in holes (this plane): %.0f%%", 100 * a.plane.prior_mass_in_holes);
  tip("Share of the prior's probability, on this plane, where q(z) has less than a tenth of the prior's density.");
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const bool side_by_side = avail.x > 1.6f * avail.y;
  const float map = std::max(
      80.f, std::min(side_by_side ? avail.x * 0.45f : avail.x, avail.y - 2 * ImGui::GetTextLineHeightWithSpacing()));
  ImGui::BeginGroup();
  draw_map(a, map);
  ImGui::EndGroup();
  if (side_by_side) ImGui::SameLine();
  ImGui::BeginChild("marginals", ImVec2(0, 0), false);
  draw_histograms(a, ImGui::GetContentRegionAvail().x);
  ImGui::EndChild();
}

VAE_REGISTER_PANEL(
    AggregatePanel,
    {"Aggregate posterior", "Aggregate posterior vs prior", "Ctrl+9", {1, 2, 0.37f, 0.3f, 1.f, 200.f, 120.f}, 90});

}  // namespace vae::gui
