#include "app/gui/logic/frame_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace vae::gui {

Summary summarise(std::vector<float> v) {
  Summary s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  // Nearest rank: the smallest value with at least 95% of the values at or below it.
  const std::size_t rank = std::size_t(std::ceil(0.95 * double(v.size())));
  s.p95 = v[std::min(v.size() - 1, rank > 0 ? rank - 1 : 0)];
  s.median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (double(v[v.size() / 2 - 1]) + double(v[v.size() / 2]));
  return s;
}

void FrameStats::add_frame(bool training, float work, float interval, double samples_per_sec, bool dragging) {
  work_ms[training].push_back(work);
  interval_ms[training].push_back(interval);
  if (!training) (dragging ? dragging_interval_ms : resting_interval_ms).push_back(interval);
  if (training) {
    samples_per_sec_sum += samples_per_sec;
    samples_per_sec_count++;
  }
}

void FrameStats::add_phases(const float (&ms)[kPhases]) {
  constexpr float kSlowFrameMs = 17.f;  // one 60 Hz frame
  float total = 0;
  int largest = 0;
  for (int i = 0; i < kPhases; ++i) {
    phase_ms[i].push_back(ms[i]);
    total += ms[i];
    if (ms[i] > ms[largest]) largest = i;
  }
  if (total > kSlowFrameMs) slow_frames_by_phase[largest]++;
}

namespace {
std::string summary_json(const std::vector<float>& values, const char* name) {
  const Summary s = summarise(values);
  if (s.count == 0) return std::string("\"") + name + "\": null";
  char text[200];
  std::snprintf(text, sizeof text,
                "\"%s\": {\"frames\": %zu, \"mean_ms\": %.3f, \"p95_ms\": %.3f, \"median_ms\": %.3f}", name, s.count,
                s.mean, s.p95, s.median);
  return text;
}
}  // namespace

std::string FrameStats::json() const {
  std::string out = "{\n  ";
  out += summary_json(work_ms[1], "frame_training") + ",\n  ";
  out += summary_json(work_ms[0], "frame_idle") + ",\n  ";
  out += summary_json(interval_ms[1], "interval_training") + ",\n  ";
  out += summary_json(interval_ms[0], "interval_idle") + ",\n  ";
  out += summary_json(dragging_interval_ms, "interval_dragging") + ",\n  ";
  out += summary_json(resting_interval_ms, "interval_resting") + ",\n";
  out += "  \"phases_training\": {";
  for (int i = 0; i < kPhases; ++i) {
    out += (i ? ", " : "") + summary_json(phase_ms[i], kPhaseNames[i]);
  }
  out += "},\n  \"slow_training_frames_by_phase\": {";
  for (int i = 0; i < kPhases; ++i)
    out += std::string(i ? ", " : "") + "\"" + kPhaseNames[i] + "\": " + std::to_string(slow_frames_by_phase[i]);
  out += "},\n";
  out += "  \"present_mode\": \"" + present_mode + "\",\n";
  out += "  \"damage_checked_frames\": " + std::to_string(damage_checked_frames) + ",\n";
  out += "  \"stale_frames\": " + std::to_string(stale_frames) + ",\n";
  out += "  \"rounding_frames\": " + std::to_string(rounding_frames) + ",\n";
  out += "  \"stale_pixels\": " + std::to_string(stale_pixels) + ",\n";
  char tail[640];
  std::snprintf(tail, sizeof tail,
                "  \"samples_per_sec_while_training\": %.1f,\n  \"train_examples_per_train_second\": %.1f,\n"
                "  \"first_frame_since_process_start_s\": %.3f,\n"
                "  \"first_frame_since_run_s\": %.3f,\n  \"scatter_points\": %zu,\n"
                "  \"frames\": %llu,\n  \"frames_redrawn\": %zu,\n  \"mean_repainted_fraction\": %.3f,\n"
                "  \"decodes_completed\": %llu,\n  \"decodes_cancelled\": %llu\n}\n",
                samples_per_sec_count ? samples_per_sec_sum / double(samples_per_sec_count) : 0.0, train_rate,
                first_frame_process_s, first_frame_run_s, scatter_points, static_cast<unsigned long long>(frames),
                frames_redrawn, frames_redrawn ? repainted_fraction_sum / double(frames_redrawn) : 0.0,
                static_cast<unsigned long long>(decodes_completed), static_cast<unsigned long long>(decodes_cancelled));
  return out + tail;
}

}  // namespace vae::gui
