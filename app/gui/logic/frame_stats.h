#pragma once
// Frame-time statistics for measurements (VAE_EXPLORER_FRAME_STATS): collected per frame,
// summarised as mean and 95th percentile, written as JSON. Pure, unit tested.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vae::gui {

struct Summary {
  std::size_t count = 0;
  double mean = 0;
  double p95 = 0;
  double median = 0;  // what a typical frame does (an idle window's frames are mostly waits)
};
Summary summarise(std::vector<float> values);

struct FrameStats {
  std::vector<float> work_ms[2];            // [0] idle, [1] training: time spent producing a frame
  std::vector<float> interval_ms[2];        // time between frame starts (what the user sees)
  std::vector<float> dragging_interval_ms;  // ... while a mouse button is held and training is not running
  std::vector<float> resting_interval_ms;   // ... while neither (the window idles between frames)
  // Where a training frame's work goes, to find what makes the slow frames slow: events and
  // session/explorer updates; building the ImGui frame (panels); rasterising and swapping (zero
  // for frames whose picture did not change). Only for training frames, in kPhaseNames order.
  static constexpr int kPhases = 3;
  static constexpr const char* kPhaseNames[kPhases] = {"update", "build", "raster"};
  std::vector<float> phase_ms[kPhases];
  std::size_t slow_frames_by_phase[kPhases] = {};  // training frames over 17 ms, by their largest phase
  double samples_per_sec_sum = 0;
  std::size_t samples_per_sec_count = 0;
  double train_rate = 0;              // examples / seconds in optimiser steps (as the CLI reports it)
  double first_frame_process_s = -1;  // process start to first frame on screen
  double first_frame_run_s = -1;      // gui::run() entry to first frame
  std::size_t scatter_points = 0;
  std::uint64_t frames = 0;
  std::size_t frames_redrawn = 0;         // frames put on screen (changed, or the periodic refresh)
  double repainted_fraction_sum = 0;      // share of the window rasterised again, summed over those
  std::string present_mode;               // how frames reach the screen (presenter.h)
  std::size_t damage_checked_frames = 0;  // VAE_EXPLORER_DAMAGE_CHECK: partly repainted frames checked
  std::size_t stale_frames = 0;           // ... of which more than a few pixels differed from a full repaint
  std::size_t rounding_frames = 0;        // ... of which a few pixels did (rasteriser rounding)
  std::size_t stale_pixels = 0;           // ... in all
  void add_repaint(double fraction) {
    frames_redrawn++;
    repainted_fraction_sum += fraction;
  }
  std::uint64_t decodes_completed = 0;  // background decodes shown
  std::uint64_t decodes_cancelled = 0;  // superseded while running

  void add_frame(bool training, float work, float interval, double samples_per_sec, bool dragging = false);
  void add_phases(const float (&ms)[kPhases]);
  std::string json() const;
};

}  // namespace vae::gui
