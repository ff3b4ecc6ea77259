#include "app/gui/diagnostics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/io/export.h"
#include "imgui.h"

namespace vae::gui {

namespace {
std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}
}  // namespace

std::unique_ptr<Diagnostics> Diagnostics::create(const GuiOptions& options) {
  const bool wanted = !options.screenshot_path.empty() || options.frames > 0 || !options.layout_json_path.empty() ||
                      !options.drop_paths.empty() || env("VAE_EXPLORER_DROP") || env("VAE_EXPLORER_FRAME_STATS") ||
                      env("VAE_EXPLORER_ALWAYS_REDRAW") || env("VAE_EXPLORER_SCATTER_STRESS") ||
                      env("VAE_EXPLORER_PRESENT") || env("VAE_EXPLORER_DAMAGE_CHECK") ||
                      env("VAE_EXPLORER_STEP_HISTORY_ROWS");
  if (!wanted) return nullptr;
  auto d = std::make_unique<Diagnostics>();
  d->layout_path_ = options.layout_json_path;
  d->screenshot_path_ = options.screenshot_path;
  d->screenshot_frames_ = options.screenshot_path.empty() ? options.frames : std::max(1, options.frames);
  d->drops_ = options.drop_paths;
  if (const char* drop = env("VAE_EXPLORER_DROP")) d->drops_.emplace_back(drop);
  if (const char* v = env("VAE_EXPLORER_ALWAYS_REDRAW")) {
    d->always_redraw_ = true;
    d->always_render_scatter_ = std::string(v) == "2";
  }
  if (const char* n = env("VAE_EXPLORER_SCATTER_STRESS")) d->scatter_stress_ = std::strtoull(n, nullptr, 10);
  if (const char* n = env("VAE_EXPLORER_STEP_HISTORY_ROWS")) d->step_history_rows_ = std::strtoull(n, nullptr, 10);
  if (const char* path = env("VAE_EXPLORER_FRAME_STATS")) d->stats_path_ = path;
  if (const char* mode = env("VAE_EXPLORER_PRESENT")) d->present_mode_ = mode;
  if (const char* check = env("VAE_EXPLORER_DAMAGE_CHECK")) {
    d->damage_check_ = true;
    if (std::string(check) != "1") d->damage_check_path_ = check;
  }
  return d;
}

void Diagnostics::record_item(const std::string& name) {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  spots_[name] = Box{a.x, a.y, b.x - a.x, b.y - a.y};
}

void Diagnostics::write_layout(float width, float height) {
  if (layout_path_.empty()) return;
  std::string out = "{\n  \"framebuffer\": [" + std::to_string(int(width)) + ", " + std::to_string(int(height)) +
                    "],\n  \"panels\": [";
  for (std::size_t i = 0; i < registered_.size(); ++i) out += (i ? ", \"" : "\"") + json_escape(registered_[i]) + "\"";
  out += "],\n  \"hidden\": [";
  for (std::size_t i = 0; i < hidden_.size(); ++i) out += (i ? ", \"" : "\"") + json_escape(hidden_[i]) + "\"";
  out += "],\n  \"values\": {";
  bool first = true;
  for (const auto& [name, value] : values_) {
    char number[48];
    std::snprintf(number, sizeof number, "%.6g", std::isfinite(value) ? value : 0.0);
    out += (first ? "\"" : ", \"") + json_escape(name) + "\": " + number;
    first = false;
  }
  out += "}";
  for (const auto& [name, r] : spots_) {
    char rect[96];
    std::snprintf(rect, sizeof rect, "[%d, %d, %d, %d]", int(std::lround(r.x)), int(std::lround(r.y)),
                  int(std::lround(r.w)), int(std::lround(r.h)));
    out += ",\n  \"" + json_escape(name) + "\": " + rect;
  }
  out += "\n}\n";
  if (out == last_layout_) return;
  try {
    write_file_atomically(layout_path_, out);
    last_layout_ = std::move(out);
  } catch (const std::exception& e) {
    if (!layout_error_reported_) std::fprintf(stderr, "vae-explorer: %s\n", e.what());
    layout_error_reported_ = true;
  }
}

std::vector<std::string> Diagnostics::take_drops(std::uint64_t frame) {
  if (frame < 1) return {};
  std::vector<std::string> out = std::move(drops_);
  drops_.clear();
  return out;
}

void Diagnostics::write_stats() const {
  if (stats_path_.empty()) return;
  try {
    write_file_atomically(stats_path_, stats_.json());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vae-explorer: %s\n", e.what());
  }
}

}  // namespace vae::gui
