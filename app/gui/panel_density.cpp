// Density and outliers (seed 002): per-example scores of the test set and of a second data set
// opened against the same model (File > Score another data set..., a folder dropped on this panel,
// the field below, or --score-data). Three scores: -ELBO, importance-sampled -log p(x) (k chosen)
// and the complexity-corrected score of Serra et al. (2020). Views: the two sets' histograms on
// shared bins, AUROC / AUPR / FPR95 of every score side by side, the most and least likely images
// of each set (a click makes one the cursor z), and mean scores per class.
//
// Scoring runs on its own thread (progress, ETA, Cancel), never in a frame; its result belongs to
// the weights it was computed with, and the panel says when the model has moved on since.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <memory>

#include "app/gui/background_task.h"
#include "app/gui/density_scoring.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/logic/drop.h"
#include "app/gui/logic/score_views.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/eval/ood.h"
#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {

constexpr int kHistogramBins = 40;
constexpr int kMaxThumbnails = 12;   // per gallery row
constexpr int kMaxIwSamples = 5000;  // k beyond this costs minutes per thousand images
constexpr OodScoreKind kKinds[] = {OodScoreKind::NegElbo, OodScoreKind::ImportanceSampled,
                                   OodScoreKind::ComplexityCorrected};
const char* const kKindLabels[] = {"-ELBO", "IS -log p(x)", "complexity-corrected"};
const std::size_t kLimits[] = {1000, 2000, 5000, 10000, 0};
const char* const kLimitLabels = "1000\0002000\0005000\00010000\0all\0";
const ImU32 kSetColour[2] = {IM_COL32(80, 150, 240, 150), IM_COL32(250, 150, 50, 150)};

// A strip of thumbnails in one texture, with each one's place in it.
struct Gallery {
  std::vector<std::size_t> indices;
  Texture texture;
  int cell_w = 0, cell_h = 0, padding = 1;
};

}  // namespace

class DensityPanel : public Panel {
 public:
  explicit DensityPanel(PanelContext& context) : ctx_(context) {}
  void draw() override;

 private:
  void follow_requests();
  void start_scoring();
  void collect();
  void rebuild_views();
  void draw_controls();
  void draw_metrics();
  void draw_histogram(float height);
  void draw_galleries();
  void draw_gallery(int set, bool least, float thumb);
  void draw_class_means();

  PanelContext& ctx_;
  // What the user chose.
  int kind_ = 2;  // index into kKinds: complexity-corrected by default, the score that works
  int iw_samples_ = 0;
  int limit_index_ = 4;
  char spec_field_[512] = "";
  // The second set: requested, loading, loaded.
  std::uint64_t seen_request_ = 0;
  std::string second_spec_;
  std::future<std::shared_ptr<const Dataset>> loading_;
  std::vector<std::future<std::shared_ptr<const Dataset>>> abandoned_;
  std::shared_ptr<const Dataset> second_;
  bool score_when_ready_ = false;
  // The work and its result.
  std::unique_ptr<ScoringJob> job_;
  std::shared_ptr<const Scored> result_;
  std::string error_;
  // Views of the result under the chosen kind, rebuilt when either changes.
  const Scored* viewed_ = nullptr;
  int viewed_kind_ = -1;
  int viewed_thumbs_ = 0;
  std::vector<double> scores_[2];
  OverlaidHistogram histogram_;
  DetectionMetrics metrics_[3];
  bool metrics_valid_[3] = {false, false, false};
  Gallery galleries_[2][2];  // [set][0 most likely, 1 least likely]
  int thumbs_wanted_ = 8;
  double clicked_ = -1;  // the gallery image last made the cursor (set * 1e6 + index), for tests
};

