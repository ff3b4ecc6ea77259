// The window: GLFW + OpenGL 3.3 + Dear ImGui, the 60 fps frame loop, drag-and-drop, test hooks
// (--screenshot, --layout-json, --drop) and frame-time statistics.
#include <glad/gl.h>
// glad must come before GLFW, which would otherwise pull in the system GL header.
#include <GLFW/glfw3.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/gui/app_state.h"
#include "app/gui/desktop_shell.h"
#include "app/gui/gui.h"
#include "app/gui/panels.h"
#include "app/gui/shell_port.h"
#include "app/gui/window_layout.h"
#include "core/io/export.h"
#include "imgui.h"
#include "imgui_internal.h"  // ErrorCheckEndWindowRecover
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

namespace vae::gui {

namespace {

using Clock = std::chrono::steady_clock;

// Files dropped on the window, queued by the GLFW callback and handled in the frame loop.
std::vector<std::string> g_dropped;

void on_drop(GLFWwindow*, int count, const char** paths) {
  for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

// Shortcuts are caught from GLFW's key events (ImGui's backend chains to this callback) rather
// than polled per frame: Dear ImGui 1.86 has no input queue, so a press and release within one
// frame would be missed. The desktop shell queues them for its next frame.
DesktopShell* g_shell = nullptr;
void on_key(GLFWwindow*, int key, int, int action, int mods) {
  if (action == GLFW_PRESS && g_shell) g_shell->key_pressed(key, mods);
}

// SIGINT/SIGTERM close the window like its close button, so the trainer is stopped and joined
// and nothing is left half-written (Ctrl+C in a terminal, test harnesses).
volatile std::sig_atomic_t g_quit = 0;
void on_signal(int) { g_quit = 1; }

void on_glfw_error(int code, const char* text) {
  std::fprintf(stderr, "vae-explorer: GLFW error %d: %s\n", code, text);
}

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

struct FrameStats {
  std::vector<float> work_ms[2];      // [0] idle, [1] training: time spent producing a frame
  std::vector<float> interval_ms[2];  // time between frame starts (what the user sees)
  double samples_per_sec_sum = 0;
  std::size_t samples_per_sec_count = 0;
  double train_rate = 0;              // examples / seconds in optimiser steps (as the CLI reports it)
  double first_frame_process_s = -1;  // process start to first frame on screen
  double first_frame_run_s = -1;      // gui::run() entry to first frame

  static std::string summary(std::vector<float> v, const char* name) {
    if (v.empty()) return std::string("\"") + name + "\": null";
    std::sort(v.begin(), v.end());
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    const double p95 = v[std::min(v.size() - 1, std::size_t(0.95 * double(v.size())))];
    char text[160];
    std::snprintf(text, sizeof text, "\"%s\": {\"frames\": %zu, \"mean_ms\": %.3f, \"p95_ms\": %.3f}", name, v.size(),
                  mean, p95);
    return text;
  }

  void write(const std::string& path, std::size_t scatter_points, std::size_t rendered, std::uint64_t frames) const {
    std::string out = "{\n  ";
    out += summary(work_ms[1], "frame_training") + ",\n  ";
    out += summary(work_ms[0], "frame_idle") + ",\n  ";
    out += summary(interval_ms[1], "interval_training") + ",\n  ";
    out += summary(interval_ms[0], "interval_idle") + ",\n";
    char tail[512];
    std::snprintf(tail, sizeof tail,
                  "  \"samples_per_sec_while_training\": %.1f,\n  \"train_examples_per_train_second\": %.1f,\n"
                  "  \"first_frame_since_process_start_s\": %.3f,\n"
                  "  \"first_frame_since_run_s\": %.3f,\n  \"scatter_points\": %zu,\n"
                  "  \"frames\": %llu,\n  \"frames_redrawn\": %zu\n}\n",
                  samples_per_sec_count ? samples_per_sec_sum / double(samples_per_sec_count) : 0.0, train_rate,
                  first_frame_process_s, first_frame_run_s, scatter_points, static_cast<unsigned long long>(frames),
                  rendered);
    out += tail;
    try {
      write_file_atomically(path, out);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "vae-explorer: %s\n", e.what());
    }
  }
};

// Reads the back buffer before the swap; rows come bottom-up from GL.
void save_screenshot(int width, int height, const std::string& path) {
  std::vector<unsigned char> rgba(std::size_t(width) * height * 4);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  Image image(3, height, width);
  const std::size_t plane = std::size_t(width) * height;
  for (int y = 0; y < height; ++y) {
    const unsigned char* row = rgba.data() + std::size_t(height - 1 - y) * width * 4;
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) image.pixels[c * plane + std::size_t(y) * width + x] = row[x * 4 + c] / 255.f;
    }
  }
  write_png(image, path);
}

