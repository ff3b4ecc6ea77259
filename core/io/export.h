#pragma once
// Exports: PNG grids of images, CSV of latent codes and metric history. Every write goes to a
// temporary file in the same folder and is renamed over the target, so a crash never leaves
// a half-written file; failures throw IoError naming the file.
#include <string>
#include <vector>

#include "core/eval/inference.h"
#include "core/image.h"
#include "core/train/metrics.h"

namespace vae {

// Tiles images (all the same shape) into rows of `columns`, with `padding` pixels between.
Image make_grid(const std::vector<Image>& images, int columns, int padding = 2, float background = 1.0f);
// 8-bit PNG, grayscale or RGB as the image has 1 or 3 channels.
void write_png(const Image& image, const std::string& path);
Image read_png(const std::string& path);  // for tests and the drop target; throws DataError

// index,label,class,mu_0..mu_{d-1},logvar_0..
void write_latents_csv(const LatentCodes& codes, const std::vector<int>& labels,
                       const std::vector<std::string>& class_names, const std::string& path);
void write_metrics_csv(const MetricHistory& history, const std::string& path);

// Write `contents` to `path` through a temporary file "PATH.tmp-PID" in the same folder, fsync'd
// before the rename (and the folder after it). Temporaries left by dead processes are removed
// first. Throws IoError naming the file; on failure the previous file is unchanged.
void write_file_atomically(const std::string& path, const std::string& contents);
// Checks before long work that `path` can be written: its folder exists and takes a new file.
// Throws IoError naming the file and the reason.
void check_writable(const std::string& path);

}  // namespace vae
