#include "core/io/export.h"

#include <stb/stb_image_write.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <cerrno>
#include <cstring>

#include "core/data/image_decode.h"
#include "core/errors.h"

namespace vae {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Writes all of `contents` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, const std::string& contents, int& error) {
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t wrote = ::write(fd, contents.data() + done, contents.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return false;
    }
    done += static_cast<std::size_t>(wrote);
  }
  return true;
}

// "NAME.tmp-PID" files another process left when it was killed mid-write: removed when that
// process no longer exists (ours and live writers' are left alone).
void remove_stale_temporaries(const fs::path& folder, const std::string& name) {
  const std::string prefix = name + ".tmp-";
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string entry = it->path().filename().string();
    if (entry.size() <= prefix.size() || entry.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = entry.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to signal)
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents) {
  if (path.empty()) throw IoError("no file name given");
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(folder)) throw IoError(path + ": folder " + folder.string() + " does not exist");
  if (fs::is_directory(target)) throw IoError(path + ": is a folder");
  remove_stale_temporaries(folder, target.filename().string());
  // Same folder as the target, so the rename is atomic; the pid keeps parallel writers apart.
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    throw IoError(path + ": cannot write in that folder (" + errno_text(error) + ")");
  }
  int error = 0;
  // The data reach the disk before the rename makes them the file: after a power cut the name
  // holds the old contents or the new, never a hole.
  bool ok = write_all(fd, contents, error);
  if (ok && ::fsync(fd) != 0) ok = false, error = errno;
  if (::close(fd) != 0 && ok) ok = false, error = errno;
  if (!ok) {
    ::unlink(temporary.c_str());
    throw IoError(path + ": write failed (" + errno_text(error) + "); the previous file is unchanged");
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    error = errno;
    ::unlink(temporary.c_str());
    throw IoError(path + ": cannot replace the file (" + errno_text(error) + ")");
  }
  // And the rename itself reaches the disk.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void check_writable(const std::string& path) {
  if (path.empty()) throw IoError("no file name given");
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw IoError(path + ": folder " + folder.string() + " does not exist");
  if (fs::is_directory(target, error)) throw IoError(path + ": is a folder, not a file name");
  if (fs::exists(target, error) && !fs::is_regular_file(target, error))
    throw IoError(path + ": exists and is not a regular file");
  // Try it: permissions, read-only mounts and ACLs all answer the same way.
  const std::string probe = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int code = errno;
    throw IoError(path + ": cannot write in folder " + folder.string() + " (" + errno_text(code) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

Image make_grid(const std::vector<Image>& images, int columns, int padding, float background) {
  if (images.empty()) return Image();
  const Image& first = images.front();
  columns = std::max(1, std::min<int>(columns, static_cast<int>(images.size())));
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  Image grid(first.channels, rows * first.height + (rows + 1) * padding,
             columns * first.width + (columns + 1) * padding);
  std::fill(grid.pixels.begin(), grid.pixels.end(), background);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Image& image = images[i];
    if (image.channels != first.channels || image.height != first.height || image.width != first.width)
      throw Error("make_grid: images of different shapes");
    const int top = padding + static_cast<int>(i / columns) * (first.height + padding);
    const int left = padding + static_cast<int>(i % columns) * (first.width + padding);
    for (int c = 0; c < image.channels; ++c)
      for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) grid.at(c, top + y, left + x) = image.at(c, y, x);
  }
  return grid;
}

void write_png(const Image& image, const std::string& path) {
  if (image.channels != 1 && image.channels != 3) throw IoError(path + ": PNG export takes 1 or 3 channels");
  if (image.width <= 0 || image.height <= 0) throw IoError(path + ": nothing to export (empty image)");
  std::vector<unsigned char> interleaved(image.size());
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      for (int c = 0; c < image.channels; ++c) {
        const float v = std::clamp(image.at(c, y, x), 0.0f, 1.0f);
        interleaved[(std::size_t(y) * image.width + x) * image.channels + c] =
            static_cast<unsigned char>(std::lround(v * 255.0f));
      }
  std::string encoded;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
  };
  if (!stbi_write_png_to_func(append, &encoded, image.width, image.height, image.channels, interleaved.data(),
                              image.width * image.channels))
    throw IoError(path + ": PNG encoding failed");
  write_file_atomically(path, encoded);
}

Image read_png(const std::string& path) {
  const DecodedImage decoded = read_image_file(path, 0);
  // Grey and RGB as they are; grey+alpha and RGBA lose their alpha.
  const int channels = decoded.channels >= 3 ? 3 : 1;
  Image image(channels, decoded.height, decoded.width);
  for (int y = 0; y < decoded.height; ++y)
    for (int x = 0; x < decoded.width; ++x)
      for (int c = 0; c < channels; ++c)
        image.at(c, y, x) = decoded.pixels[(std::size_t(y) * decoded.width + x) * decoded.channels + c] / 255.0f;
  return image;
}

namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.7g", value);
  return text;
}

}  // namespace

void write_latents_csv(const LatentCodes& codes, const std::vector<int>& labels,
                       const std::vector<std::string>& class_names, const std::string& path) {
  std::ostringstream out;
  out << "index,label,class";
  for (int d = 0; d < codes.dims; ++d) out << ",mu_" << d;
  const bool variance = !codes.logvar.empty();  // models without a posterior variance have none
  if (variance)
    for (int d = 0; d < codes.dims; ++d) out << ",logvar_" << d;
  out << '\n';
  for (std::size_t i = 0; i < codes.count; ++i) {
    const int label = i < labels.size() ? labels[i] : -1;
    out << i << ',';
    if (label >= 0) out << label;
    out << ',';
    if (label >= 0 && label < static_cast<int>(class_names.size())) out << csv_field(class_names[label]);
    for (int d = 0; d < codes.dims; ++d) out << ',' << number(codes.mu[i * codes.dims + d]);
    if (variance)
      for (int d = 0; d < codes.dims; ++d) out << ',' << number(codes.logvar[i * codes.dims + d]);
    out << '\n';
  }
  write_file_atomically(path, out.str());
}

void write_metrics_csv(const MetricHistory& history, const std::string& path) {
  // One table: a row per history row (a step, or once a long run's history is thinned the mean
  // of the steps first_step..step, core/train/step_history.h); the epoch columns are filled on
  // the row that covers the step that closed the epoch. Columns follow the model's named series,
  // e.g. neg_elbo,recon,kl or loss,recon,codebook,...
  std::ostringstream out;
  // Per-dimension KL and activity columns when the history recorded them (same rule for
  // "active" as everywhere: core/eval/posterior_health.h).
  std::size_t dims = 0;
  for (const auto& e : history.epochs) dims = std::max(dims, e.kl_per_dim.size());
  out << "step,epoch," << history.loss_name;
  for (const auto& name : history.term_names) out << ',' << name;
  out << ",beta,samples_per_sec,first_step,test_" << history.loss_name;
  for (const auto& name : history.term_names) out << ",test_" << name;
  out << ",test_nll_is,iw_samples,active_units";
  for (std::size_t d = 0; d < dims; ++d) out << ",kl_" << d;
  for (std::size_t d = 0; d < dims; ++d) out << ",activity_" << d;
  out << '\n';
  const int terms = static_cast<int>(history.term_names.size());
  auto epoch_columns = [&](const EpochMetrics& e) {
    out << ',' << number(e.test_loss);
    for (int t = 0; t < terms; ++t) out << ',' << number(MetricHistory::value_of(e.test_terms, t));
    out << ',' << number(e.test_nll_is) << ',' << e.iw_samples << ',';
    if (e.active_units >= 0) out << e.active_units;
    for (std::size_t d = 0; d < dims; ++d) out << ',' << (d < e.kl_per_dim.size() ? number(e.kl_per_dim[d]) : "");
    for (std::size_t d = 0; d < dims; ++d) out << ',' << (d < e.activity.size() ? number(e.activity[d]) : "");
    out << '\n';
  };
  // An epoch that shares no row (several epochs closed within one thinned row, or a history that
  // lacks the step) gets a line of its own: its step and epoch, no train columns.
  auto epoch_line = [&](const EpochMetrics& e) {
    out << e.step << ',' << e.epoch << std::string(std::size_t(terms) + 4, ',');
    epoch_columns(e);
  };
  std::size_t next_epoch = 0;
  const auto& epochs = history.epochs;
  for (const auto& s : history.steps) {
    while (next_epoch < epochs.size() && epochs[next_epoch].step < s.first_step()) epoch_line(epochs[next_epoch++]);
    // Of the epochs this row covers, the last goes on the row, any before it on lines of their own.
    while (next_epoch + 1 < epochs.size() && epochs[next_epoch + 1].step <= s.step) epoch_line(epochs[next_epoch++]);
    out << s.step << ',' << number(s.epoch) << ',' << number(s.loss);
    for (int t = 0; t < terms; ++t) out << ',' << number(MetricHistory::value_of(s.terms, t));
    out << ',' << number(s.beta) << ',' << number(s.samples_per_sec) << ',' << s.first_step();
    if (next_epoch < epochs.size() && epochs[next_epoch].step <= s.step) {
      epoch_columns(epochs[next_epoch++]);
    } else {
      out << std::string(std::size_t(terms) + 4 + 2 * dims, ',') << '\n';
    }
  }
  while (next_epoch < epochs.size()) epoch_line(epochs[next_epoch++]);
  write_file_atomically(path, out.str());
}

}  // namespace vae