void init_app(AppState& app, const GuiOptions& options) {
  app.options = options;
  app.model_config = options.model;
  app.train_config = options.train;
  std::string hidden;
  for (int w : options.model.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(w);
  app.hidden_text = hidden;
  app.checkpoint_path = options.load_path;
  if (const char* dir = std::getenv("VAE_EXPLORER_EXPORT_DIR"); dir && *dir) app.export_dir = dir;
  if (const char* v = std::getenv("VAE_EXPLORER_ALWAYS_REDRAW"); v && *v) {
    app.always_redraw = true;
    app.always_render_scatter = std::string(v) == "2";
  }
  if (const char* n = std::getenv("VAE_EXPLORER_SCATTER_STRESS"); n && *n)
    app.scatter_stress = std::strtoull(n, nullptr, 10);
  const std::string& spec = options.data_spec;
  app.data_kind = spec.rfind("idx:", 0) == 0 ? 1 : spec.rfind("images:", 0) == 0 ? 2 : spec == "synthetic" ? 3 : 0;
  if (app.data_kind == 1 || app.data_kind == 2) app.data_path = spec.substr(spec.find(':') + 1);
  if (!options.load_path.empty()) {
    open_checkpoint(app, options.load_path);
  } else {
    request_data(app, spec, options.autostart);
  }
}

// Closes whatever a panel that threw left open (child windows, popups, ID and style stacks,
// disabled blocks) so the frame can finish with `panel` as the current window.
void unwind_to(ImGuiWindow* panel, short disabled_depth) {
  ImGuiContext& g = *ImGui::GetCurrentContext();
  while (g.CurrentWindow && g.CurrentWindow != panel) {
    ImGui::ErrorCheckEndWindowRecover(nullptr);
    if (g.CurrentWindow->Flags & ImGuiWindowFlags_Popup)
      ImGui::EndPopup();
    else if (g.CurrentWindow->Flags & ImGuiWindowFlags_ChildWindow)
      ImGui::EndChild();
    else
      ImGui::End();
  }
  ImGui::ErrorCheckEndWindowRecover(nullptr);
  while (g.DisabledStackSize > disabled_depth) ImGui::EndDisabled();
}

// `top`: the menu bar's height; the windows go below it.
void draw_windows(AppState& app, const Snapshot& snap, float status_height, float top) {
  using DrawFn = void (*)(AppState&, const Snapshot&);
  static const DrawFn draw[8] = {draw_training_panel,        draw_loss_panel,     draw_latent_panel,
                                 draw_decoder_panel,         draw_manifold_panel, draw_interpolation_panel,
                                 draw_reconstructions_panel, draw_samples_panel};
  const ImVec2 display(ImGui::GetIO().DisplaySize.x, ImGui::GetIO().DisplaySize.y - top);
  // Where each window was last frame: windows that overlap nothing get no background fill (the
  // clear colour matches it). llvmpipe pays ~20 ns per blended pixel, and the backgrounds of the
  // eight windows cover the whole screen: this halves the cost of a redraw.
  static Rect last[8];
  auto overlaps = [](const Rect& a, const Rect& b) {
    return a.x + 1 < b.x + b.w && b.x + 1 < a.x + a.w && a.y + 1 < b.y + b.h && b.y + 1 < a.y + a.h;
  };
  for (int i = 0; i < 8; ++i) {
    ImVec2 pos, size;
    default_window_rect(i, display, status_height, &pos, &size);
    ImGui::SetNextWindowPos(ImVec2(pos.x, pos.y + top), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
    bool alone = last[i].w > 0;
    for (int j = 0; j < 8 && alone; ++j) alone = j == i || !overlaps(last[i], last[j]);
    if (alone) ImGui::SetNextWindowBgAlpha(0.f);
    if (ImGui::Begin(kWindowTitles[i])) {
      const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
      app.hot_spots[kWindowTitles[i]] = Rect{p.x, p.y, s.x, s.y};
      // A failing panel must not take the window (and the training run) down: report it, let
      // ImGui unwind whatever the panel left open, and carry on with the next panel.
      ImGuiWindow* panel = ImGui::GetCurrentWindow();
      const short disabled_depth = ImGui::GetCurrentContext()->DisabledStackSize;
      try {
        draw[i](app, snap);
      } catch (const std::exception& e) {
        unwind_to(panel, disabled_depth);
        report(app, std::string(kWindowTitles[i]) + ": " + e.what(), true);
      }
    } else {
      const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
      app.hot_spots[kWindowTitles[i]] = Rect{p.x, p.y, s.x, s.y};
    }
    last[i] = app.hot_spots[kWindowTitles[i]];
    ImGui::End();
  }
}

// A fingerprint of everything that reaches the screen: ImGui's draw data plus GPU-side content.
// Equal fingerprints mean an identical picture, so the frame need not be rasterised again.
std::uint64_t frame_fingerprint(const ImDrawData* data) {
  std::uint64_t h = hash_mix(gpu_generation(), std::uint64_t(data->CmdListsCount));
  auto mix_bytes = [&h](const void* bytes, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(bytes);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      h = (h ^ word) * 0x100000001b3ull;
      h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  for (int i = 0; i < data->CmdListsCount; ++i) {
    const ImDrawList* list = data->CmdLists[i];
    mix_bytes(list->VtxBuffer.Data, std::size_t(list->VtxBuffer.Size) * sizeof(ImDrawVert));
    mix_bytes(list->IdxBuffer.Data, std::size_t(list->IdxBuffer.Size) * sizeof(ImDrawIdx));
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      mix_bytes(&cmd.ClipRect, sizeof cmd.ClipRect);
      const std::uint64_t fields[4] = {std::uint64_t(reinterpret_cast<std::uintptr_t>(cmd.TextureId)), cmd.VtxOffset,
                                       cmd.IdxOffset, cmd.ElemCount};
      mix_bytes(fields, sizeof fields);
    }
  }
  return h;
}

void draw_status_window(AppState& app, const Snapshot& snap, float height, float frame_ms, float fps) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos(ImVec2(0, display.y - height));
  ImGui::SetNextWindowSize(ImVec2(display.x, height));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8, 3));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                 ImGuiWindowFlags_NoFocusOnAppearing;
  if (ImGui::Begin("##status", nullptr, flags)) draw_status_bar(app, snap, frame_ms, fps);
  ImGui::End();
  ImGui::PopStyleVar(2);
}

