#include "app/gui/frame_loop.h"

#include <glad/gl.h>
// glad must come before GLFW, which would otherwise pull in the system GL header.
#include <GLFW/glfw3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/gl_util.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/keys.h"
#include "app/gui/panel_host.h"
#include "app/gui/presenter.h"
#include "app/gui/session.h"
#include "app/gui/shell_port.h"
#include "app/gui/ui_scale.h"
#include "core/io/export.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

namespace vae::gui {

namespace {

using Clock = std::chrono::steady_clock;

// Seconds since the process started (launch-to-first-frame measurement), from /proc.
double process_age_seconds() {
  std::ifstream stat("/proc/self/stat"), uptime("/proc/uptime");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Field 22 of /proc/self/stat is the start time; the first two fields precede the ')'.
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  double up = 0;
  uptime >> up;
  char* end = nullptr;
  const double start_ticks = std::strtod(field.c_str(), &end);
  if (end == field.c_str() || !uptime) return -1;  // not Linux-like /proc: no measurement, no error
  return up - start_ticks / double(sysconf(_SC_CLK_TCK));
}

// Writes GL's RGBA rows (bottom-up) as a PNG.
void write_rgba_png(const std::vector<unsigned char>& rgba, int width, int height, const std::string& path) {
  Image image(3, height, width);
  const std::size_t plane = std::size_t(width) * std::size_t(height);
  for (int y = 0; y < height; ++y) {
    const unsigned char* row = rgba.data() + std::size_t(height - 1 - y) * std::size_t(width) * 4;
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c)
        image.pixels[std::size_t(c) * plane + std::size_t(y) * std::size_t(width) + std::size_t(x)] =
            float(row[x * 4 + c]) / 255.f;
    }
  }
  write_png(image, path);
}

// Reads the back buffer before the swap.
void save_screenshot(int width, int height, const std::string& path) {
  std::vector<unsigned char> rgba(std::size_t(width) * std::size_t(height) * 4);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  write_rgba_png(rgba, width, height, path);
}

std::uint64_t g_input_events = 0;  // UI thread only: GLFW calls back from glfwPollEvents

void count_cursor(GLFWwindow*, double, double) { note_input(); }
void count_button(GLFWwindow*, int, int, int) { note_input(); }
void count_scroll(GLFWwindow*, double, double) { note_input(); }
void count_char(GLFWwindow*, unsigned int) { note_input(); }
void count_flag(GLFWwindow*, int) { note_input(); }
void count_size(GLFWwindow*, int, int) { note_input(); }
void count_refresh(GLFWwindow*) { note_input(); }

// Frame time and rate for the status bar, averaged over half a second.
struct StatusFigures {
  float shown_ms = 0, shown_fps = 0, sum_ms = 0;
  int frames = 0;
  Clock::time_point start = Clock::now();
  void add(float frame_ms, Clock::time_point end) {
    sum_ms += frame_ms;
    frames++;
    const double seconds = std::chrono::duration<double>(end - start).count();
    if (seconds >= 0.5) {
      shown_ms = sum_ms / float(frames);
      shown_fps = float(frames / seconds);
      sum_ms = 0;
      frames = 0;
      start = end;
    }
  }
};

}  // namespace

void note_input() { ++g_input_events; }

void install_input_counter(GLFWwindow* window) {
  glfwSetCursorPosCallback(window, count_cursor);
  glfwSetMouseButtonCallback(window, count_button);
  glfwSetScrollCallback(window, count_scroll);
  glfwSetCharCallback(window, count_char);
  glfwSetWindowFocusCallback(window, count_flag);
  glfwSetCursorEnterCallback(window, count_flag);
  glfwSetWindowIconifyCallback(window, count_flag);
  glfwSetFramebufferSizeCallback(window, count_size);
  glfwSetWindowRefreshCallback(window, count_refresh);
}

// Idle frames (see the end of the loop): at least this often, polling for a reason every few ms.
constexpr auto kIdleFramePeriod = std::chrono::milliseconds(100);
constexpr double kIdlePollSeconds = 0.004;
constexpr std::uint64_t kFramesBeforeIdling = 10;  // start-up: fonts, first layout, first pictures

