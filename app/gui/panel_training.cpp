// Training: run controls and progress first (always in view, however short the window), then
// checkpoints and exports, the data set, model and optimiser settings, and the messages.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/format.h"
#include "app/gui/diagnostics.h"
#include "app/gui/explorer.h"
#include "app/gui/panel.h"
#include "app/gui/session.h"
#include "app/gui/widgets.h"
#include "core/errors.h"
#include "core/io/export.h"
#include "imgui.h"
#include "imgui_stdlib.h"

namespace vae::gui {

namespace {

const char* const kDataKinds[] = {"Fashion-MNIST", "IDX folder", "Image folder", "Synthetic"};

std::vector<int> parse_hidden(const std::string& text) {
  std::vector<int> widths;
  std::string token;
  std::istringstream in(text);
  while (std::getline(in, token, ',')) {
    token.erase(std::remove_if(token.begin(), token.end(), [](unsigned char c) { return std::isspace(c); }),
                token.end());
    if (token.empty()) continue;
    try {
      widths.push_back(std::stoi(token));
    } catch (const std::exception&) {
      throw ConfigError("hidden layers: '" + token + "' is not a number (write widths like 512,256)");
    }
  }
  return widths;
}

std::string hidden_text(const std::vector<int>& widths) {
  std::string text;
  for (int w : widths) text += (text.empty() ? "" : ",") + std::to_string(w);
  return text;
}

}  // namespace

class TrainingPanel : public Panel {
 public:
  explicit TrainingPanel(PanelContext& context) : ctx_(context), session_(context.session) {
    sync_data_form(session_.options().data.to_string());
    hidden_ = hidden_text(session_.model_config.hidden);
  }

  void draw() override {
    follow_session();
    const Snapshot& snap = session_.snapshot();
    controls_section(snap);
    checkpoint_section();
    exports_section();
    ImGui::Separator();
    data_section();
    model_section(session_.training());
    optimiser_section();
    messages_section();
  }

 private:
  // The form follows what was loaded (drops, checkpoints) so it always describes the session.
  void follow_session() {
    if (session_.data_serial() != data_serial_) {
      data_serial_ = session_.data_serial();
      if (const auto& data = session_.data()) {
        sync_data_form(data->spec);
        if (data_kind_ == 2) {
          image_size_ = data->height;
          image_rgb_ = data->channels == 3;
          test_fraction_ = float(data->test_fraction);
        }
      }
    }
    if (session_.trainer_serial() != trainer_serial_) {
      trainer_serial_ = session_.trainer_serial();
      hidden_ = hidden_text(session_.model_config.hidden);
    }
  }

  void sync_data_form(const std::string& spec) {
    data_kind_ = spec.rfind("idx:", 0) == 0 ? 1 : spec.rfind("images:", 0) == 0 ? 2 : spec == "synthetic" ? 3 : 0;
    if (data_kind_ == 1 || data_kind_ == 2) data_path_ = spec.substr(spec.find(':') + 1);
    if (data_kind_ == 2) {
      const DataSpec& d = session_.options().data;
      image_size_ = d.image_size;
      image_rgb_ = d.rgb;
      test_fraction_ = float(d.test_fraction);
    }
  }

  DataSpec data_spec_from_form() const {
    DataSpec spec;
    switch (data_kind_) {
      case 1:
        spec.kind = DataSpec::Kind::Idx;
        spec.path = data_path_;
        break;
      case 2:
        spec.kind = DataSpec::Kind::ImageFolder;
        spec.path = data_path_;
        spec.image_size = image_size_;
        spec.rgb = image_rgb_;
        spec.test_fraction = test_fraction_;
        spec.seed = session_.train_config.seed;
        break;
      case 3:
        spec.kind = DataSpec::Kind::Synthetic;
        break;
      default:
        spec.kind = DataSpec::Kind::FashionMnist;
    }
    return spec;
  }

  // Applies the hidden-layer text; false (and a message) when it does not parse.
  bool apply_hidden() {
    try {
      session_.model_config.hidden = parse_hidden(hidden_);
      return true;
    } catch (const std::exception& e) {
      ctx_.messages.report(e.what(), true);
      return false;
    }
  }

  void new_model(bool start) {
    if (apply_hidden()) session_.new_trainer(start);
  }