void DensityPanel::follow_requests() {
  Session& session = ctx_.session;
  // A request waits for the model's data set: an image folder is read at its size and colour.
  if (session.scoring_serial() != seen_request_ && session.data() && !session.loading_data()) {
    seen_request_ = session.scoring_serial();
    const std::string spec_text = scoring_spec_for_path(session.scoring_request());
    std::snprintf(spec_field_, sizeof spec_field_, "%s", session.scoring_request().c_str());
    error_.clear();
    try {
      DataSpec spec = DataSpec::parse(spec_text);
      spec.image_size = session.data()->height;
      spec.rgb = session.data()->channels == 3;
      second_spec_ = spec_text;
      // A superseded load finishes on its own thread and is dropped (never waited for in a frame).
      if (loading_.valid()) abandoned_.push_back(std::move(loading_));
      loading_ = start_background_task("vae-density", [spec] { return every_image_as_test(load_dataset(spec)); });
      score_when_ready_ = true;
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  abandoned_.erase(
      std::remove_if(abandoned_.begin(), abandoned_.end(),
                     [](const auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }),
      abandoned_.end());
  if (loading_.valid() && loading_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    try {
      second_ = loading_.get();
    } catch (const std::exception& e) {
      error_ = e.what();
      score_when_ready_ = false;
    }
  }
  if (score_when_ready_ && !loading_.valid() && ctx_.explorer.inference() && session.data()) {
    score_when_ready_ = false;
    start_scoring();
  }
}

void DensityPanel::start_scoring() {
  const auto& inference = ctx_.explorer.inference();
  const auto& data = ctx_.session.data();
  if (!inference || !data) return;
  job_.reset();  // cancels and waits for a job under way
  ScoringJob::Request r;
  r.inference = inference;
  r.test_data = data;
  r.second = second_;
  r.second_name = second_ ? second_->name : "";
  r.options.kind = OodScoreKind::ComplexityCorrected;  // fills all parts: -ELBO, IS (k > 0), complexity
  r.options.iw_samples = inference->capabilities().importance_sampling ? iw_samples_ : 0;
  r.options.limit = kLimits[limit_index_];
  r.model_serial = ctx_.explorer.model_serial();
  r.epoch = ctx_.session.snapshot().epoch;
  error_.clear();
  job_ = std::make_unique<ScoringJob>(std::move(r));
}

void DensityPanel::collect() {
  if (!job_ || !job_->done()) return;
  try {
    result_ = job_->take();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  job_.reset();
}

void DensityPanel::rebuild_views() {
  if (!result_) return;
  if (viewed_ == result_.get() && viewed_kind_ == kind_ && viewed_thumbs_ == thumbs_wanted_) return;
  const Scored& r = *result_;
  if (viewed_ != result_.get()) {
    for (int k = 0; k < 3; ++k) {
      metrics_valid_[k] = false;
      if (!r.has_second) continue;
      const auto in = score_of_kind(r.sets[0].scores, kKinds[k], r.dims);
      const auto out = score_of_kind(r.sets[1].scores, kKinds[k], r.dims);
      if (in.empty() || out.empty()) continue;
      metrics_[k] = detection_metrics(in, out);
      metrics_valid_[k] = true;
    }
  }
  viewed_ = result_.get();
  viewed_kind_ = kind_;
  viewed_thumbs_ = thumbs_wanted_;
  const int sets = r.has_second ? 2 : 1;
  for (int s = 0; s < 2; ++s)
    scores_[s] = s < sets ? score_of_kind(r.sets[s].scores, kKinds[kind_], r.dims) : std::vector<double>();
  histogram_ = overlaid_histogram(scores_[0], scores_[1], kHistogramBins);
  for (int s = 0; s < 2; ++s)
    for (int least = 0; least < 2; ++least) {
      Gallery& g = galleries_[s][least];
      g.indices =
          s < sets ? extreme_indices(scores_[s], std::size_t(thumbs_wanted_), least == 1) : std::vector<std::size_t>();
      if (g.indices.empty()) continue;
      const Dataset& d = *r.sets[s].data;
      std::vector<Image> pictures;
      for (std::size_t i : g.indices) pictures.push_back(d.test_picture(i));
      g.cell_w = d.width;
      g.cell_h = d.height;
      g.texture.upload(make_grid(pictures, int(pictures.size()), g.padding, 0.25f));
    }
}

void DensityPanel::draw_controls() {
  const float unit = ImGui::GetFontSize();
  const auto& inference = ctx_.explorer.inference();
  const bool can_is = inference && inference->capabilities().importance_sampling;
  Toolbar bar;
  ImGui::SetNextItemWidth(11 * unit);
  ImGui::Combo("score", &kind_, kKindLabels, 3);
  hot_spot(ctx_.diagnostics, "Density.Kind");
  tip(describe(kKinds[kind_]).c_str());
  bar.next(Toolbar::labelled(5 * unit, "IS k"));
  ImGui::BeginDisabled(!can_is);
  ImGui::SetNextItemWidth(5 * unit);
  if (ImGui::InputInt("IS k", &iw_samples_, 0)) iw_samples_ = std::clamp(iw_samples_, 0, kMaxIwSamples);
  ImGui::EndDisabled();
  hot_spot(ctx_.diagnostics, "Density.IsK");
  tip(can_is ? "Importance samples k for -log p(x) (Burda et al. 2016); 0 skips it. Costs k decodes per image; the "
               "complexity-corrected score then uses it instead of -ELBO. Takes effect at the next Score."
             : "This model has no importance-sampled likelihood (no density for its posterior).");
  bar.next(Toolbar::labelled(5 * unit, "images"));
  ImGui::SetNextItemWidth(5 * unit);
  ImGui::Combo("images", &limit_index_, kLimitLabels);
  hot_spot(ctx_.diagnostics, "Density.Images");
  tip("How many images of each set to score (the first ones).");
  const bool running = bool(job_);
  bar.next(Toolbar::button("Score"));
  ImGui::BeginDisabled(running || !inference || !ctx_.session.data());
  if (ImGui::Button("Score")) start_scoring();
  ImGui::EndDisabled();
  hot_spot(ctx_.diagnostics, "Density.Score");
  tip("Score the test set (and the second set, if one is open) with the current weights.");
  // The second set: a path or spec typed here, or File > Score another data set..., or a drop.
  bar.next(18 * unit);
  ImGui::SetNextItemWidth(14 * unit);
  const bool entered = ImGui::InputTextWithHint("##second", "second set: folder, IDX file or spec", spec_field_,
                                                sizeof spec_field_, ImGuiInputTextFlags_EnterReturnsTrue);
  hot_spot(ctx_.diagnostics, "Density.SecondSet");
  tip("A second data set to score against this model: an IDX folder (t10k-* files are enough), a single IDX image "
      "file, a folder of images, or a spec (idx:DIR, images:DIR, synthetic). Enter loads and scores it. You can "
      "also drop a folder on this panel or use File > Score another data set...");
  ImGui::SameLine();
  if ((ImGui::Button("Load") || entered) && spec_field_[0]) ctx_.session.request_scoring(spec_field_);
  if (running) {
    const double f = job_->fraction();
    const std::string eta = eta_text(job_->elapsed(), f);
    char overlay[160];
    std::snprintf(overlay, sizeof overlay, "%s %.0f%%%s%s", job_->stage() == 0 ? "test set" : "second set", 100 * f,
                  eta.empty() ? "" : ", ", eta.empty() ? "" : (eta + " left").c_str());
    ImGui::ProgressBar(float(f), ImVec2(-(Toolbar::button("Cancel") + ImGui::GetStyle().ItemSpacing.x), 0), overlay);
    hot_spot(ctx_.diagnostics, "Density.Progress");
    ImGui::SameLine();
    ImGui::BeginDisabled(job_->cancelling());
    if (ImGui::Button("Cancel##scoring")) job_->cancel();
    ImGui::EndDisabled();
    hot_spot(ctx_.diagnostics, "Density.Cancel");
  } else if (loading_.valid()) {
    ImGui::TextDisabled("loading %s ...", second_spec_.c_str());
  } else if (ctx_.session.scoring_serial() != seen_request_) {
    ImGui::TextDisabled("waiting for the model's data set before reading %s", ctx_.session.scoring_request().c_str());
    tip("A second set is read at the model's image size and colour, known once the model's own data is loaded.");
  }
}

void DensityPanel::draw_metrics() {
  const Scored& r = *result_;
  const bool stale = r.model_serial != ctx_.explorer.model_serial();
  ImGui::Text("%s: %zu images", r.sets[0].name.c_str(), r.sets[0].scores.neg_elbo.size());
  if (r.has_second) {
    ImGui::Text("vs %s: %zu images", r.sets[1].name.c_str(), r.sets[1].scores.neg_elbo.size());
    if (ctx_.diagnostics) ctx_.diagnostics->record_value("Density.n_second", double(r.sets[1].scores.neg_elbo.size()));
    tip(("The second data set, " + second_spec_ + ": every image it holds (held-out ones first).").c_str());
  }
  if (stale) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.75f, 0.3f, 1), "(scored at epoch %d; the model has changed: Score again)", r.epoch);
  }
  if (!r.has_second) {
    ImGui::TextDisabled("Open a second data set to compare (AUROC, AUPR, FPR95).");
    return;
  }
  if (!ImGui::BeginTable("metrics", 4, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) return;
  ImGui::TableSetupColumn("score");
  ImGui::TableSetupColumn("AUROC");
  ImGui::TableSetupColumn("AUPR");
  ImGui::TableSetupColumn("FPR95");
  ImGui::TableHeadersRow();
  std::string means;  // of the chosen score, shown under the table
  static const char* const kMetricKeys[] = {"elbo", "iw", "complexity"};
  for (int k = 0; k < 3; ++k) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    const bool chosen = k == kind_;
    if (ImGui::Selectable(kKindLabels[k], chosen, ImGuiSelectableFlags_SpanAllColumns)) kind_ = k;
    tip(describe(kKinds[k]).c_str());
    if (!metrics_valid_[k]) {
      ImGui::TableNextColumn();
      ImGui::TextDisabled(k == 1 ? "k = 0" : "n/a");
      if (k == 1) tip("Importance-sampled scores need k > 0: set IS k above and press Score.");
      continue;
    }
    const DetectionMetrics& m = metrics_[k];
    ImGui::TableNextColumn();
    ImGui::Text("%.3f", m.auroc);
    if (chosen) hot_spot(ctx_.diagnostics, "Density.AUROC");
    tip("Area under the ROC curve: the chance that a random image of the second set scores higher (more unusual) "
        "than a random test image. 0.5 = no better than chance; below 0.5 the score ranks the second set as MORE "
        "likely than the model's own data.");
    ImGui::TableNextColumn();
    ImGui::Text("%.3f", m.aupr);
    tip("Average precision with the second set as the positives: 1 = every outlier ranks above every test image.");
    ImGui::TableNextColumn();
    ImGui::Text("%.3f", m.fpr95);
    tip("False-positive rate at 95% true-positive rate: the share of test images flagged when the threshold "
        "catches 95% of the second set. Lower is better.");
    if (chosen) {
      auto mean = [](const std::vector<double>& v) {
        double s = 0;
        for (double x : v) s += x;
        return v.empty() ? 0.0 : s / double(v.size());
      };
      char text[160];
      std::snprintf(text, sizeof text, "mean %s: test %.4g, second set %.4g %s", kKindLabels[k],
                    mean(score_of_kind(r.sets[0].scores, kKinds[k], r.dims)),
                    mean(score_of_kind(r.sets[1].scores, kKinds[k], r.dims)), k == 2 ? "bits/dim" : "nats");
      means = text;
    }
    if (ctx_.diagnostics) {
      ctx_.diagnostics->record_value(std::string("Density.auroc.") + kMetricKeys[k], m.auroc);
      ctx_.diagnostics->record_value(std::string("Density.aupr.") + kMetricKeys[k], m.aupr);
      ctx_.diagnostics->record_value(std::string("Density.fpr95.") + kMetricKeys[k], m.fpr95);
    }
  }
  ImGui::EndTable();
  if (!means.empty()) ImGui::TextWrapped("%s", means.c_str());
}

