#pragma once
// Test and measurement hooks, all in one object that exists only when one of them is asked for
// (normal runs pass a null Diagnostics* around and pay nothing):
//   --screenshot FILE / --frames N    render N frames, save the picture, exit
//   --layout-json FILE                rectangles of panels and key widgets, rewritten on change
//   --drop PATH (VAE_EXPLORER_DROP)   files handled after the first frame as if dropped
//   VAE_EXPLORER_FRAME_STATS=FILE     frame-time statistics written at exit
//   VAE_EXPLORER_ALWAYS_REDRAW=1|2    rasterise every frame (2: also re-render the scatter)
//   VAE_EXPLORER_SCATTER_STRESS=N     duplicate scatter points up to N
//   VAE_EXPLORER_STEP_HISTORY_ROWS=N  bound the trainers' per-step history to N rows (>= 4), so
//                                     that it thins within a few hundred steps
//   VAE_EXPLORER_PRESENT=MODE         direct | offscreen | copy: how frames reach the screen
//   VAE_EXPLORER_DAMAGE_CHECK=1|FILE  after each partly repainted frame, repaint it in full
//                                     offscreen and count the pixels that differ (stale_pixels);
//                                     FILE: the last full repaint is saved there at exit
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/gui.h"
#include "app/gui/logic/frame_stats.h"
#include "app/gui/logic/tiling.h"

namespace vae::gui {

class Diagnostics {
 public:
  // Null unless the options or the environment ask for a hook.
  static std::unique_ptr<Diagnostics> create(const GuiOptions& options);

  // --- --layout-json ---
  void begin_frame() {
    spots_.clear();
    values_.clear();
  }
  // Records the last ImGui item's rectangle under `name`.
  void record_item(const std::string& name);
  void record(const std::string& name, const Box& box) { spots_[name] = box; }
  // A number a panel shows (e.g. an AUROC), listed under "values" so a test can read it.
  void record_value(const std::string& name, double value) { values_[name] = value; }
  // The registered panels' titles, listed in the JSON under "panels" so a test can check that
  // each of them was laid out.
  void set_registered(std::vector<std::string> titles) { registered_ = std::move(titles); }
  // The panels closed right now: listed under "hidden"; a test skips them or opens them.
  void set_hidden(std::vector<std::string> titles) { hidden_ = std::move(titles); }
  // Writes the layout JSON when it changed; reports (once) when it cannot.
  // `width` x `height`: the window size the frame was laid out for ("framebuffer" in the JSON).
  void write_layout(float width, float height);

  // --- screenshots ---
  bool screenshot_due(std::uint64_t frame) const {
    return screenshot_frames_ > 0 && frame >= std::uint64_t(screenshot_frames_);
  }
  const std::string& screenshot_path() const { return screenshot_path_; }
  // --frames N counts frames: the loop does not idle then, so N frames take N / 60 s.
  bool counts_frames() const { return screenshot_frames_ > 0; }

  // --- test drops: the paths to handle after the first frame (then empty) ---
  std::vector<std::string> take_drops(std::uint64_t frame);

  // --- stress and measurement ---
  bool always_redraw() const { return always_redraw_; }
  bool always_render_scatter() const { return always_render_scatter_; }
  std::size_t scatter_stress() const { return scatter_stress_; }
  std::size_t step_history_rows() const { return step_history_rows_; }  // 0: the default bound
  const std::string& present_mode() const { return present_mode_; }
  bool damage_check() const { return damage_check_; }
  const std::string& damage_check_path() const { return damage_check_path_; }
  FrameStats& stats() { return stats_; }
  // Writes VAE_EXPLORER_FRAME_STATS at exit, when set.
  void write_stats() const;

 private:
  std::string layout_path_, last_layout_;
  bool layout_error_reported_ = false;
  std::map<std::string, Box> spots_;
  std::map<std::string, double> values_;
  std::vector<std::string> registered_;
  std::vector<std::string> hidden_;
  std::string screenshot_path_;
  int screenshot_frames_ = 0;
  std::vector<std::string> drops_;
  bool always_redraw_ = false, always_render_scatter_ = false;
  std::size_t scatter_stress_ = 0;
  std::size_t step_history_rows_ = 0;
  std::string present_mode_;
  bool damage_check_ = false;
  std::string damage_check_path_;
  std::string stats_path_;
  FrameStats stats_;
};

// Records the last ImGui item under `name` when diagnostics are on; nothing otherwise.
inline void hot_spot(Diagnostics* diagnostics, const std::string& name) {
  if (diagnostics) diagnostics->record_item(name);
}

}  // namespace vae::gui
