// Loss curves: the model's loss and each named term it reports per step (raw faint, smoothed
// bold) - train -ELBO, reconstruction and KL for a VAE; reconstruction, codebook, commitment,
// perplexity for a VQ-VAE - test loss and importance-sampled NLL per epoch. Our own plot on
// ImDrawList.
#include <algorithm>
#include <cmath>
#include <limits>

#include "app/gui/diagnostics.h"
#include "app/gui/logic/column_reduce.h"
#include "app/gui/logic/smoothing.h"
#include "app/gui/panel.h"
#include "app/gui/plot_util.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "imgui.h"

namespace vae::gui {

namespace {

const ImU32 kSeriesColor[] = {IM_COL32(110, 170, 255, 255), IM_COL32(255, 160, 60, 255), IM_COL32(90, 210, 110, 255),
                              IM_COL32(230, 210, 80, 255),  IM_COL32(80, 210, 220, 255), IM_COL32(230, 110, 200, 255),
                              IM_COL32(170, 170, 170, 255)};
constexpr int kSeriesColors = sizeof kSeriesColor / sizeof kSeriesColor[0];
ImU32 series_color(int series) { return kSeriesColor[series % kSeriesColors]; }

// Series 0 is the loss, series k > 0 the model's (k-1)-th named term.
int series_count(const MetricHistory& history) { return 1 + static_cast<int>(history.term_names.size()); }
std::string series_name(const MetricHistory& history, int series) {
  if (series == 0) return history.loss_name == "neg_elbo" ? "train -ELBO" : "train loss";
  const std::string& name = history.term_names[std::size_t(series - 1)];
  return name == "recon" ? "reconstruction" : name == "kl" ? "KL" : name;
}
std::string loss_label(const MetricHistory& history) { return history.loss_name == "neg_elbo" ? "-ELBO" : "loss"; }
const ImU32 kTestColor = IM_COL32(240, 80, 80, 255);
const ImU32 kNllColor = IM_COL32(200, 120, 255, 255);
const ImU32 kGapColor = IM_COL32(200, 120, 255, 70);

float series_value(const StepMetrics& m, int series) {
  return series == 0 ? m.loss : MetricHistory::value_of(m.terms, series - 1);
}

double axis_value(double v, bool log_y) {
  if (!log_y) return v;
  return v > 0 ? std::log10(v) : std::numeric_limits<double>::quiet_NaN();
}

// Index of the first step whose epoch is >= x.
std::size_t lower_step(const StepHistory& steps, double x) {
  return std::size_t(
      std::lower_bound(steps.begin(), steps.end(), x, [](const StepMetrics& m, double v) { return m.epoch < v; }) -
      steps.begin());
}

// A series' points in pixels, from at most kPointsPerPixel per pixel column (so that thousands of
// steps stay cheap to reduce); a non-finite value stays, to break the line there.
constexpr double kPointsPerPixel = 8;
std::vector<PlotPoint> series_points(const PlotFrame& f, const StepHistory& steps, const std::vector<float>* smooth,
                                     int series, std::size_t first, std::size_t last) {
  const double columns = std::max(1.0, double(f.inner1.x - f.inner0.x));
  const std::size_t stride = std::max<std::size_t>(1, std::size_t(double(last - first) / (kPointsPerPixel * columns)));
  std::vector<PlotPoint> points;
  points.reserve((last - first) / stride + 1);
  for (std::size_t i = first; i < last; i += stride) {
    const double v = axis_value(smooth ? (*smooth)[i] : series_value(steps[i], series), f.log_y);
    points.push_back({f.to_px_x(steps[i].epoch), std::isfinite(v) ? f.to_px_y(v) : NAN});
  }
  return points;
}

// The raw values: per pixel column, a faint band from the lowest to the highest value (spikes
// stay visible; no anti-aliased hairlines to rasterise).
void draw_raw_series(ImDrawList* list, const std::vector<PlotPoint>& points, ImU32 color) {
  for (const ColumnSpan& span : column_spans(points))
    list->AddRectFilled(ImVec2(span.x, span.lo - 0.5f), ImVec2(span.x + 1, std::max(span.hi + 0.5f, span.lo + 1.0f)),
                        color);
}

// The smoothed values: an anti-aliased line through one point per pixel column.
void draw_smooth_series(ImDrawList* list, const std::vector<PlotPoint>& points, ImU32 color, float thickness) {
  std::vector<ImVec2> line;
  for (const auto& run : column_points(points)) {
    if (run.size() < 2) continue;
    line.clear();
    for (const PlotPoint& p : run) line.emplace_back(p.x, p.y);
    list->AddPolyline(line.data(), int(line.size()), color, 0, thickness);
  }
}

}  // namespace

class LossPanel : public Panel {
 public:
  explicit LossPanel(PanelContext& context) : ctx_(context) {}
  void draw() override;

