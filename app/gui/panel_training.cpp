// Training: data set, model and optimiser settings, run controls, progress, checkpoints, messages.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/format.h"
#include "app/desktop/ui_timing.h"
#include "app/gui/panels.h"
#include "imgui.h"
#include "imgui_stdlib.h"

namespace vae::gui {

namespace {

const char* const kDataKinds[] = {"Fashion-MNIST", "IDX folder", "Image folder", "Synthetic"};

DataSpec data_spec_from_ui(const AppState& app) {
  DataSpec spec;
  switch (app.data_kind) {
    case 1:
      spec.kind = DataSpec::Kind::Idx;
      spec.path = app.data_path;
      break;
    case 2:
      spec.kind = DataSpec::Kind::ImageFolder;
      spec.path = app.data_path;
      spec.image_size = app.image_size;
      spec.rgb = app.image_rgb;
      spec.test_fraction = app.test_fraction;
      spec.seed = app.train_config.seed;
      break;
    case 3:
      spec.kind = DataSpec::Kind::Synthetic;
      break;
    default:
      spec.kind = DataSpec::Kind::FashionMnist;
  }
  return spec;
}

void data_section(AppState& app) {
  ImGui::SetNextItemWidth(140);
  ImGui::Combo("##datakind", &app.data_kind, kDataKinds, 4);
  tip("Which data set to train on. Fashion-MNIST comes from Debian's dataset-fashion-mnist package.");
  ImGui::SameLine();
  const bool busy = bool(app.pending_data);
  ImGui::BeginDisabled(busy);
  if (ImGui::Button("Load data")) request_data(app, data_spec_from_ui(app), true);
  ImGui::EndDisabled();
  tip("Load the chosen data set and start training a new model on it. You can also drop an IDX file or an "
      "image folder onto the window.");
  if (app.data_kind == 1 || app.data_kind == 2) {
    ImGui::SetNextItemWidth(-1);
    ImGui::InputTextWithHint("##datapath", app.data_kind == 1 ? "folder with *-idx3-ubyte files" : "folder of images",
                             &app.data_path);
    tip("Folder to load: IDX files (train-images-idx3-ubyte[.gz], ...) or one sub-folder of images per class.");
  }
  if (app.data_kind == 2) {
    static const int kSizes[] = {28, 32, 64};
    int choice = int(std::find(std::begin(kSizes), std::end(kSizes), app.image_size) - std::begin(kSizes)) % 3;
    ImGui::SetNextItemWidth(70);
    if (ImGui::Combo("px", &choice, "28\0" "32\0" "64\0")) app.image_size = kSizes[choice];
    tip("Images are resized to this square size (28, 32 and 64 also suit the convolutional model).");
    ImGui::SameLine();
    ImGui::Checkbox("RGB", &app.image_rgb);
    tip("Keep colour (3 channels) instead of converting to grayscale.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(60);
    ImGui::SliderFloat("test", &app.test_fraction, 0.05f, 0.5f, "%.2f");
    tip("Share of each class's images held out as the test set.");
  }
  if (busy) {
    ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "Loading %s ... %.1f s", app.pending_data->spec.c_str(),
                       app.now - app.pending_data->since);
  } else if (app.data) {
    ImGui::TextDisabled("%zu train / %zu test images, %dx%dx%d", app.data->train.count, app.data->test.count,
                        app.data->channels, app.data->height, app.data->width);
    tip(app.data->name.c_str());
  } else {
    ImGui::TextDisabled("No data loaded");
  }
}

void model_section(AppState& app, bool running) {
  if (!ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) return;
  ModelConfig& m = app.model_config;
  ImGui::PushItemWidth(120);
  int kind = int(m.kind);
  if (ImGui::Combo("architecture", &kind, "MLP\0Convolutional\0")) m.kind = ModelKind(kind);
  tip("MLP: fully connected encoder and decoder (the reference model). Convolutional: conv encoder, "
      "transposed-conv decoder. Applies to the next new model.");
  ImGui::InputText("hidden", &app.hidden_text);
  tip("Widths of the hidden layers, comma separated (e.g. 400 or 512,256). For the convolutional model, "
      "the width of its dense layer.");
  ImGui::InputInt("latent size", &m.latent);
  tip("Number of latent dimensions (1..256). 2 lets the scatter show the latent space without PCA.");
  int likelihood = int(m.likelihood);
  if (ImGui::Combo("likelihood", &likelihood, "Bernoulli\0Gaussian\0Continuous Bernoulli\0")) {
    m.likelihood = Likelihood(likelihood);
  }
  tip("Decoder distribution p(x|z). Bernoulli matches the original VAE paper on binarised digits.");
  if (m.likelihood == Likelihood::Gaussian) {
    ImGui::SetNextItemWidth(60);
    ImGui::InputDouble("sigma", &m.gaussian_sigma, 0, 0, "%.3f");
    tip("Standard deviation of the Gaussian likelihood (initial value when learned).");
    ImGui::SameLine();
    ImGui::Checkbox("learned", &m.learn_variance);
    tip("Learn one global sigma instead of keeping it fixed.");
  }
  ImGui::PopItemWidth();
  // Beside the last setting rather than below it: the Training window has no row to spare.
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("New model").x -
                  ImGui::GetStyle().FramePadding.x);
  ImGui::BeginDisabled(running || bool(app.pending_data));
  if (ImGui::Button("New model")) new_trainer(app, false);
  ImGui::EndDisabled();
  tip("Create a fresh, untrained model with these settings (the current one is discarded unless saved).");
}

void optimiser_section(AppState& app) {
  if (!ImGui::CollapsingHeader("Optimiser", ImGuiTreeNodeFlags_DefaultOpen)) return;
  TrainConfig& t = app.train_config;
  ImGui::PushItemWidth(120);
  float beta = float(t.beta);
  if (ImGui::SliderFloat("beta", &beta, 0.f, 10.f, "%.2f", ImGuiSliderFlags_Logarithmic)) {
    t.beta = beta;
    if (app.trainer) app.trainer->set_beta(beta);
  }
  tip("Weight of the KL term (beta-VAE). 0 gives a plain autoencoder; larger values trade reconstruction "
      "for a smoother latent space. Takes effect immediately, also while training.");
  if (ImGui::InputDouble("learning rate", &t.learning_rate, 0, 0, "%.1e") && t.learning_rate > 0) {
    if (app.trainer) app.trainer->set_learning_rate(t.learning_rate);
  }
  tip("Adam step size. Takes effect immediately, also while training.");
  ImGui::InputInt("batch size", &t.batch_size, 16, 64);
  tip("Examples per optimiser step. Applies to the next new model.");
  ImGui::SetNextItemWidth(60);
  if (ImGui::InputInt("epochs", &t.epochs, 0, 0) && t.epochs >= 1 && app.trainer) app.trainer->set_epochs(t.epochs);
  hot_spot(app, "Training.Epochs");
  tip("Planned number of passes over the training set; can be extended while training.");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(45);
  ImGui::InputInt("IS k", &t.iw_samples, 0, 0);
  t.iw_samples = std::max(0, t.iw_samples);
  tip("After each epoch, estimate the test log-likelihood by importance sampling with this many samples per image "
      "(Burda et al. 2016) on the first 1000 test images; 0 = off. Drawn in Loss as 'test NLL (IS)'. Applies to "
      "the next new model.");
  ImGui::PopItemWidth();
}

void controls_section(AppState& app, const Snapshot& snap) {
  const bool have = bool(app.trainer);
  const TrainerState s = have ? snap.state : TrainerState::Idle;
  const bool busy = bool(app.pending_data);

  ImGui::BeginDisabled(busy || s == TrainerState::Running || s == TrainerState::Paused);
  if (ImGui::Button("Start")) {
    if (have && s == TrainerState::Idle) {
      app.trainer->start();
    } else {
      new_trainer(app, true);
    }
  }
  hot_spot(app, "Training.Start");
  ImGui::EndDisabled();
  tip("Start training (a finished or failed run starts over with a new model).");
  ImGui::SameLine();
  ImGui::BeginDisabled(s != TrainerState::Running);
  if (ImGui::Button("Pause")) app.trainer->pause();
  hot_spot(app, "Training.Pause");
  ImGui::EndDisabled();
  tip("Pause after the current step; the model stays available to explore.");
  ImGui::SameLine();
  ImGui::BeginDisabled(!have || s == TrainerState::Running || s == TrainerState::Failed);
  if (ImGui::Button("Resume")) {
    if (s == TrainerState::Paused) {
      app.trainer->resume();
    } else {
      app.trainer->start();  // Idle (a loaded checkpoint) or Finished with more epochs planned
    }
  }
  hot_spot(app, "Training.Resume");
  ImGui::EndDisabled();
  tip("Continue training from where it paused, from a loaded checkpoint, or after raising the epoch count of a "
      "finished run.");
  ImGui::SameLine();
  ImGui::BeginDisabled(!have || (s != TrainerState::Paused && s != TrainerState::Idle));
  if (ImGui::Button("Step")) app.trainer->step(1);
  hot_spot(app, "Training.Step");
  ImGui::EndDisabled();
  tip("Take one optimiser step, then pause.");
  ImGui::SameLine();
  ImGui::BeginDisabled(s != TrainerState::Running && s != TrainerState::Paused);
  if (ImGui::Button("Stop")) app.trainer->stop();
  hot_spot(app, "Training.Stop");
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
  hot_spot(app, "Training.StepCounter");
  tip("Trainer state and the number of optimiser steps taken so far.");
  ImGui::SameLine();
  ImGui::TextDisabled("(%lld/%lld)", static_cast<long long>(snap.step_in_epoch),
                      static_cast<long long>(snap.steps_per_epoch));
  ImGui::Text("%.0f samples/s   ETA %s", snap.samples_per_sec,
              snap.state == TrainerState::Running ? format_duration(snap.eta_seconds).c_str() : "-");
  tip("Training throughput over recent steps, and the time left for the planned epochs.");
}

void checkpoint_section(AppState& app) {
  ImGui::SetNextItemWidth(-110);
  ImGui::InputTextWithHint("##ckpt", "checkpoint file", &app.checkpoint_path);
  tip("Checkpoint file: weights, optimiser state and metric history. Remembered between sessions.");
  ImGui::SameLine();
  if (ImGui::Button("Save")) save_checkpoint(app, app.checkpoint_path);
  hot_spot(app, "Training.Save");
  tip("Save a checkpoint (Ctrl+S). Written atomically: a crash never leaves half a file.");
  ImGui::SameLine();
  ImGui::BeginDisabled(app.pending_checkpoint.valid());
  if (ImGui::Button("Load")) open_checkpoint(app, app.checkpoint_path);
  hot_spot(app, "Training.Load");
  ImGui::EndDisabled();
  tip("Open the checkpoint without training (press Resume to continue). You can also drop it on the window.");
}

void messages_section(AppState& app) {
  // Red while the newest message is an error; a later success turns it back to normal (the error
  // stays listed above it). Right-click > Clear empties the list.
  const bool error = desktop::messages_in_error(app.messages);
  ImGui::PushStyleColor(ImGuiCol_ChildBg, error ? ImVec4(0.55f, 0.08f, 0.08f, 1.f) : ImVec4(0.12f, 0.13f, 0.16f, 1));
  const float height = std::max(ImGui::GetContentRegionAvail().y, 3.5f * ImGui::GetTextLineHeightWithSpacing());
  ImGui::BeginChild("messages", ImVec2(0, height), true);
  if (app.messages.empty()) ImGui::TextDisabled("Messages from the engine appear here.");
  for (std::size_t i = 0; i < app.messages.size(); ++i) {
    const Message& m = app.messages[i];
    const ImVec4 color = m.error ? ImVec4(1, 0.8f, 0.75f, 1.f) : ImVec4(0.8f, 0.9f, 0.8f, i == 0 ? 1.f : 0.55f);
    ImGui::PushStyleColor(ImGuiCol_Text, color);
    ImGui::TextWrapped("%s%s", m.error ? "Error: " : "", m.text.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::EndChild();
  ImGui::PopStyleColor();
  hot_spot(app, "Training.Messages");
  if (ImGui::BeginPopupContextItem("messages_menu")) {
    if (ImGui::MenuItem("Clear")) app.messages.clear();
    ImGui::EndPopup();
  }
  tip("What the engine reported: loaded files, saved checkpoints, errors (red). Right-click to clear.");
}

}  // namespace

void draw_training_panel(AppState& app, const Snapshot& snap) {
  const bool running = app.trainer && snap.state == TrainerState::Running;
  data_section(app);
  model_section(app, running);
  optimiser_section(app);
  ImGui::Separator();
  controls_section(app, snap);
  ImGui::Separator();
  checkpoint_section(app);
  messages_section(app);
}

}  // namespace vae::gui
