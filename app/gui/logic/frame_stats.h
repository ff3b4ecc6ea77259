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
};
Summary summarise(std::vector<float> values);

struct FrameStats {
  std::vector<float> work_ms[2];            // [0] idle, [1] training: time spent producing a frame
  std::vector<float> interval_ms[2];        // time between frame starts (what the user sees)
  std::vector<float> dragging_interval_ms;  // ... while a mouse button is held and training is not running
  double samples_per_sec_sum = 0;
  std::size_t samples_per_sec_count = 0;
  double train_rate = 0;              // examples / seconds in optimiser steps (as the CLI reports it)
  double first_frame_process_s = -1;  // process start to first frame on screen
  double first_frame_run_s = -1;      // gui::run() entry to first frame
  std::size_t scatter_points = 0;
  std::uint64_t frames = 0;
  std::size_t frames_redrawn = 0;
  std::uint64_t decodes_completed = 0;  // background decodes shown
  std::uint64_t decodes_cancelled = 0;  // superseded while running

  void add_frame(bool training, float work, float interval, double samples_per_sec, bool dragging = false);
  std::string json() const;
};

}  // namespace vae::gui