 private:
  // Smoothed copies of the step series, extended incrementally as the history grows. A long run's
  // history thins (core/train/step_history.h): its rows are then recomputed once (the stride
  // changed), each row weighted by the steps it covers; the last row, still filling, is smoothed
  // afresh every frame from the state after the rows before it.
  void update_smoothing(const MetricHistory& history) {
    const auto& steps = history.steps;
    const int series = series_count(history);
    const std::uint64_t trainer = ctx_.session.trainer_serial();
    if (smooth_has_pending_)
      for (auto& values : smooth_) values.pop_back();
    smooth_has_pending_ = false;
    const bool pending = !steps.empty() && steps.back().steps_covered < steps.stride();
    const std::size_t committed = steps.size() - (pending ? 1 : 0);
    if (smoothed_with_ != smoothing_ || smoothed_trainer_ != trainer || int(smooth_.size()) != series ||
        smoothed_stride_ != steps.stride() || committed < smooth_[0].size()) {
      smooth_.assign(std::size_t(series), {});
      ema_.assign(std::size_t(series), DebiasedEma{});
      for (auto& ema : ema_) ema.reset(smoothing_);
      smoothed_with_ = smoothing_;
      smoothed_trainer_ = trainer;
      smoothed_stride_ = steps.stride();
    }
    for (std::size_t i = smooth_[0].size(); i < committed; ++i)
      for (int k = 0; k < series; ++k)
        smooth_[k].push_back(float(ema_[k].add(series_value(steps[i], k), steps[i].steps_covered)));
    if (pending) {
      for (int k = 0; k < series; ++k) {
        DebiasedEma ema = ema_[k];
        smooth_[k].push_back(float(ema.add(series_value(steps.back(), k), steps.back().steps_covered)));
      }
      smooth_has_pending_ = true;
    }
  }

  PanelContext& ctx_;
  bool log_y_ = false;
  bool auto_scroll_ = true;
  double x0_ = 0, x1_ = 1;  // epochs shown when not auto-scrolling
  float smoothing_ = 0.9f;
  std::vector<std::vector<float>> smooth_;  // one per series: the loss, then the model's terms
  std::vector<DebiasedEma> ema_;
  float smoothed_with_ = -1;
  std::uint64_t smoothed_trainer_ = ~0ull;
  std::uint32_t smoothed_stride_ = 0;
  bool smooth_has_pending_ = false;  // smooth_'s last values are the filling row's
  std::uint64_t bounded_trainer_ = ~0ull;
};

void LossPanel::draw() {
  // Test hook (diagnostics.h): a small bound makes the history thin early.
  if (ctx_.diagnostics && ctx_.diagnostics->step_history_rows() && ctx_.session.has_trainer() &&
      bounded_trainer_ != ctx_.session.trainer_serial()) {
    bounded_trainer_ = ctx_.session.trainer_serial();
    ctx_.session.trainer()->set_step_history_rows(ctx_.diagnostics->step_history_rows());
  }
  const Snapshot& snap = ctx_.session.snapshot();
  const auto& steps = snap.history.steps;
  const auto& epochs = snap.history.epochs;
  update_smoothing(snap.history);
  if (ctx_.diagnostics) {  // for the window tests: how far the history has thinned
    ctx_.diagnostics->record_value("Loss.rows", double(steps.size()));
    ctx_.diagnostics->record_value("Loss.stride", double(steps.stride()));
    if (!steps.empty()) ctx_.diagnostics->record_value("Loss.last_step", double(steps.back().step));
  }
  const int series = series_count(snap.history);
  const std::string loss = loss_label(snap.history);
  // Statistics (perplexity, dead codes) follow the loss terms and are not in nats: they are drawn
  // but do not set the axis range.
  const int statistics_at = snap.history.term_index("perplexity");
  const int nats_series = statistics_at >= 0 ? 1 + statistics_at : series;

  Toolbar bar;
  ImGui::Checkbox("log axis", &log_y_);
  tip("Logarithmic loss axis: the KL term is often ten times smaller than the reconstruction term.");
  bar.next(Toolbar::checkbox("auto-scroll"));
  ImGui::Checkbox("auto-scroll", &auto_scroll_);
  tip("Follow training: show all epochs so far. Dragging or zooming the plot turns it off; double-click turns it "
      "back on.");
  const float slider = 6.f * ImGui::GetFontSize();
  bar.next(Toolbar::labelled(slider, "smoothing"));
  ImGui::SetNextItemWidth(slider);
  ImGui::SliderFloat("smoothing", &smoothing_, 0.f, 0.99f, "%.2f");
  hot_spot(ctx_.diagnostics, "Loss.Smoothing");
  tip("Exponential moving average of the per-step losses; raw values are drawn faintly behind.");

  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 100.f);
  size.y = std::max(size.y, 80.f);
  ImGui::InvisibleButton("loss_plot", size);
  const bool hovered = ImGui::IsItemHovered();
  hot_spot(ctx_.diagnostics, "Loss.Plot");
  PlotFrame f = make_plot_frame(p0, ImVec2(p0.x + size.x, p0.y + size.y));
  f.log_y = log_y_;