  void data_section() {
    ImGui::SetNextItemWidth(std::min(150.f * ImGui::GetFontSize() / 13.f, ImGui::GetContentRegionAvail().x));
    ImGui::Combo("##datakind", &data_kind_, kDataKinds, 4);
    tip("Which data set to train on. Fashion-MNIST comes from Debian's dataset-fashion-mnist package.");
    const bool busy = session_.loading_data();
    Toolbar bar;
    bar.next(Toolbar::button("Load data"));
    ImGui::BeginDisabled(busy);
    if (ImGui::Button("Load data") && apply_hidden()) session_.request_data(data_spec_from_form(), true);
    ImGui::EndDisabled();
    tip("Load the chosen data set and start training a new model on it. You can also drop an IDX file or an "
        "image folder onto the window.");
    if (data_kind_ == 1 || data_kind_ == 2) {
      ImGui::SetNextItemWidth(-1);
      ImGui::InputTextWithHint("##datapath", data_kind_ == 1 ? "folder with *-idx3-ubyte files" : "folder of images",
                               &data_path_);
      tip("Folder to load: IDX files (train-images-idx3-ubyte[.gz], ...) or one sub-folder of images per class.");
    }
    if (data_kind_ == 2) {
      static const int kSizes[] = {28, 32, 64};
      int choice = int(std::find(std::begin(kSizes), std::end(kSizes), image_size_) - std::begin(kSizes)) % 3;
      const float unit = ImGui::GetFontSize();
      ImGui::SetNextItemWidth(4.5f * unit);
      if (ImGui::Combo("px", &choice,
                       "28\0"
                       "32\0"
                       "64\0"))
        image_size_ = kSizes[choice];
      tip("Images are resized to this square size (28, 32 and 64 also suit the convolutional model).");
      bar.next(Toolbar::checkbox("RGB"));
      ImGui::Checkbox("RGB", &image_rgb_);
      tip("Keep colour (3 channels) instead of converting to grayscale.");
      bar.next(Toolbar::labelled(4.5f * unit, "test"));
      ImGui::SetNextItemWidth(4.5f * unit);
      ImGui::SliderFloat("test", &test_fraction_, 0.05f, 0.5f, "%.2f");
      tip("Share of each class's images held out as the test set.");
    }
    if (busy) {
      ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "Loading %s ... %.1f s", session_.loading_spec().c_str(),
                         session_.now() - session_.loading_since());
    } else if (const auto& data = session_.data()) {
      ImGui::TextDisabled("%zu train / %zu test images, %dx%dx%d", data->train.count, data->test.count, data->channels,
                          data->height, data->width);
      tip(data->name.c_str());
    } else {
      ImGui::TextDisabled("No data loaded");
    }
  }

  void model_section(bool running) {
    if (!ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) return;
    ModelConfig& m = session_.model_config;
    ImGui::PushItemWidth(std::min(9.f * ImGui::GetFontSize(), ImGui::GetContentRegionAvail().x * 0.55f));
    // The family first: what kind of latent the next model has.
    int family = m.family == ModelFamily::VqVae ? 2 : m.conditional ? 1 : 0;
    if (ImGui::Combo("model", &family, "VAE\0Conditional VAE\0VQ-VAE\0")) {
      m.family = family == 2 ? ModelFamily::VqVae : ModelFamily::Vae;
      m.conditional = family == 1;
      if (family == 2) m.kind = ModelKind::Conv;  // the VQ-VAE is convolutional
    }
    hot_spot(ctx_.diagnostics, "Training.Family");
    tip("VAE: Gaussian posterior, N(0, I) prior. Conditional VAE: p(x | y, z) and q(z | x, y) with the class label "
        "y as a one-hot input, so you can choose the class of every picture (needs a labelled data set). VQ-VAE: "
        "a grid of discrete codes from a learned codebook (van den Oord et al. 2017). Applies to the next new "
        "model.");
    if (m.conditional) {
      const auto& data = session_.data();
      if (data && !data->train.has_labels()) {
        ImGui::TextColored(ImVec4(1.f, 0.6f, 0.5f, 1.f), "'%s' has no labels", data->name.c_str());
        tip("A conditional VAE needs a class for every image: load a labelled data set (Fashion-MNIST, IDX files "
            "with labels, synthetic shapes, or an image folder with one sub-folder per class).");
      } else if (data) {
        ImGui::TextDisabled("%zu classes from the data set", data->class_names.size());
      }
    }
    if (m.family == ModelFamily::VqVae) {
      ImGui::InputInt("codebook", &m.codebook, 0, 0);
      tip("Number of codebook entries K (2..4096).");
      ImGui::InputInt("code size", &m.code_dim, 0, 0);
      tip("Length of each code vector (1..256).");
    } else {
      int kind = int(m.kind);
      if (ImGui::Combo("architecture", &kind, "MLP\0Convolutional\0")) m.kind = ModelKind(kind);
      tip("MLP: fully connected encoder and decoder (the reference model). Convolutional: conv encoder, "
          "transposed-conv decoder. Applies to the next new model.");
    }
    ImGui::InputText("hidden", &hidden_);
    tip("Widths of the hidden layers, comma separated (e.g. 400 or 512,256). For the convolutional model, "
        "the width of its dense layer.");
    if (m.family != ModelFamily::VqVae) {
      ImGui::InputInt("latent size", &m.latent);
      tip("Number of latent dimensions (1..256). 2 lets the scatter show the latent space without PCA.");
    }
    int likelihood = int(m.likelihood);
    if (ImGui::Combo("likelihood", &likelihood, "Bernoulli\0Gaussian\0Continuous Bernoulli\0")) {
      m.likelihood = Likelihood(likelihood);
    }
    tip("Decoder distribution p(x|z). Bernoulli matches the original VAE paper on binarised digits.");
    if (m.likelihood == Likelihood::Gaussian) {
      ImGui::SetNextItemWidth(4.5f * ImGui::GetFontSize());
      ImGui::InputDouble("sigma", &m.gaussian_sigma, 0, 0, "%.3f");
      tip("Standard deviation of the Gaussian likelihood (initial value when learned).");
      ImGui::SameLine();
      ImGui::Checkbox("learned", &m.learn_variance);
      tip("Learn one global sigma instead of keeping it fixed.");
    }
    ImGui::PopItemWidth();
    ImGui::BeginDisabled(running || session_.loading_data());
    if (ImGui::Button("New model")) new_model(false);
    ImGui::EndDisabled();
    tip("Create a fresh, untrained model with these settings (the current one is discarded unless saved).");
  }

