#include "app/gui/window_layout.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "imgui_internal.h"

namespace vae::gui {

const char* const kWindowTitles[8] = {"Training", "Loss",          "Latent space",    "Decoder",
                                      "Manifold", "Interpolation", "Reconstructions", "Samples"};

void default_window_rect(int index, ImVec2 display, float status_height, ImVec2* pos, ImVec2* size) {
  // Designed on 1280 x 776 (800 minus the status bar) and scaled to other displays:
  //   Training | Latent space | Decoder | Manifold
  //   Samples  | Loss         | Interpolation / Reconstructions
  struct R {
    float x, y, w, h;
  };
  static const R rects[8] = {
      {0, 0, 320, 520},      // Training
      {320, 420, 440, 356},  // Loss
      {320, 0, 440, 420},    // Latent space
      {760, 0, 200, 420},    // Decoder
      {960, 0, 320, 420},    // Manifold
      {760, 420, 520, 150},  // Interpolation
      {760, 570, 520, 206},  // Reconstructions
      {0, 520, 320, 256},    // Samples
  };
  const float sx = display.x / 1280.f, sy = (display.y - status_height) / 776.f;
  const R& r = rects[index];
  *pos = ImVec2(std::floor(r.x * sx), std::floor(r.y * sy));
  *size = ImVec2(std::floor(r.w * sx), std::floor(r.h * sy));
}

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

namespace {

void* settings_open(ImGuiContext*, ImGuiSettingsHandler* handler, const char* name) {
  return std::strcmp(name, "Paths") == 0 ? handler->UserData : nullptr;
}

void settings_line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* line) {
  auto& app = *static_cast<AppState*>(entry);
  auto value_of = [line](const char* key) -> const char* {
    const std::size_t n = std::strlen(key);
    return std::strncmp(line, key, n) == 0 && line[n] == '=' ? line + n + 1 : nullptr;
  };
  // Command-line choices (--load) win over what the last session remembered.
  if (const char* v = value_of("checkpoint"); v && app.checkpoint_path.empty()) app.checkpoint_path = v;
  if (const char* v = value_of("export_dir"); v && app.export_dir.empty()) app.export_dir = v;
}

void settings_write(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
  const auto& app = *static_cast<const AppState*>(handler->UserData);
  out->appendf("[%s][Paths]\n", handler->TypeName);
  out->appendf("checkpoint=%s\n", app.checkpoint_path.c_str());
  out->appendf("export_dir=%s\n", app.export_dir.c_str());
  out->append("\n");
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void register_settings_handler(AppState& app) {
  ImGuiSettingsHandler handler;
  handler.TypeName = "VaeExplorer";
  handler.TypeHash = ImHashStr("VaeExplorer");
  handler.ReadOpenFn = settings_open;
  handler.ReadLineFn = settings_line;
  handler.WriteAllFn = settings_write;
  handler.UserData = &app;
  ImGui::GetCurrentContext()->SettingsHandlers.push_back(handler);
}

std::string layout_json(const AppState& app) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, r] : app.hot_spots) {
    char rect[96];
    std::snprintf(rect, sizeof rect, "[%d, %d, %d, %d]", int(std::lround(r.x)), int(std::lround(r.y)),
                  int(std::lround(r.w)), int(std::lround(r.h)));
    out += (first ? "\n  \"" : ",\n  \"") + json_escape(name) + "\": " + rect;
    first = false;
  }
  out += "\n}\n";
  return out;
}

}  // namespace vae::gui
