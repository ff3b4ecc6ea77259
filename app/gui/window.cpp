// The window's bootstrap: GLFW, the OpenGL 3.3 context, Dear ImGui and its backends, the input
// callbacks; then the session, the explorer, the decode workers and the panels, and the frame
// loop. Teardown in the reverse order, with nothing left half-written.
#include <glad/gl.h>
// glad must come before GLFW, which would otherwise pull in the system GL header.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/desktop_shell.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/frame_loop.h"
#include "app/gui/gui.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/keys.h"
#include "app/gui/messages.h"
#include "app/gui/panel_host.h"
#include "app/gui/session.h"
#include "app/gui/shell_port.h"
#include "app/gui/ui_scale.h"
#include "app/gui/window_icon.h"
#include "core/runtime/runtime.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

namespace vae::gui {

static_assert(GLFW_MOD_SHIFT == kModShift && GLFW_MOD_CONTROL == kModControl && GLFW_MOD_ALT == kModAlt &&
                  GLFW_KEY_F1 == kKeyF1 && GLFW_KEY_A == 'A' && GLFW_KEY_0 == '0' && GLFW_KEY_SPACE == kKeySpace,
              "keys.h mirrors GLFW's key codes");

namespace {

// The smallest work area the default window size is fitted to (the options' own minimum).
constexpr int kMinWindowWidth = 320;
constexpr int kMinWindowHeight = 240;

// Input queued by GLFW callbacks and handled in the frame loop.
std::vector<std::string> g_dropped;
KeyQueue g_keys;
volatile int g_quit = 0;

void on_drop(GLFWwindow*, int count, const char** paths) {
  note_input();
  for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

// Shortcuts are caught from GLFW's key events (ImGui's backend chains to this callback) rather
// than polled per frame: Dear ImGui 1.86 has no input queue, so a press and release within one
// frame would be missed.
void on_key(GLFWwindow*, int key, int, int action, int mods) {
  note_input();
  if (action == GLFW_PRESS) g_keys.press(key, mods);
}

// SIGINT/SIGTERM close the window like its close button, so the trainer is stopped and joined
// and nothing is left half-written (Ctrl+C in a terminal, test harnesses).
void on_signal(int) { g_quit = 1; }

// For Help > About: the OpenGL context and the GLFW build in use.
std::string graphics_info() {
  auto text = [](GLenum name) {
    const auto* value = reinterpret_cast<const char*>(glGetString(name));
    return std::string(value ? value : "unknown");
  };
  return "OpenGL " + text(GL_VERSION) + "\nRenderer " + text(GL_RENDERER) + "\nGLFW " + glfwGetVersionString();
}

void on_glfw_error(int code, const char* text) {
  std::fprintf(stderr, "vae-explorer: GLFW error %d: %s\n", code, text);
}

// $VAE_EXPLORER_CONFIG_DIR, else $XDG_CONFIG_HOME/vae-explorer, else ~/.config/vae-explorer
// (created on demand). Empty when none can be made: the layout is then not persisted.
std::string config_dir() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* own = std::getenv("VAE_EXPLORER_CONFIG_DIR"); own && *own) {
    dir = own;
  } else if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    dir = fs::path(xdg) / "vae-explorer";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".config" / "vae-explorer";
  } else {
    return {};
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  return ec ? std::string() : dir.string();
}

// What lives while the window is open, in construction order (destroyed in reverse: the panels
// before the workers their jobs run on, the workers before the session whose models they use).
struct Application {
  explicit Application(const GuiOptions& options)
      : diagnostics(Diagnostics::create(options)),
        session(options, messages),
        explorer(session, messages),
        context{session, explorer, messages, grid_worker, cursor_worker, diagnostics.get()},
        host(context) {
    // A model publication makes every grid panel decode again: one finished picture a frame
    // keeps each frame's upload and repaint short (the cursor image is not held back).
    grid_worker.set_results_per_frame(1);
  }
  std::unique_ptr<Diagnostics> diagnostics;
  MessageLog messages;
  Session session;
  Explorer explorer;
  DecodeWorker grid_worker;
  DecodeWorker cursor_worker;
  PanelContext context;
  PanelHost host;
};

int run_window(const GuiOptions& options) {
  // llvmpipe (software GL under Xvfb or in a VM) rasterises on this many threads; must be set
  // before the GL context exists. They run at the UI's priority, above the trainer (nice +10), so
  // a frame's repaint takes both cores for its few milliseconds and training keeps the rest.
  // Measured with damage-only repaints (MLP training, 2 cores, paired 15-20 s runs): 2 threads
  // gave the lower frame p95 in 5 of 7 pairs (e.g. 18.0 against 21.0 ms) at the same training
  // rate (within the machine's noise); 1 was chosen when every frame repainted the whole window.
  setenv("LP_NUM_THREADS", "2", 0);
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
  // The default size shrinks to the screen's work area (a 1280x800 window on a 1024x600 netbook
  // screen would open with its status bar and right-hand panels off the screen); a size asked for
  // with --width/--height is taken as it is.
  int width = options.width, height = options.height;
  if (GLFWmonitor* monitor = glfwGetPrimaryMonitor(); monitor && !options.size_given) {
    int x = 0, y = 0, work_width = 0, work_height = 0;
    glfwGetMonitorWorkarea(monitor, &x, &y, &work_width, &work_height);
    if (work_width >= kMinWindowWidth && work_height >= kMinWindowHeight) {
      width = std::min(width, work_width);
      height = std::min(height, work_height);
    }
  }
  GLFWwindow* window = glfwCreateWindow(width, height, "VAE Explorer", nullptr, nullptr);
  if (!window) {
    glfwTerminate();
    std::fprintf(stderr, "vae-explorer: cannot create an OpenGL 3.3 core window\n");
    return 1;
  }
  // Without a window manager (Xvfb) nothing places the window; tests expect it at the origin.
  glfwSetWindowPos(window, 0, 0);
  set_window_icon(window);
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
  install_input_counter(window);       // likewise
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

  int exit_code = 0;
  {
    auto app = std::make_unique<Application>(options);
    app->session.threads_description = threads;
    app->host.register_settings();
    app->session.start();
    // The menu bar, shortcuts, file dialogs and recent files, over the parts above.
    auto port = make_shell_port(app->session, app->host, app->messages, app->diagnostics.get(), window);
    auto shell = std::make_unique<DesktopShell>(*port, dir, graphics_info());
    UiScale scale;
    exit_code =
        run_frame_loop(FrameLoopParts{window, app->session, app->explorer, app->host, scale, app->grid_worker,
                                      app->cursor_worker, g_keys, g_dropped, app->diagnostics.get(), &g_quit, *shell});
    shell.reset();  // closes a file dialog still open
    port.reset();
    if (Diagnostics* diag = app->diagnostics.get()) {
      diag->stats().decodes_completed = app->grid_worker.completed() + app->cursor_worker.completed();
      diag->stats().decodes_cancelled = app->grid_worker.cancelled() + app->cursor_worker.cancelled();
      diag->write_stats();
    }
    if (io.IniFilename) ImGui::SaveIniSettingsToDisk(io.IniFilename);
    io.IniFilename = nullptr;  // saved above while the settings handler's host still exists
    app.reset();               // textures and buffers go while the GL context is current
  }
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