  void optimiser_section() {
    if (!ImGui::CollapsingHeader("Optimiser", ImGuiTreeNodeFlags_DefaultOpen)) return;
    TrainConfig& t = session_.train_config;
    Trainer* trainer = session_.trainer();
    const float unit = ImGui::GetFontSize();
    ImGui::PushItemWidth(std::min(9.f * unit, ImGui::GetContentRegionAvail().x * 0.55f));
    float beta = float(t.beta);
    if (ImGui::SliderFloat("beta", &beta, 0.f, 10.f, "%.2f", ImGuiSliderFlags_Logarithmic)) {
      t.beta = beta;
      if (trainer) trainer->set_beta(beta);
    }
    tip("Weight of the KL term (beta-VAE). 0 gives a plain autoencoder; larger values trade reconstruction "
        "for a smoother latent space. Takes effect immediately, also while training.");
    if (ImGui::InputDouble("learning rate", &t.learning_rate, 0, 0, "%.1e") && t.learning_rate > 0) {
      if (trainer) trainer->set_learning_rate(t.learning_rate);
    }
    tip("Adam step size. Takes effect immediately, also while training.");
    ImGui::InputInt("batch size", &t.batch_size, 16, 64);
    tip("Examples per optimiser step. Applies to the next new model.");
    ImGui::PopItemWidth();
    ImGui::SetNextItemWidth(4.5f * unit);
    if (ImGui::InputInt("epochs", &t.epochs, 0, 0) && t.epochs >= 1 && trainer) trainer->set_epochs(t.epochs);
    hot_spot(ctx_.diagnostics, "Training.Epochs");
    tip("Planned number of passes over the training set; can be extended while training.");
    Toolbar bar;
    bar.next(Toolbar::labelled(3.5f * unit, "IS k"));
    ImGui::SetNextItemWidth(3.5f * unit);
    if (ImGui::InputInt("IS k", &t.iw_samples, 0, 0)) {
      t.iw_samples = std::max(0, t.iw_samples);
      if (trainer) trainer->set_iw_samples(t.iw_samples);
    }
    tip("After each epoch, estimate the test log-likelihood by importance sampling with this many samples per "
        "image (Burda et al. 2016) on the first 1000 test images; 0 = off. Drawn in Loss as 'test NLL (IS)'. "
        "Takes effect at the end of the next epoch, also on a loaded or resumed run.");
  }