void DensityPanel::draw_histogram(float height) {
  const OverlaidHistogram& h = histogram_;
  const float width = ImGui::GetContentRegionAvail().x;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("histogram", ImVec2(std::max(1.f, width), std::max(1.f, height)));
  hot_spot(ctx_.diagnostics, "Density.Histogram");
  ImDrawList* list = ImGui::GetWindowDrawList();
  list->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(28, 28, 32, 255));
  if (h.a.empty()) {
    centred_note(list, p0, ImVec2(p0.x + width, p0.y + height),
                 kind_ == 1 ? "no importance-sampled scores: set IS k > 0 and Score" : "no scores");
    return;
  }
  const float label_h = ImGui::GetTextLineHeight();
  const float plot_h = height - label_h - 2;
  const double top = h.peak() > 0 ? h.peak() : 1;
  const std::vector<double>* shares[2] = {&h.a, &h.b};
  const float bar = width / float(h.a.size());
  for (int s = 0; s < 2; ++s)
    for (std::size_t b = 0; b < shares[s]->size(); ++b) {
      const float bh = float((*shares[s])[b] / top) * (plot_h - 2);
      list->AddRectFilled(ImVec2(p0.x + float(b) * bar, p0.y + plot_h - bh),
                          ImVec2(p0.x + float(b + 1) * bar - 1, p0.y + plot_h), kSetColour[s]);
    }
  char lo[32], hi[32];
  std::snprintf(lo, sizeof lo, "%.3g", h.lo);
  std::snprintf(hi, sizeof hi, "%.3g", h.hi);
  list->AddText(ImVec2(p0.x + 2, p0.y + plot_h + 1), IM_COL32(200, 200, 200, 255), lo);
  list->AddText(ImVec2(p0.x + width - ImGui::CalcTextSize(hi).x - 2, p0.y + plot_h + 1), IM_COL32(200, 200, 200, 255),
                hi);
  const char* axis = kind_ == 2 ? "score (bits/dim), higher = more unusual" : "score (nats), higher = more unusual";
  list->AddText(ImVec2(p0.x + (width - ImGui::CalcTextSize(axis).x) / 2, p0.y + plot_h + 1),
                IM_COL32(160, 160, 160, 255), axis);
  // Legend, top right.
  float y = p0.y + 3;
  for (int s = 0; s < (viewed_->has_second ? 2 : 1); ++s) {
    const char* name = viewed_->sets[s].name.c_str();
    const float tw = ImGui::CalcTextSize(name).x;
    const float x = p0.x + width - tw - label_h - 8;
    list->AddRectFilled(ImVec2(x, y + 2), ImVec2(x + label_h - 4, y + label_h - 2), kSetColour[s] | IM_COL32_A_MASK);
    list->AddText(ImVec2(x + label_h, y), IM_COL32(220, 220, 220, 255), name);
    y += label_h + 2;
  }
  if (ImGui::IsItemHovered()) {
    const int b = std::clamp(int((ImGui::GetMousePos().x - p0.x) / bar), 0, int(h.a.size()) - 1);
    const double step = (h.hi - h.lo) / double(h.a.size());
    char second[64] = "";
    if (!h.b.empty()) std::snprintf(second, sizeof second, "\nsecond set: %.1f%%", 100 * h.b[std::size_t(b)]);
    ImGui::SetTooltip(
        "scores %.4g .. %.4g\n%s: %.1f%%%s\nBins span the 0.5%%..99.5%% quantiles of both sets; the "
        "end bins also hold what lies beyond.",
        h.lo + b * step, h.lo + (b + 1) * step, viewed_->sets[0].name.c_str(), 100 * h.a[std::size_t(b)], second);
  }
}

