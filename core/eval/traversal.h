#pragma once
// Latent traversals: one row per latent dimension, that dimension swept around a centre code
// while the others stay put, labelled with the dimension and its KL. As a labelled sheet (PNG)
// or as animation frames (GIF: one frame per step, every dimension's tile in each frame), and
// interpolation paths as frames. Torch-free: decodes through Inference.
#include <string>
#include <vector>

#include "core/eval/inference.h"
#include "core/image.h"

namespace vae {

struct TraversalOptions {
  int steps = 9;                   // values per dimension, evenly spaced over [-range, range] around the centre
  double range = 3.0;              // in prior standard deviations
  std::vector<float> center;       // the code swept around; empty = the prior mean 0
  std::vector<double> kl_per_dim;  // KL(q(z_d|x) || N(0, 1)) averaged over data; empty = unknown
  std::vector<double> activity;    // Cov_x(E_q[z_d]) (active units); empty = unknown
  bool sort_by_kl = true;          // rows by decreasing KL (needs kl_per_dim)
  bool skip_inactive = false;      // leave out dimensions that are not active units (needs activity)
};

struct Traversal {
  int steps = 0;
  std::vector<int> dims;        // the latent dimension of each row, in display order
  std::vector<double> kl;       // per row; NaN when unknown
  std::vector<bool> active;     // per row; true when unknown
  std::vector<double> offsets;  // per column: value - centre
  std::vector<float> center;
  std::vector<Image> cells;  // rows x steps, row-major
  const Image& cell(std::size_t row, int step) const { return cells[row * steps + step]; }
};

Traversal compute_traversal(const Inference& inference, const TraversalOptions& options);

// Nearest-neighbour enlargement by an integer factor (small decodes are hard to see in a GIF).
Image upscale(const Image& image, int factor);

// A grid of rows x steps tiles with a label column ("z3  KL 2.31", "(inactive)" when so) and a
// header of offsets. Tiles are enlarged by `zoom`. White background, black text.
Image traversal_sheet(const Traversal& traversal, int zoom = 1);
// One frame per step: every row's tile at that step, in a grid of `columns` (0 = about square),
// each labelled with its dimension, and the step's offset in a caption.
std::vector<Image> traversal_frames(const Traversal& traversal, int zoom = 2, int columns = 0);
// The decodes along a latent path (linear or spherical), one frame each, enlarged by `zoom`.
std::vector<Image> interpolation_frames(const Inference& inference, const std::vector<float>& from,
                                        const std::vector<float>& to, int steps, bool spherical, int zoom = 4);

}  // namespace vae