  void controls_section(const Snapshot& snap) {
    const bool have = session_.has_trainer();
    Trainer* trainer = session_.trainer();
    const TrainerState s = have ? snap.state : TrainerState::Idle;
    const bool busy = session_.loading_data();
    Toolbar bar;

    ImGui::BeginDisabled(busy || s == TrainerState::Running || s == TrainerState::Paused);
    if (ImGui::Button("Start")) {
      if (have && s == TrainerState::Idle) {
        trainer->start();
      } else {
        new_model(true);
      }
    }
    hot_spot(ctx_.diagnostics, "Training.Start");
    ImGui::EndDisabled();
    tip("Start training (a finished or failed run starts over with a new model).");
    bar.next(Toolbar::button("Pause"));
    ImGui::BeginDisabled(s != TrainerState::Running);
    if (ImGui::Button("Pause")) trainer->pause();
    hot_spot(ctx_.diagnostics, "Training.Pause");
    ImGui::EndDisabled();
    tip("Pause after the current step; the model stays available to explore.");
    bar.next(Toolbar::button("Resume"));
    ImGui::BeginDisabled(!have || s == TrainerState::Running || s == TrainerState::Failed);
    if (ImGui::Button("Resume")) {
      if (s == TrainerState::Paused) {
        trainer->resume();
      } else {
        trainer->start();  // Idle (a loaded checkpoint) or Finished with more epochs planned
      }
    }
    hot_spot(ctx_.diagnostics, "Training.Resume");
    ImGui::EndDisabled();
    tip("Continue training from where it paused, from a loaded checkpoint, or after raising the epoch count of a "
        "finished run.");
    bar.next(Toolbar::button("Step"));
    ImGui::BeginDisabled(!have || (s != TrainerState::Paused && s != TrainerState::Idle));
    if (ImGui::Button("Step")) trainer->step(1);
    hot_spot(ctx_.diagnostics, "Training.Step");
    ImGui::EndDisabled();
    tip("Take one optimiser step, then pause.");
    bar.next(Toolbar::button("Stop"));
    ImGui::BeginDisabled(s != TrainerState::Running && s != TrainerState::Paused);
    if (ImGui::Button("Stop")) trainer->stop();
    hot_spot(ctx_.diagnostics, "Training.Stop");
    ImGui::EndDisabled();
    tip("Finish training now; the model stays available.");

    char overlay[96];
    // The epoch under way while training, the last one completed otherwise.
    const bool under_way = snap.state == TrainerState::Running || snap.state == TrainerState::Paused;
    const int shown_epoch = under_way ? std::min(snap.epoch + 1, snap.train_config.epochs) : snap.epoch;
    std::snprintf(overlay, sizeof overlay, "epoch %d / %d  (%.0f%%)", shown_epoch, snap.train_config.epochs,
                  100.0 * snap.progress());
    ImGui::ProgressBar(have ? float(snap.progress()) : 0.f, ImVec2(-1, 0), overlay);
    tip("Progress over the planned epochs.");
    ImGui::Text("%s  step %lld", have ? to_string(snap.state) : "no model", static_cast<long long>(snap.step));
    hot_spot(ctx_.diagnostics, "Training.StepCounter");
    tip("Trainer state and the number of optimiser steps taken so far.");
    ImGui::SameLine();
    ImGui::TextDisabled("(%lld/%lld)", static_cast<long long>(snap.step_in_epoch),
                        static_cast<long long>(snap.steps_per_epoch));
    ImGui::Text("%.0f samples/s   ETA %s", snap.samples_per_sec,
                snap.state == TrainerState::Running ? format_duration(snap.eta_seconds).c_str() : "-");
    tip("Training throughput over recent steps, and the time left for the planned epochs.");
  }

  void checkpoint_section() {
    const float buttons = Toolbar::button("Save") + Toolbar::button("Load") + 2 * ImGui::GetStyle().ItemSpacing.x;
    ImGui::SetNextItemWidth(std::max(4.f * ImGui::GetFontSize(), ImGui::GetContentRegionAvail().x - buttons));
    ImGui::InputTextWithHint("##ckpt", "checkpoint file", &session_.checkpoint_path);
    tip("Checkpoint file: weights, optimiser state and metric history. Remembered between sessions.");
    Toolbar bar;
    bar.next(Toolbar::button("Save"));
    if (ImGui::Button("Save")) session_.save_checkpoint(session_.checkpoint_path);
    hot_spot(ctx_.diagnostics, "Training.Save");
    tip("Save a checkpoint (Ctrl+S). Written atomically: a crash never leaves half a file.");
    bar.next(Toolbar::button("Load"));
    ImGui::BeginDisabled(session_.opening_checkpoint());
    if (ImGui::Button("Load")) session_.open_checkpoint(session_.checkpoint_path);
    hot_spot(ctx_.diagnostics, "Training.Load");
    ImGui::EndDisabled();
    tip("Open the checkpoint without training (press Resume to continue). You can also drop it on the window.");
  }

