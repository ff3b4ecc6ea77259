#pragma once
// Everything the window remembers between frames. run() owns one AppState; each panel is a free
// function over it and the snapshot of the frame. Only the UI thread touches it; background work
// (data loading, checkpoint reading, test-set encoding) hands results back through futures that
// update() collects at the start of a frame.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "app/gui/gl_util.h"
#include "app/gui/gui.h"
#include "core/data/dataset.h"
#include "core/eval/inference.h"
#include "core/io/checkpoint.h"
#include "core/runtime/runtime.h"
#include "core/train/snapshot.h"
#include "core/train/trainer.h"

namespace vae::gui {

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;
  bool operator==(const Rect& o) const { return x == o.x && y == o.y && w == o.w && h == o.h; }
};

enum class PlaneMode { Dimensions = 0, Pca = 1 };

// Latent means of the test set under one set of weights, with their principal axes.
struct EncodedTestSet {
  std::shared_ptr<const ModelState> model;
  LatentCodes codes;
  std::vector<int> labels;
  Pca pca;
  bool has_pca = false;
  double seconds = 0;  // how long encoding took, shown in the panel
};

struct LossPanelState {
  bool log_y = false;
  bool auto_scroll = true;
  double x0 = 0, x1 = 1;  // epochs shown when not auto-scrolling
  float smoothing = 0.9f;
  // Smoothed copies of the step series (the loss, then the model's named terms), extended
  // incrementally as the history grows.
  std::vector<std::vector<float>> smooth;
  std::vector<double> ema;
  std::size_t smoothed_count = 0;
  float smoothed_with = -1;
  const void* smoothed_trainer = nullptr;
};

struct LatentPanelState {
  PlaneMode mode = PlaneMode::Pca;
  int dim_x = 0, dim_y = 1;
  double cx = 0, cy = 0, units_per_pixel = 0.02;
  bool fitted = false;
  bool auto_fit = true;
  float plot_w = 300, plot_h = 250;  // last inner plot size, for fitting before layout  // refit whenever the codes
                                     // change, until the user pans or zooms
  bool live = true;                  // re-encode while training
  float point_size = 3.f, alpha = 0.55f;
  std::vector<float> plane_xy;  // the scatter in plane coordinates
  std::uint64_t plane_key = 0;  // which codes/plane plane_xy was computed for
  ScatterRenderer scatter;
  std::uint64_t scatter_key = 0;
  int hover_index = -1;
  Texture hover_texture;
  int hover_texture_index = -1;
  bool dragging_cursor = false;
};

struct DecoderPanelState {
  Texture texture;
  std::uint64_t key = 0;  // hash of (model serial, z) last decoded
  int encode_index = 0;
  Texture pick_texture;
  int pick_texture_index = -1;
  std::mt19937_64 rng{12345};
  std::vector<float> test_kl;  // per-dimension KL over the encoded test set
  std::uint64_t test_kl_serial = ~0ull;
};

struct ManifoldPanelState {
  int n = 10;
  int spacing = 0;  // 0: inverse Gaussian CDF, 1: linear
  float linear_range = 3.f;
  Texture texture;
  Image grid;
  std::uint64_t key = 0;
  std::vector<std::vector<float>> cell_z;  // n*n latent codes, row-major from the top
};

struct InterpolationPanelState {
  int source[2] = {1, 0};  // 0: cursor, 1: test image
  int index[2] = {0, 1};
  int steps = 8;
  bool spherical = false;
  Texture texture;
  Image grid;
  std::uint64_t key = 0;
};

struct ReconstructionPanelState {
  int count = 8;
  int first = 0;
  bool heat_map = false;
  Texture texture;
  Image grid;
  std::uint64_t key = 0;
};

struct SamplesPanelState {
  int columns = 8;
  int rows = 4;
  std::uint64_t seed = 1;
  Texture texture;
  Image grid;
  std::uint64_t key = 0;
};

struct Message {
  std::string text;
  bool error = false;
  double time = 0;
};

struct AppState {
  GuiOptions options;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  double now = 0;  // seconds since start, updated each frame
  std::uint64_t frame = 0;
  BlasInfo blas;
  std::string threads_description;

  // --- data and training ---
  std::shared_ptr<const Dataset> data;
  int data_kind = 0;  // Training panel combo: 0 Fashion-MNIST, 1 IDX folder, 2 image folder, 3 synthetic
  std::string data_path;
  int image_size = 28;        // image folders: resized to this square size
  bool image_rgb = false;     // image folders: keep colour
  float test_fraction = 0.1f;  // image folders: share of each class held out
  struct PendingData {
    std::string spec;
    std::future<std::shared_ptr<const Dataset>> future;
    bool start_training = false;
    std::optional<Checkpoint> checkpoint;  // to continue once the data is there
    std::string checkpoint_path;
    double since = 0;
  };
  std::optional<PendingData> pending_data;
  // Loads superseded by a newer request: kept until they finish (a std::async future blocks in its
  // destructor), then discarded.
  std::vector<std::future<std::shared_ptr<const Dataset>>> abandoned_data;
  std::future<Checkpoint> pending_checkpoint;
  std::string pending_checkpoint_path;