  const double last_epoch = steps.empty() ? 1.0 : std::max(steps.back().epoch, 1e-3);
  if (auto_scroll_) {
    x0_ = 0;
    x1_ = std::max(last_epoch, 0.05);
  }
  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0) {
    PlotFrame tmp = f;
    tmp.x0 = x0_;
    tmp.x1 = x1_;
    const double mx = tmp.from_px_x(io.MousePos.x);
    const double factor = std::pow(0.85, io.MouseWheel);
    x0_ = mx - (mx - x0_) * factor;
    x1_ = mx + (x1_ - mx) * factor;
    auto_scroll_ = false;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 1.f)) {
    const double per_px = (x1_ - x0_) / std::max(1.f, f.inner1.x - f.inner0.x);
    x0_ -= io.MouseDelta.x * per_px;
    x1_ -= io.MouseDelta.x * per_px;
    auto_scroll_ = false;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) auto_scroll_ = true;
  f.x0 = x0_;
  f.x1 = std::max(x1_, x0_ + 1e-6);

  // The y range follows what is visible: smoothed curves and per-epoch points (raw spikes would
  // squash everything else).
  const std::size_t below = lower_step(steps, f.x0);
  const std::size_t first = below > 0 ? below - 1 : 0;
  const std::size_t last = std::min(steps.size(), lower_step(steps, f.x1) + 1);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto include = [&](double v) {
    v = axis_value(v, log_y_);
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  // The first steps of a run (losses of an untrained model, KL near zero) would stretch the axis
  // for the rest of it: once there is history, they do not count towards the range.
  const std::size_t skip = steps.size() > 200 ? steps.size() / 100 : 0;
  for (std::size_t i = std::max(first, skip); i < last; ++i) {
    for (int k = 0; k < nats_series; ++k) include(smooth_[k][i]);
  }
  for (const auto& e : epochs) {
    if (e.epoch < f.x0 || e.epoch > f.x1) continue;
    include(e.test_loss);
    if (std::isfinite(e.test_nll_is)) include(e.test_nll_is);
  }
  if (!(hi >= lo)) lo = 0, hi = log_y_ ? 3 : 1;
  const double pad = std::max((hi - lo) * 0.06, log_y_ ? 0.05 : 1e-3);
  f.y0 = lo - pad;
  f.y1 = hi + pad;

  ImDrawList* list = ImGui::GetWindowDrawList();
  draw_axes(list, f, "epoch", "nats / example");
  list->PushClipRect(f.inner0, f.inner1, true);
  if (last > first) {
    for (int k = 0; k < series; ++k) {
      const ImU32 faint = (series_color(k) & 0x00FFFFFF) | (IM_COL32_A_MASK & IM_COL32(0, 0, 0, 60));
      draw_raw_series(list, series_points(f, steps, nullptr, k, first, last), faint);
    }
    for (int k = 0; k < series; ++k)
      draw_smooth_series(list, series_points(f, steps, &smooth_[k], k, first, last), series_color(k), 2.f);
  }
  std::vector<ImVec2> test_points, nll_points;
  // The gap between test -ELBO and the importance-sampled NLL at the same epoch, as a band: it is
  // KL(q(z|x) || p(z|x)), how far the encoder is from the true posterior (Burda et al. 2016).
  std::vector<std::pair<ImVec2, ImVec2>> gap;  // (on -ELBO, on NLL) per epoch that has both
  for (const auto& e : epochs) {
    const double v = axis_value(e.test_loss, log_y_);
    if (std::isfinite(v)) test_points.emplace_back(f.to_px_x(e.epoch), f.to_px_y(v));
    const double n = axis_value(e.test_nll_is, log_y_);
    if (std::isfinite(n)) nll_points.emplace_back(f.to_px_x(e.epoch), f.to_px_y(n));
    if (std::isfinite(v) && std::isfinite(n)) gap.emplace_back(test_points.back(), nll_points.back());
  }
  for (std::size_t i = 0; i < gap.size(); ++i) {
    list->AddLine(gap[i].first, gap[i].second, kGapColor, 3.f);
    if (i + 1 < gap.size()) {
      const ImVec2 quad[4] = {gap[i].first, gap[i + 1].first, gap[i + 1].second, gap[i].second};
      list->AddConvexPolyFilled(quad, 4, kGapColor);
    }
  }
  if (test_points.size() >= 2) list->AddPolyline(test_points.data(), int(test_points.size()), kTestColor, 0, 1.5f);
  for (const auto& p : test_points) list->AddCircleFilled(p, 4.f, kTestColor);
  if (nll_points.size() >= 2) list->AddPolyline(nll_points.data(), int(nll_points.size()), kNllColor, 0, 1.5f);
  for (const auto& p : nll_points) list->AddNgonFilled(p, 5.f, kNllColor, 4);
  if (ctx_.diagnostics && !gap.empty()) ctx_.diagnostics->record_value("Loss.nll_points", double(nll_points.size()));
  list->PopClipRect();

  std::vector<LegendEntry> legend;
  for (int k = 0; k < series; ++k) legend.push_back({series_name(snap.history, k), series_color(k)});
  legend.push_back({"test " + loss, kTestColor, true});
  if (!nll_points.empty()) legend.push_back({"test NLL (IS)", kNllColor, true});
  if (!gap.empty()) legend.push_back({"gap: KL(q || true posterior)", kGapColor | IM_COL32_A_MASK, true});
  draw_legend(list, f, legend);

  if (steps.empty()) {
    const char* text = "The curves appear once training takes its first steps.";
    const ImVec2 ts = ImGui::CalcTextSize(text);
    list->AddText(ImVec2((f.inner0.x + f.inner1.x - ts.x) / 2, (f.inner0.y + f.inner1.y - ts.y) / 2),
                  IM_COL32(200, 200, 200, 200), text);
  }

  // Hover read-out: the step under the mouse and the nearest epoch's test figures.
  if (hovered && f.contains(io.MousePos) && !steps.empty()) {
    const double x = f.from_px_x(io.MousePos.x);
    std::size_t i = std::min(lower_step(steps, x), steps.size() - 1);
    if (i > 0 && std::abs(steps[i - 1].epoch - x) < std::abs(steps[i].epoch - x)) --i;
    const float px = f.to_px_x(steps[i].epoch);
    if (ctx_.diagnostics) {
      ctx_.diagnostics->record_value("Loss.hover_first_step", double(steps[i].first_step()));
      ctx_.diagnostics->record_value("Loss.hover_step", double(steps[i].step));
    }
    list->AddLine(ImVec2(px, f.inner0.y), ImVec2(px, f.inner1.y), IM_COL32(255, 255, 255, 90));
    ImGui::BeginTooltip();
    if (steps[i].steps_covered > 1)  // a thinned row: the mean of these steps
      ImGui::Text("steps %lld-%lld (mean of %u), epoch %.2f", static_cast<long long>(steps[i].first_step()),
                  static_cast<long long>(steps[i].step), steps[i].steps_covered, steps[i].epoch);
    else
      ImGui::Text("step %lld, epoch %.2f", static_cast<long long>(steps[i].step), steps[i].epoch);
    for (int k = 0; k < series; ++k) {
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(series_color(k)), "%-15s %9.3f  (raw %.3f)",
                         series_name(snap.history, k).c_str(), smooth_[k][i], series_value(steps[i], k));
    }
    ImGui::Text("beta %.3g   %.0f samples/s", steps[i].beta, steps[i].samples_per_sec);
    const EpochMetrics* nearest = nullptr;
    for (const auto& e : epochs) {
      if (!nearest || std::abs(e.epoch - x) < std::abs(nearest->epoch - x)) nearest = &e;
    }
    if (nearest && std::abs(nearest->epoch - x) < 0.5) {
      ImGui::Separator();
      std::string terms;
      for (std::size_t t = 0; t < snap.history.term_names.size(); ++t) {
        char text[64];
        std::snprintf(text, sizeof text, "%s%s %.3f", t ? ", " : "", snap.history.term_names[t].c_str(),
                      MetricHistory::value_of(nearest->test_terms, int(t)));
        terms += text;
      }
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kTestColor), "epoch %d test %s %.3f (%s)", nearest->epoch,
                         loss.c_str(), nearest->test_loss, terms.c_str());
      if (std::isfinite(nearest->test_nll_is)) {
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kNllColor), "test NLL (IS, k=%d) %.3f", nearest->iw_samples,
                           nearest->test_nll_is);
      }
      if (nearest->active_units >= 0) ImGui::Text("active units %d", nearest->active_units);
    }
    ImGui::EndTooltip();
  } else if (hovered) {
    ImGui::SetTooltip("Wheel: zoom the epoch axis. Drag: pan. Double-click: follow training again.");
  }
}

VAE_REGISTER_PANEL(LossPanel, {"Loss", "Loss curves", "Ctrl+2", {1, 1, 0.37f, 0.42f, 1.f, 240.f, 150.f}, 20});

}  // namespace vae::gui