void DensityPanel::draw_gallery(int set, bool least, float thumb) {
  Gallery& g = galleries_[set][least ? 1 : 0];
  const Scored& r = *viewed_;
  ImGui::TextDisabled("%s, %s", least ? "least likely" : "most likely", r.sets[set].name.c_str());
  if (g.indices.empty() || !g.texture.valid()) return;
  const float tw = float(g.texture.width()), th = float(g.texture.height());
  const LatentCodes& codes = r.sets[set].codes;
  for (std::size_t k = 0; k < g.indices.size(); ++k) {
    const float x0 = float(g.padding + int(k) * (g.cell_w + g.padding)), y0 = float(g.padding);
    ImGui::PushID(int(set * 1000 + (least ? 500 : 0) + int(k)));
    if (k > 0) ImGui::SameLine(0, 2);
    const bool clicked = ImGui::ImageButton(g.texture.imgui_id(), ImVec2(thumb, thumb), ImVec2(x0 / tw, y0 / th),
                                            ImVec2((x0 + float(g.cell_w)) / tw, (y0 + float(g.cell_h)) / th), 0);
    if (k == 0) hot_spot(ctx_.diagnostics, "Density.Gallery." + std::to_string(set) + (least ? ".least" : ".most"));
    const std::size_t i = g.indices[k];
    if (ImGui::IsItemHovered()) {
      const Split& split = r.sets[set].data->test;
      const auto& names = r.sets[set].data->class_names;
      std::string label;
      if (split.has_labels()) {
        const int y = split.labels[i];
        label = y >= 0 && std::size_t(y) < names.size() ? names[std::size_t(y)] : std::to_string(y);
      }
      ImGui::SetTooltip("image %zu%s%s, score %.4g\n%s", i, label.empty() ? "" : ": ", label.c_str(), scores_[set][i],
                        codes.count > i ? "Click: make its posterior mean the cursor z." : "(not encodable)");
    }
    if (clicked && codes.count > i && codes.dims == ctx_.explorer.latent_dim()) {
      ctx_.explorer.set_z(std::vector<float>(codes.mu.begin() + std::ptrdiff_t(i) * codes.dims,
                                             codes.mu.begin() + std::ptrdiff_t(i + 1) * codes.dims));
      clicked_ = double(set * 1000000 + long(i));
    }
    ImGui::PopID();
  }
}

