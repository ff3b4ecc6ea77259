#include "app/gui/logic/score_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace vae::gui {

std::vector<double> score_of_kind(const ExampleScores& scores, OodScoreKind kind, std::size_t dims) {
  const std::size_t n = scores.neg_elbo.size();
  const bool has_is = scores.nll_is.size() == n && n > 0;
  switch (kind) {
    case OodScoreKind::NegElbo:
      return scores.neg_elbo;
    case OodScoreKind::ImportanceSampled:
      return has_is ? scores.nll_is : std::vector<double>();
    case OodScoreKind::ComplexityCorrected: {
      if (scores.complexity_bits_per_dim.size() != n || n == 0 || dims == 0) return {};
      const std::vector<double>& likelihood = has_is ? scores.nll_is : scores.neg_elbo;
      std::vector<double> out(n);
      for (std::size_t i = 0; i < n; ++i)
        out[i] = nats_to_bits_per_dim(likelihood[i], dims) - scores.complexity_bits_per_dim[i];
      return out;
    }
  }
  return {};
}

double OverlaidHistogram::peak() const {
  double top = 0;
  for (double v : a) top = std::max(top, v);
  for (double v : b) top = std::max(top, v);
  return top;
}

namespace {

// The q-quantile of sorted values (nearest rank).
double quantile(const std::vector<double>& sorted, double q) {
  const std::size_t i = std::size_t(std::lround(q * double(sorted.size() - 1)));
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

OverlaidHistogram overlaid_histogram(const std::vector<double>& a, const std::vector<double>& b, int bins) {
  OverlaidHistogram h;
  bins = std::max(1, bins);
  std::vector<double> all;
  all.reserve(a.size() + b.size());
  for (double v : a)
    if (std::isfinite(v)) all.push_back(v);
  for (double v : b)
    if (std::isfinite(v)) all.push_back(v);
  if (all.empty()) return h;
  std::sort(all.begin(), all.end());
  h.lo = quantile(all, 0.005);
  h.hi = quantile(all, 0.995);
  if (!(h.hi > h.lo)) {  // one value (or nearly): a unit-wide range around it
    h.lo -= 0.5;
    h.hi += 0.5;
  }
  auto fill = [&](const std::vector<double>& values, std::vector<double>& share, std::size_t& clipped) {
    if (values.empty()) return;
    share.assign(std::size_t(bins), 0.0);
    std::size_t counted = 0;
    for (double v : values) {
      if (!std::isfinite(v)) continue;
      if (v < h.lo || v > h.hi) clipped++;
      const double t = (v - h.lo) / (h.hi - h.lo) * bins;
      const int bin = std::clamp(int(std::floor(t)), 0, bins - 1);
      share[std::size_t(bin)] += 1;
      counted++;
    }
    if (counted > 0)
      for (double& s : share) s /= double(counted);
  };
  fill(a, h.a, h.clipped_a);
  fill(b, h.b, h.clipped_b);
  return h;
}

std::vector<std::size_t> extreme_indices(const std::vector<double>& scores, std::size_t n, bool highest) {
  std::vector<std::size_t> order;
  order.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!std::isnan(scores[i])) order.push_back(i);
  n = std::min(n, order.size());
  auto before = [&](std::size_t x, std::size_t y) {
    if (scores[x] != scores[y]) return highest ? scores[x] > scores[y] : scores[x] < scores[y];
    return x < y;
  };
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(n), order.end(), before);
  order.resize(n);
  return order;
}

std::vector<ClassMean> per_class_means(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (labels.size() != scores.size() || scores.empty()) return {};
  std::map<int, std::pair<std::size_t, double>> sums;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) continue;
    auto& s = sums[labels[i]];
    s.first++;
    s.second += scores[i];
  }
  std::vector<ClassMean> out;
  for (const auto& [label, s] : sums) out.push_back({label, s.first, s.second / double(s.first)});
  return out;
}

std::shared_ptr<const Dataset> every_image_as_test(std::shared_ptr<const Dataset> data) {
  if (!data || data->train.count == 0) return data;
  auto all = std::make_shared<Dataset>(*data);
  Split& test = all->test;
  const bool labels = data->train.has_labels() && (test.count == 0 || test.has_labels());
  test.pixels.insert(test.pixels.end(), data->train.pixels.begin(), data->train.pixels.end());
  if (labels)
    test.labels.insert(test.labels.end(), data->train.labels.begin(), data->train.labels.end());
  else
    test.labels.clear();
  test.count += data->train.count;
  all->train = Split();
  return all;
}

std::string eta_text(double elapsed_seconds, double fraction) {
  if (!(fraction > 0.02) || !(elapsed_seconds > 0.5) || fraction >= 1) return {};
  const double left = elapsed_seconds * (1 - fraction) / fraction;
  char text[48];
  if (left < 60)
    std::snprintf(text, sizeof text, "%.0f s", std::ceil(left));
  else
    std::snprintf(text, sizeof text, "%d min %02d s", int(left / 60), int(std::fmod(left, 60.0)));
  return text;
}

}  // namespace vae::gui