int run_frame_loop(FrameLoopParts parts) {
  const auto run_started = Clock::now();
  Diagnostics* diag = parts.diagnostics;
  const auto period = std::chrono::microseconds(16667);
  auto next_frame = Clock::now();
  auto previous_start = Clock::now();
  StatusFigures figures;
  Presenter presenter(parts.window, diag ? diag->present_mode() : std::string());
  if (diag) diag->stats().present_mode = Presenter::mode_name(presenter.mode());
  float presented_scale = 0;
  auto last_present = Clock::now();
  std::uint64_t frame = 0;
  int exit_code = 0;
  std::uint64_t scoring_seen = 0;

  while (!glfwWindowShouldClose(parts.window)) {
    const auto frame_start = Clock::now();
    glfwPollEvents();
    if (*parts.quit) glfwSetWindowShouldClose(parts.window, GLFW_TRUE);
    // Where the pointer is decides what a dropped data set is for (the Density panel scores it);
    // GLFW follows the pointer during a drag-and-drop.
    auto drop_at_pointer = [&](const std::string& path) {
      double x = 0, y = 0;
      glfwGetCursorPos(parts.window, &x, &y);
      parts.session.handle_drop_at(path, float(x), float(y));
    };
    for (const auto& path : parts.dropped) drop_at_pointer(path);
    parts.dropped.clear();
    // Test drops arrive once the window is up and the start-up load is done, as a person's would:
    // messages then come in a fixed order (the error area's state follows the newest one).
    if (diag && !parts.session.loading_data() && !parts.session.opening_checkpoint())
      for (const auto& path : diag->take_drops(frame)) drop_at_pointer(path);
    parts.session.update(std::chrono::duration<double>(frame_start - run_started).count());
    // One heavy repaint a frame: a frame showing a new snapshot takes no finished grid picture.
    parts.grid_worker.begin_frame(parts.session.adopted_snapshot() ? 0 : -1);
    // A data set to score (menu, drop, --score-data) shows the Density panel, which does the work.
    if (parts.session.scoring_serial() != scoring_seen) {
      scoring_seen = parts.session.scoring_serial();
      auto& panels = parts.host.panels();
      for (std::size_t i = 0; i < panels.size(); ++i)
        if (panels[i].info.title == "Density") parts.host.focus(i);
    }
    parts.explorer.set_grid_busy_seconds(parts.grid_worker.busy_seconds());
    parts.explorer.update();
    const float wanted_scale =
        parts.host.ui_scale_setting() > 0 ? parts.host.ui_scale_setting() : UiScale::content_scale(parts.window);
    parts.scale.apply(wanted_scale);

    const auto build_start = Clock::now();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    feed_shortcuts(parts.keys, parts.shell);
    parts.host.handle_shortcuts(parts.keys);
    parts.keys.clear();
    if (diag) diag->begin_frame();
    parts.shell.frame();  // the menu bar first: the panels tile the space below it
    const float menu_height = parts.shell.menu_bar_height();
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float status_height = ImGui::GetFrameHeight() + 6 * parts.scale.applied();
    parts.host.draw(Box{0, menu_height, display.x, std::max(0.f, display.y - status_height - menu_height)},
                    status_height, parts.scale.applied(), figures.shown_ms, figures.shown_fps);
    ImGui::Render();
    const auto build_end = Clock::now();

    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(parts.window, &fb_w, &fb_h);
    frame++;
    const bool last_frame = diag && diag->screenshot_due(frame);
    // Only what changed is rasterised again (presenter.h); a full repaint for measurements, the
    // screenshot and a new UI scale (fonts rebuilt). A present at least twice a second covers
    // anything the damage cannot see (an expose after another window covered ours).
    const bool repaint_all = (diag && diag->always_redraw()) || last_frame || parts.scale.applied() != presented_scale;
    const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    const Presenter::Frame shown = presenter.present(ImGui::GetDrawData(), fb_w, fb_h, background, repaint_all,
                                                     frame_start - last_present > std::chrono::milliseconds(500));
    const bool draw = shown.presented;
    if (draw) {
      presented_scale = parts.scale.applied();
      last_present = frame_start;
      if (diag) diag->stats().add_repaint(shown.repainted_fraction);
      if (diag && diag->damage_check() && shown.repainted_fraction < 1) {
        const std::size_t stale = presenter.count_stale_pixels(ImGui::GetDrawData(), fb_w, fb_h, background);
        diag->stats().damage_checked_frames++;
        // llvmpipe interpolates texture coordinates along another path in a tile cut by a scissor:
        // where a shrunk picture is sampled linearly, a texel boundary can fall the other way for
        // a pixel or two (seen: 2 pixels on a grid's edge). A damage mistake shows as whole
        // glyphs, rows or columns: more than kRoundingPixels.
        constexpr std::size_t kRoundingPixels = 8;
        diag->stats().stale_frames += stale > kRoundingPixels;
        diag->stats().rounding_frames += stale > 0 && stale <= kRoundingPixels;
        diag->stats().stale_pixels += stale;
        if (stale) {
          const DamageRect& r = presenter.last_stale_rect();
          std::fprintf(stderr,
                       "vae-explorer: damage check: %zu stale pixels in [%g, %g, %g, %g] (largest difference %d)\n",
                       stale, r.x0, r.y0, r.x1, r.y1, presenter.worst_stale_difference());
        }
      }
    }
    if (last_frame) {
      if (!diag->screenshot_path().empty()) {
        try {
          save_screenshot(fb_w, fb_h, diag->screenshot_path());
        } catch (const std::exception& e) {
          std::fprintf(stderr, "vae-explorer: %s\n", e.what());
          exit_code = 1;
        }
      }
      glfwSetWindowShouldClose(parts.window, GLFW_TRUE);
    }
    if (shown.swap) glfwSwapBuffers(parts.window);

    const auto frame_end = Clock::now();
    const float frame_ms = std::chrono::duration<float, std::milli>(frame_end - frame_start).count();
    figures.add(frame_ms, frame_end);
    if (diag) {
      // The size this frame was laid out for (read before drawing; the framebuffer may already
      // have been resized since), so the rectangles and the size always belong together.
      diag->write_layout(display.x, display.y);
      FrameStats& stats = diag->stats();
      if (frame == 1) {
        stats.first_frame_process_s = process_age_seconds();
        stats.first_frame_run_s = std::chrono::duration<double>(frame_end - run_started).count();
      }
      if (frame > 1) {
        const Snapshot& snap = parts.session.snapshot();
        stats.add_frame(parts.session.training(), frame_ms,
                        std::chrono::duration<float, std::milli>(frame_start - previous_start).count(),
                        snap.samples_per_sec, ImGui::IsAnyMouseDown());
        using Ms = std::chrono::duration<float, std::milli>;
        fprintf(stderr, "SLOW %.1f raster %.1f frac %.3f\n", frame_ms, Ms(frame_end - build_end).count(),
                shown.repainted_fraction);
        if (parts.session.training())
          stats.add_phases({Ms(build_start - frame_start).count(), Ms(build_end - build_start).count(),
                            Ms(frame_end - build_end).count()});
      }
    }
    previous_start = frame_start;
    // Sleep to the next 1/60 s boundary; when a frame overran, start counting afresh rather than
    // rushing frames to catch up.
    next_frame += period;
    if (next_frame < frame_end) next_frame = frame_end;
    std::this_thread::sleep_until(next_frame);
    // Idle: after a frame that changed nothing on screen, with no button held and no text being
    // typed (its caret blinks), the next frame waits for a reason to exist: input, a finished
    // picture, a trainer state change or message, or kIdleFramePeriod (progress shown from
    // atomics, the status bar's figures, a new snapshot at the Session's 10 Hz). Identical frames
    // cost the UI thread 1-2 ms each, sixty times a second, that training can use instead.
    const bool may_idle = !shown.changed && !parts.grid_worker.held_back() && !ImGui::IsAnyMouseDown() &&
                          !ImGui::GetIO().WantTextInput && frame > kFramesBeforeIdling &&
                          !(diag && (diag->always_redraw() || diag->counts_frames()));
    if (may_idle) {
      const std::uint64_t input = g_input_events, grid = parts.grid_worker.completed(),
                          cursor = parts.cursor_worker.completed();
      const auto deadline = frame_start + kIdleFramePeriod;
      while (Clock::now() < deadline && !*parts.quit) {
        glfwWaitEventsTimeout(kIdlePollSeconds);  // returns at once on input
        if (g_input_events != input || parts.grid_worker.completed() != grid ||
            parts.cursor_worker.completed() != cursor || parts.session.state_changed_since_frame())
          break;
      }
      next_frame = Clock::now();
    }
  }
  if (diag) {
    FrameStats& stats = diag->stats();
    stats.frames = frame;
    if (!diag->damage_check_path().empty() && !presenter.last_checked_picture().empty()) {
      try {
        write_rgba_png(presenter.last_checked_picture(), presenter.last_checked_width(),
                       presenter.last_checked_height(), diag->damage_check_path());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "vae-explorer: %s\n", e.what());
      }
    }
    if (const auto& snap = parts.session.latest_snapshot(); snap && snap->train_seconds > 0)
      stats.train_rate = double(snap->train_examples) / snap->train_seconds;
  }
  return exit_code;
}

}  // namespace vae::gui
