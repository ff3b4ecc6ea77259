#pragma once
// The frame loop: input, the per-frame update of the session and the explorer, drawing the
// panels, putting on screen only what changed (presenter.h), 60 fps pacing that idles while
// nothing changes, and the diagnostics hooks (screenshots, layout JSON, test drops, frame
// statistics) when they are on.
#include <string>
#include <vector>

struct GLFWwindow;

namespace vae::gui {

class Session;
class Explorer;
class PanelHost;
class Diagnostics;
class KeyQueue;
class UiScale;
class DecodeWorker;
class DesktopShell;

struct FrameLoopParts {
  GLFWwindow* window;
  Session& session;
  Explorer& explorer;
  PanelHost& host;
  UiScale& scale;
  DecodeWorker& grid_worker;          // how busy picture decoding keeps it; finished pictures
  const DecodeWorker& cursor_worker;  // wake an idle loop, as input does
  KeyQueue& keys;                     // filled by the GLFW key callback
  std::vector<std::string>& dropped;  // filled by the GLFW drop callback
  Diagnostics* diagnostics;           // null in normal runs
  const volatile int* quit;           // set by SIGINT/SIGTERM
  DesktopShell& shell;                // menu bar, command shortcuts, file dialogs, Help
};

// Counts input (pointer, buttons, wheel, text, focus, size, expose) so an idle frame loop wakes
// for it. ImGui's GLFW backend chains to the callbacks this installs: call it before
// ImGui_ImplGlfw_InitForOpenGL. UI thread only.
void install_input_counter(GLFWwindow* window);
// The same for callbacks installed elsewhere (keys, drops).
void note_input();

// Runs until the window closes; returns the exit code (1 when a requested screenshot failed).
int run_frame_loop(FrameLoopParts parts);

}  // namespace vae::gui