void DensityPanel::draw_galleries() {
  const float width = ImGui::GetContentRegionAvail().x;
  const float thumb = std::clamp(width / 10.f, 24.f, 56.f);
  thumbs_wanted_ = std::clamp(int(width / (thumb + 2)), 1, kMaxThumbnails);
  for (int s = 0; s < (viewed_->has_second ? 2 : 1); ++s) {
    draw_gallery(s, false, thumb);
    draw_gallery(s, true, thumb);
  }
}

void DensityPanel::draw_class_means() {
  const Scored& r = *viewed_;
  for (int s = 0; s < (r.has_second ? 2 : 1); ++s) {
    const Split& split = r.sets[s].data->test;
    std::vector<int> labels;
    if (split.has_labels())
      labels.assign(split.labels.begin(), split.labels.begin() + std::ptrdiff_t(scores_[s].size()));
    const auto means = per_class_means(scores_[s], labels);
    ImGui::TextDisabled("%s", r.sets[s].name.c_str());
    if (means.empty()) {
      ImGui::TextDisabled("  no labels");
      continue;
    }
    ImGui::PushID(s);
    if (ImGui::BeginTable("classes", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
      ImGui::TableSetupColumn("class");
      ImGui::TableSetupColumn("images");
      ImGui::TableSetupColumn("mean score");
      ImGui::TableHeadersRow();
      const auto& names = r.sets[s].data->class_names;
      for (const ClassMean& m : means) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        if (m.label >= 0 && std::size_t(m.label) < names.size())
          ImGui::TextUnformatted(names[std::size_t(m.label)].c_str());
        else
          ImGui::Text("%d", m.label);
        ImGui::TableNextColumn();
        ImGui::Text("%zu", m.count);
        ImGui::TableNextColumn();
        ImGui::Text("%.4g", m.mean);
      }
      ImGui::EndTable();
    }
    ImGui::PopID();
  }
}

