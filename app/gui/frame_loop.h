#pragma once
// The frame loop: input, the per-frame update of the session and the explorer, drawing the
// panels, skipping the rasterisation of unchanged pictures, 60 fps pacing, and the diagnostics
// hooks (screenshots, layout JSON, test drops, frame statistics) when they are on.
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

struct FrameLoopParts {
  GLFWwindow* window;
  Session& session;
  Explorer& explorer;
  PanelHost& host;
  UiScale& scale;
  const DecodeWorker& grid_worker;    // how busy picture decoding keeps it
  KeyQueue& keys;                     // filled by the GLFW key callback
  std::vector<std::string>& dropped;  // filled by the GLFW drop callback
  Diagnostics* diagnostics;           // null in normal runs
  const volatile int* quit;           // set by SIGINT/SIGTERM
};

// Runs until the window closes; returns the exit code (1 when a requested screenshot failed).
int run_frame_loop(FrameLoopParts parts);

}  // namespace vae::gui
