#include "core/io/export.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

#include "core/errors.h"

namespace vae {
namespace fs = std::filesystem;

void write_file_atomically(const std::string& path, const std::string& contents) {
  if (path.empty()) throw IoError("no file name given");
  const fs::path target(path);
  if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
    throw IoError(path + ": folder " + target.parent_path().string() + " does not exist");
  // Same folder as the target, so the rename is atomic; the pid keeps parallel writers apart.
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot write in that folder (permission denied or read-only)");
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      throw IoError(path + ": write failed (disk full?)");
    }
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) {
    std::remove(temporary.c_str());
    throw IoError(path + ": cannot replace the file: " + error.message());
  }
}

Image make_grid(const std::vector<Image>& images, int columns, int padding, float background) {
  if (images.empty()) return Image();
  const Image& first = images.front();
  columns = std::max(1, std::min<int>(columns, static_cast<int>(images.size())));
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  Image grid(first.channels, rows * first.height + (rows + 1) * padding, columns * first.width + (columns + 1) * padding);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open for reading");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()),
                                          &width, &height, &channels, 0);
  if (!pixels) throw DataError(path + ": cannot decode image (" + std::string(stbi_failure_reason()) + ")");
  Image image(channels, height, width);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) image.at(c, y, x) = pixels[(std::size_t(y) * width + x) * channels + c] / 255.0f;
  stbi_image_free(pixels);
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
  // One table: a row per step; the epoch columns are filled on the step that closed the epoch.
  // Columns follow the model's named series, e.g. neg_elbo,recon,kl or loss,recon,codebook,...
  std::ostringstream out;
  out << "step,epoch," << history.loss_name;
  for (const auto& name : history.term_names) out << ',' << name;
  out << ",beta,samples_per_sec,test_" << history.loss_name;
  for (const auto& name : history.term_names) out << ",test_" << name;
  out << ",test_nll_is,iw_samples,active_units\n";
  const int terms = static_cast<int>(history.term_names.size());
  std::size_t next_epoch = 0;
  for (const auto& s : history.steps) {
    out << s.step << ',' << number(s.epoch) << ',' << number(s.loss);
    for (int t = 0; t < terms; ++t) out << ',' << number(MetricHistory::value_of(s.terms, t));
    out << ',' << number(s.beta) << ',' << number(s.samples_per_sec);
    if (next_epoch < history.epochs.size() && history.epochs[next_epoch].step == s.step) {
      const auto& e = history.epochs[next_epoch++];
      out << ',' << number(e.test_loss);
      for (int t = 0; t < terms; ++t) out << ',' << number(MetricHistory::value_of(e.test_terms, t));
      out << ',' << number(e.test_nll_is) << ',' << e.iw_samples << ',';
      if (e.active_units >= 0) out << e.active_units;
    } else {
      out << std::string(std::size_t(terms) + 4, ',');
    }
    out << '\n';
  }
  write_file_atomically(path, out.str());
}

}  // namespace vae