  ModelConfig model_config;  // as edited; applied by "New model" / Start
  TrainConfig train_config;
  std::string hidden_text = "400";
  std::unique_ptr<Trainer> trainer;
  std::string trainer_origin;  // "new model" or the checkpoint it came from
  std::shared_ptr<const Snapshot> snapshot;
  double snapshot_time = -1;
  std::string checkpoint_path;  // last saved or loaded; persisted in imgui.ini
  std::string export_dir;       // where Export buttons write; persisted in imgui.ini

  // --- decoding ---
  std::shared_ptr<const Inference> inference;
  std::uint64_t model_serial = 0;    // +1 whenever `inference` gets new weights
  std::uint64_t display_serial = 0;  // follows model_serial at most a few times a second
  double display_serial_time = -1;
  std::vector<float> z;  // the cursor: current latent code
  std::uint64_t z_serial = 0;

  // --- test-set encoding for the scatter ---
  std::shared_ptr<const EncodedTestSet> encoded;
  std::uint64_t encoded_serial = 0;
  std::future<std::shared_ptr<const EncodedTestSet>> encoding;
  double last_encode_time = -100;
  int last_encoded_epoch = -1;
  bool encode_requested = true;
  std::size_t scatter_stress = 0;  // VAE_EXPLORER_SCATTER_STRESS: duplicate points up to this count
  // VAE_EXPLORER_ALWAYS_REDRAW=1: rasterise every frame; =2: also re-render the scatter every frame
  // (as while panning). For measuring worst cases.
  bool always_redraw = false;
  bool always_render_scatter = false;

  // One grid panel (manifold, samples, ...) may redecode per frame: after new weights arrive they
  // take turns over consecutive frames instead of stacking up into one long frame.
  bool heavy_work_done = false;

  // --- messages ---
  std::deque<Message> messages;  // newest first
  std::uint64_t seen_message_id = 0;

  // --- panels ---
  LossPanelState loss;
  LatentPanelState latent;
  DecoderPanelState decoder;
  ManifoldPanelState manifold;
  InterpolationPanelState interpolation;
  ReconstructionPanelState reconstructions;
  SamplesPanelState samples;

  // Screen rectangles of windows and key widgets, for --layout-json.
  std::map<std::string, Rect> hot_spots;
};

// --- actions (actions.cpp) ---
void report(AppState& app, const std::string& text, bool error);
void request_data(AppState& app, const std::string& spec, bool start_training);
void request_data(AppState& app, const DataSpec& spec, bool start_training);
void open_checkpoint(AppState& app, const std::string& path);
void new_trainer(AppState& app, bool start);
void save_checkpoint(AppState& app, const std::string& path);
// Files dropped on the window: checkpoints, IDX files and folders, image folders.
void handle_drop(AppState& app, const std::string& path);
// Collects finished background work and the latest snapshot; call once at the start of a frame.
void update(AppState& app);
// Waits for background work and stops training; nothing is left half-written.
void shutdown(AppState& app);
std::string export_path(const AppState& app, const std::string& file_name);

// --- the 2-D plane shared by the latent scatter and the manifold (shared.cpp) ---
int latent_dim(const AppState& app);
bool plane_uses_pca(const AppState& app);
std::array<double, 2> plane_coords(const AppState& app, const std::vector<float>& z);
std::vector<float> z_on_plane(const AppState& app, const std::vector<float>& z, double u, double v);
std::string plane_axis_name(const AppState& app, int axis);
void set_z(AppState& app, std::vector<float> z);
// Decoding helpers that turn engine errors into messages instead of exceptions.
std::vector<Image> decode_many(AppState& app, const std::vector<float>& z, std::size_t count);
// True (once per frame) when a grid panel may do its decoding now; see AppState::heavy_work_done.
bool take_heavy_work_slot(AppState& app);
std::uint64_t hash_mix(std::uint64_t seed, std::uint64_t value);
std::uint64_t hash_floats(std::uint64_t seed, const std::vector<float>& values);

// Records the last ImGui item's rectangle under `name` for --layout-json.
void hot_spot(AppState& app, const std::string& name);
// Tooltip for the last item.
void tip(const char* text);

}  // namespace vae::gui