  void export_latents() {
    const auto& inference = ctx_.explorer.inference();
    const auto& data = ctx_.session.data();
    if (!inference || !data) {
      ctx_.messages.report("Nothing to export yet", true);
      return;
    }
    const std::string path = ctx_.session.export_path("latents.csv");
    try {
      // The scatter's codes when they match the current weights, otherwise encode now.
      LatentCodes codes;
      const auto& encoded = ctx_.explorer.encoded();
      if (encoded && encoded->model == inference->model()) {
        codes = encoded->codes;
      } else {
        codes = inference->encode(data->test.pixels.data(), data->test.count);
      }
      write_latents_csv(codes, data->test.labels, data->class_names, path);
      ctx_.messages.report("Wrote " + path + " (" + std::to_string(codes.count) + " test images)", false);
    } catch (const std::exception& e) {
      ctx_.messages.report(e.what(), true);
    }
  }

  void export_metrics() {
    const Snapshot& snap = ctx_.session.snapshot();
    const std::string path = ctx_.session.export_path("metrics.csv");
    try {
      write_metrics_csv(snap.history, path);
      ctx_.messages.report("Wrote " + path + " (" + snap.history.steps.describe() + ")", false);
    } catch (const std::exception& e) {
      ctx_.messages.report(e.what(), true);
    }
  }

  // The folder every Export button writes to, and the CSV exports.
  void exports_section() {
    ImGui::SetNextItemWidth(-1);
    ImGui::InputTextWithHint("##exportdir", "export folder (default: current folder)", &session_.export_dir);
    hot_spot(ctx_.diagnostics, "Training.ExportFolder");
    tip("Folder where every Export button writes (samples.png, manifold.png, interpolation.png, "
        "reconstructions.png, latents.csv, metrics.csv). Remembered between sessions.");
    Toolbar bar;
    if (ImGui::Button("Export latent CSV")) export_latents();
    hot_spot(ctx_.diagnostics, "Training.ExportLatents");
    tip("Posterior means and log-variances of every test image, with labels: latents.csv.");
    bar.next(Toolbar::button("Export metrics CSV"));
    if (ImGui::Button("Export metrics CSV")) export_metrics();
    hot_spot(ctx_.diagnostics, "Training.ExportMetrics");
    tip("The loss history (per step and per epoch): metrics.csv.");
  }

  void messages_section() {
    MessageLog& log = ctx_.messages;
    // Red while the newest message is an error; a later success turns it back to normal (the
    // error stays listed). Right-click > Clear empties the list.
    const bool error = log.in_error();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, error ? ImVec4(0.55f, 0.08f, 0.08f, 1.f) : ImVec4(0.12f, 0.13f, 0.16f, 1));
    const float height = std::max(ImGui::GetContentRegionAvail().y, 3.5f * ImGui::GetTextLineHeightWithSpacing());
    ImGui::BeginChild("messages", ImVec2(0, height), true);
    if (log.messages().empty()) ImGui::TextDisabled("Messages from the engine appear here.");
    for (std::size_t i = 0; i < log.messages().size(); ++i) {
      const Message& m = log.messages()[i];
      const ImVec4 color = m.error ? ImVec4(1, 0.8f, 0.75f, 1.f) : ImVec4(0.8f, 0.9f, 0.8f, i == 0 ? 1.f : 0.55f);
      ImGui::PushStyleColor(ImGuiCol_Text, color);
      ImGui::TextWrapped("%s%s", m.error ? "Error: " : "", m.text.c_str());
      ImGui::PopStyleColor();
    }
    ImGui::EndChild();
    ImGui::PopStyleColor();
    hot_spot(ctx_.diagnostics, "Training.Messages");
    if (ImGui::BeginPopupContextItem("messages_menu")) {
      if (ImGui::MenuItem("Clear")) log.clear();
      ImGui::EndPopup();
    }
    tip("What the engine reported: loaded files, saved checkpoints, errors (red). Right-click to clear.");
  }

  PanelContext& ctx_;
  Session& session_;
  std::uint64_t data_serial_ = 0, trainer_serial_ = 0;
  int data_kind_ = 0;  // 0 Fashion-MNIST, 1 IDX folder, 2 image folder, 3 synthetic
  std::string data_path_;
  int image_size_ = 28;
  bool image_rgb_ = false;
  float test_fraction_ = 0.1f;
  std::string hidden_ = "400";
};

VAE_REGISTER_PANEL(TrainingPanel, {"Training", "Training", "Ctrl+1", {0, 0, 0.24f, 1.f, 1.f, 270.f, 300.f}, 10});

}  // namespace vae::gui