int run_window(const GuiOptions& options) {
  const auto run_started = Clock::now();
  // llvmpipe (software GL under Xvfb) would otherwise start a rendering thread per core and
  // compete with training; must be set before the GL context exists.
  setenv("LP_NUM_THREADS", "1", 0);
  const std::string threads = configure_threads(ThreadProfile::WithWindow);

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr,
                 "vae-explorer: cannot open a window (is DISPLAY set?); the CLI subcommands work "
                 "without one\n");
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(options.width, options.height, "VAE Explorer", nullptr, nullptr);
  if (!window) {
    glfwTerminate();
    std::fprintf(stderr, "vae-explorer: cannot create an OpenGL 3.3 core window\n");
    return 1;
  }
  // Without a window manager (Xvfb) nothing places the window; tests expect it at the origin.
  glfwSetWindowPos(window, 0, 0);
  glfwMakeContextCurrent(window);
  if (!gladLoadGL(reinterpret_cast<GLADloadfunc>(glfwGetProcAddress))) {
    std::fprintf(stderr, "vae-explorer: cannot load OpenGL functions\n");
    glfwDestroyWindow(window);
    glfwTerminate();
    return 1;
  }
  // Our own pacing caps the frame rate; vsync does not throttle under Xvfb anyway.
  glfwSwapInterval(0);
  glfwSetDropCallback(window, on_drop);
  glfwSetKeyCallback(window, on_key);  // before ImGui's backend, which chains to it
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  const std::string dir = config_dir();
  const std::string ini_path = dir.empty() ? std::string() : dir + "/imgui.ini";
  io.IniFilename = ini_path.empty() ? nullptr : ini_path.c_str();
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;  // Tab, arrows, Space/Enter
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 3.f;
  ImGui::GetStyle().FrameRounding = 2.f;
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  auto app = std::make_unique<AppState>();
  app->threads_description = threads;
  app->blas = detect_blas();
  register_settings_handler(*app);
  init_app(*app, options);
  const auto shell_port = make_shell_port(*app, window);
  auto shell = std::make_unique<DesktopShell>(
      *shell_port, dir,
      std::string("OpenGL ") + reinterpret_cast<const char*>(glGetString(GL_VERSION)) + "\nRenderer " +
          reinterpret_cast<const char*>(glGetString(GL_RENDERER)) + "\nGLFW " + glfwGetVersionString());
  g_shell = shell.get();
  std::vector<std::string> test_drops = options.drop_paths;
  if (const char* d = std::getenv("VAE_EXPLORER_DROP"); d && *d) test_drops.emplace_back(d);

  FrameStats stats;
  const char* stats_path = std::getenv("VAE_EXPLORER_FRAME_STATS");
  const int screenshot_frames = options.screenshot_path.empty() ? options.frames : std::max(1, options.frames);
  std::string last_layout;
  const Snapshot empty_snapshot;
  const auto period = std::chrono::microseconds(16667);
  auto next_frame = Clock::now();
  auto previous_start = Clock::now();
  int exit_code = 0;
  // Status bar figures, averaged over half a second.
  float shown_ms = 0, shown_fps = 0, window_ms = 0;
  int window_frames = 0;
  auto window_start = Clock::now();
  std::uint64_t last_fingerprint = 0;
  auto last_render = Clock::now();
  std::size_t rendered = 0;
  // For measurements: rasterise every frame, as if the picture always changed.
  const bool always_redraw = app->always_redraw;

  while (!glfwWindowShouldClose(window)) {
    const auto frame_start = Clock::now();
    glfwPollEvents();
    if (g_quit) glfwSetWindowShouldClose(window, GLFW_TRUE);
    for (const auto& path : g_dropped) handle_drop(*app, path);
    g_dropped.clear();
    // Test drops arrive once the window is up and the start-up load is done, as a person's would:
    // messages then come in a fixed order (the error area's state depends on the newest one).
    if (app->frame >= 1 && !test_drops.empty() && !app->pending_data && !app->pending_checkpoint.valid()) {
      for (const auto& path : test_drops) handle_drop(*app, path);
      test_drops.clear();
    }
    update(*app);
    // Held for the whole frame: a panel may replace the trainer (and app->snapshot) mid-frame.
    const std::shared_ptr<const Snapshot> frame_snapshot = app->snapshot;
    const Snapshot& snap = frame_snapshot ? *frame_snapshot : empty_snapshot;

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    app->hot_spots.clear();
    shell->frame();
    const float status_height = ImGui::GetFrameHeight() + 6;
    draw_windows(*app, snap, status_height, shell->menu_bar_height());
    draw_status_window(*app, snap, status_height, shown_ms, shown_fps);
    ImGui::Render();

    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    app->frame++;
    const bool last_frame = screenshot_frames > 0 && app->frame >= std::uint64_t(screenshot_frames);
    const std::uint64_t fingerprint = frame_fingerprint(ImGui::GetDrawData());
    // Unchanged pictures are not rasterised again; a redraw at least twice a second covers
    // anything the fingerprint cannot see (an expose after another window covered ours).
    const bool draw = always_redraw || fingerprint != last_fingerprint || last_frame ||
                      frame_start - last_render > std::chrono::milliseconds(500);
    if (draw) {
      glViewport(0, 0, fb_w, fb_h);
      const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
      glClearColor(bg.x * bg.w, bg.y * bg.w, bg.z * bg.w, 1.f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      last_fingerprint = fingerprint;
      last_render = frame_start;
      rendered++;
    }
    if (last_frame) {
      if (!options.screenshot_path.empty()) {
        try {
          save_screenshot(fb_w, fb_h, options.screenshot_path);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "vae-explorer: %s\n", e.what());
          exit_code = 1;
        }
      }
      glfwSetWindowShouldClose(window, GLFW_TRUE);
    }
    if (draw) glfwSwapBuffers(window);

    if (app->frame == 1) {
      stats.first_frame_process_s = process_age_seconds();
      stats.first_frame_run_s = std::chrono::duration<double>(Clock::now() - run_started).count();
    }
    if (!options.layout_json_path.empty()) {
      std::string layout = layout_json(*app);
      if (layout != last_layout) {
        try {
          write_file_atomically(options.layout_json_path, layout);
          last_layout = std::move(layout);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "vae-explorer: %s\n", e.what());
        }
      }
    }

    const auto frame_end = Clock::now();
    const float frame_ms = std::chrono::duration<float, std::milli>(frame_end - frame_start).count();
    window_ms += frame_ms;
    window_frames++;
    const double window_s = std::chrono::duration<double>(frame_end - window_start).count();
    if (window_s >= 0.5) {
      shown_ms = window_ms / float(window_frames);
      shown_fps = float(window_frames / window_s);
      window_ms = 0;
      window_frames = 0;
      window_start = frame_end;
    }
    const bool training = snap.state == TrainerState::Running;
    if (app->frame > 1) {
      stats.work_ms[training].push_back(frame_ms);
      stats.interval_ms[training].push_back(
          std::chrono::duration<float, std::milli>(frame_start - previous_start).count());
      if (training) {
        stats.samples_per_sec_sum += snap.samples_per_sec;
        stats.samples_per_sec_count++;
      }
    }
    previous_start = frame_start;
    // Sleep to the next 1/60 s boundary; when a frame overran, start counting afresh rather than
    // rushing frames to catch up.
    next_frame += period;
    if (next_frame < frame_end) next_frame = frame_end;
    std::this_thread::sleep_until(next_frame);
  }

  if (app->snapshot && app->snapshot->train_seconds > 0) {
    stats.train_rate = double(app->snapshot->train_examples) / app->snapshot->train_seconds;
  }
  if (stats_path && *stats_path) stats.write(stats_path, app->latent.scatter.count(), rendered, app->frame);
  g_shell = nullptr;
  shell.reset();  // closes a file dialog still open
  shutdown(*app);
  if (io.IniFilename) ImGui::SaveIniSettingsToDisk(io.IniFilename);
  io.IniFilename = nullptr;  // saved above while the settings handler's AppState still exists
  app.reset();               // textures and buffers go while the GL context is current
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return exit_code;
}

}  // namespace

int run(const GuiOptions& options) {
  try {
    return run_window(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vae-explorer: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "vae-explorer: unexpected error\n");
    return 1;
  }
}

}  // namespace vae::gui