void DensityPanel::draw() {
  {  // the whole panel is a drop target for a second data set
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    ctx_.session.offer_scoring_drop_zone(Box{pos.x, pos.y, size.x, size.y});
  }
  follow_requests();
  collect();
  if (ctx_.diagnostics && clicked_ >= 0) ctx_.diagnostics->record_value("Density.cursor_from", clicked_);
  draw_controls();
  if (!error_.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.4f, 0.4f, 1));
    ImGui::TextWrapped("%s", error_.c_str());
    ImGui::PopStyleColor();
    hot_spot(ctx_.diagnostics, "Density.Error");
  }
  if (!result_) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    centred_note(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + avail.x, p0.y + avail.y),
                 !ctx_.explorer.inference() ? "no model yet"
                 : job_                     ? "scoring..."
                                            : "press Score, or open a second data set");
    return;
  }
  rebuild_views();
  draw_metrics();
  if (ImGui::BeginTabBar("views")) {
    if (ImGui::BeginTabItem("Histogram")) {
      draw_histogram(std::max(60.f, ImGui::GetContentRegionAvail().y - 4));
      ImGui::EndTabItem();
    }
    const bool gallery = ImGui::BeginTabItem("Most / least likely");
    hot_spot(ctx_.diagnostics, "Density.GalleryTab");
    if (gallery) {
      ImGui::BeginChild("galleries");
      draw_galleries();
      ImGui::EndChild();
      ImGui::EndTabItem();
    }
    const bool classes = ImGui::BeginTabItem("Per class");
    hot_spot(ctx_.diagnostics, "Density.ClassTab");
    if (classes) {
      ImGui::BeginChild("classes");
      draw_class_means();
      ImGui::EndChild();
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
}

VAE_REGISTER_PANEL(
    DensityPanel,
    {"Density", "Density and outliers", "Ctrl+Shift+D", {3, 0, 0.45f, 1.f, 1.f, 260.f, 200.f}, 92, false});

}  // namespace vae::gui
