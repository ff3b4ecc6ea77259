#include "app/cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/format.h"
#include "core/errors.h"

namespace vae::cli {

namespace {
double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& error) {
    std::cerr << "vae-explorer " << command << ": " << error.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "vae-explorer " << command << ": " << error.what() << "\n";
    return kExitFailure;
  }
}

ProgressLine::ProgressLine(std::string label) : label_(std::move(label)), tty_(::isatty(STDERR_FILENO)) {}

void ProgressLine::update(double fraction, const std::string& detail, double eta_seconds) {
  const double now = now_seconds();
  if (now - last_draw_ < (tty_ ? 0.2 : 10.0)) return;
  last_draw_ = now;
  constexpr int kBar = 24;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBar);
  std::string line = label_ + " [" + std::string(filled, '#') + std::string(kBar - filled, '-') + "] ";
  char percent[16];
  std::snprintf(percent, sizeof percent, "%3.0f%% ", 100 * std::clamp(fraction, 0.0, 1.0));
  line += percent + detail + "  ETA " + format_duration(eta_seconds);
  if (tty_) {
    const std::size_t width = line.size();
    if (width < last_width_) line += std::string(last_width_ - width, ' ');
    last_width_ = width;
    std::cerr << '\r' << line << std::flush;
  } else {
    std::cerr << line << '\n' << std::flush;
  }
}

void ProgressLine::note(const std::string& text) {
  if (tty_ && last_width_ > 0) std::cerr << '\r' << std::string(last_width_, ' ') << '\r';
  std::cerr << text << '\n' << std::flush;
  last_draw_ = -1e9;  // redraw the bar at the next update
}

void ProgressLine::finish(const std::string& detail) {
  if (tty_ && last_width_ > 0) std::cerr << '\r' << std::string(last_width_, ' ') << '\r';
  std::cerr << label_ << " done: " << detail << '\n' << std::flush;
}

std::shared_ptr<const Dataset> load_data_with_message(const DataSpec& spec) {
  const double start = now_seconds();
  auto data = load_dataset(spec);
  std::cerr << "data: " << data->name << ", " << data->train.count << " train / " << data->test.count << " test images of "
            << data->channels << "x" << data->height << "x" << data->width << " (" << std::lround(1000 * (now_seconds() - start))
            << " ms)\n";
  return data;
}

LoadedModel load_model(const std::string& path, const std::string& data_spec, bool need_data) {
  LoadedModel loaded;
  loaded.checkpoint = load_model_file(path);
  if (need_data) {
    loaded.data = load_data_with_message(data_spec_for(loaded.checkpoint, data_spec));
    if (!loaded.checkpoint.data_identity.empty() && loaded.data->identity() != loaded.checkpoint.data_identity)
      std::cerr << "note: the model was trained on " << loaded.checkpoint.data_identity << "\n";
  }
  return loaded;
}

}  // namespace vae::cli
