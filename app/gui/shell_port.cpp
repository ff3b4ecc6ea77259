// ShellPort over AppState: what the menus, shortcuts and dialogs do to the window's state.
#include "app/gui/shell_port.h"

#include <filesystem>

#include "app/gui/app_state.h"
// After app_state.h, which brings glad: GLFW must not pull in the system GL header first.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include "app/gui/panels.h"
#include "app/gui/window_layout.h"
#include "imgui.h"

namespace vae::gui {

namespace {

class AppStatePort : public ShellPort {
 public:
  AppStatePort(AppState& app, GLFWwindow* window) : app_(app), window_(window) {}

  double now() const override { return app_.now; }

  void open_checkpoint(const std::string& path) override { vae::gui::open_checkpoint(app_, path); }
  void open_data(const std::string& path_or_spec) override {
    std::error_code ec;
    if (std::filesystem::exists(path_or_spec, ec)) {
      handle_drop(app_, path_or_spec);  // classified exactly as a dropped folder
    } else {
      request_data(app_, path_or_spec, true);
    }
  }
  bool can_save() const override { return bool(app_.trainer); }
  void save_checkpoint(const std::string& path) override { vae::gui::save_checkpoint(app_, path); }
  std::string checkpoint_path() const override { return app_.checkpoint_path; }
  std::string export_folder() const override { return app_.export_dir; }
  std::string opened_checkpoint() const override {
    return app_.trainer && app_.trainer_origin != "new model" ? app_.trainer_origin : std::string();
  }
  std::string loaded_data_spec() const override { return app_.data ? app_.data->spec : std::string(); }
  std::vector<ExportEntry> exports() override {
    std::vector<ExportEntry> out;
    auto add = [&](const char* label, const Image& grid, const char* file) {
      out.push_back({std::string(label) + " (" + file + ")", [this, &grid, file] { export_png(app_, grid, file); },
                     !grid.pixels.empty()});
    };
    add("Manifold", app_.manifold.grid, "manifold.png");
    add("Interpolation", app_.interpolation.grid, "interpolation.png");
    add("Reconstructions", app_.reconstructions.grid, "reconstructions.png");
    add("Samples", app_.samples.grid, "samples.png");
    return out;
  }

  TrainingPhase training_phase() const override {
    if (!app_.trainer || !app_.snapshot) return TrainingPhase::NoModel;
    switch (app_.snapshot->state) {
      case TrainerState::Idle:
        return TrainingPhase::Idle;
      case TrainerState::Running:
        return TrainingPhase::Running;
      case TrainerState::Paused:
        return TrainingPhase::Paused;
      case TrainerState::Finished:
        return TrainingPhase::Finished;
      case TrainerState::Failed:
        return TrainingPhase::Failed;
    }
    return TrainingPhase::NoModel;
  }
  bool busy_loading() const override { return bool(app_.pending_data); }
  void start_training() override {
    if (app_.trainer && training_phase() == TrainingPhase::Idle) {
      app_.trainer->start();
    } else {
      new_trainer(app_, true);
    }
  }
  void pause_training() override {
    if (app_.trainer) app_.trainer->pause();
  }
  void resume_training() override {
    if (!app_.trainer) return;
    if (training_phase() == TrainingPhase::Paused) {
      app_.trainer->resume();
    } else {
      app_.trainer->start();  // a loaded checkpoint, or a finished run with more epochs planned
    }
  }
  void step_training() override {
    if (app_.trainer) app_.trainer->step(1);
  }
  void stop_training() override {
    if (app_.trainer) app_.trainer->stop();
  }

  // Before the panel registry: the eight windows can be brought forward, not hidden.
  std::vector<PanelToggle> panels() override {
    std::vector<PanelToggle> out;
    for (const char* title : kWindowTitles) out.push_back({title, "", nullptr});
    return out;
  }
  void focus_panel(std::size_t index) override { ImGui::SetWindowFocus(kWindowTitles[index]); }
  void reset_layout() override {
    // Back to the first-run placement below the menu bar.
    const float menu_height = ImGui::GetFrameHeight(), status_height = ImGui::GetFrameHeight() + 6;
    const ImVec2 display(ImGui::GetIO().DisplaySize.x, ImGui::GetIO().DisplaySize.y - menu_height);
    for (int i = 0; i < 8; ++i) {
      ImVec2 pos, size;
      default_window_rect(i, display, status_height, &pos, &size);
      ImGui::SetWindowPos(kWindowTitles[i], ImVec2(pos.x, pos.y + menu_height));
      ImGui::SetWindowSize(kWindowTitles[i], size);
    }
  }
  bool can_scale() const override { return false; }
  float ui_scale_setting() const override { return 1.f; }
  void set_ui_scale_setting(float) override {}

  void report(const std::string& text, bool error) override { vae::gui::report(app_, text, error); }
  NewestMessage newest_message() const override {
    if (app_.messages.empty()) return {};
    const Message& m = app_.messages.front();
    return {m.text, m.error, m.time};
  }
  void set_window_title(const std::string& title) override { glfwSetWindowTitle(window_, title.c_str()); }
  void quit() override { glfwSetWindowShouldClose(window_, GLFW_TRUE); }
  void mark(const std::string& name) override { hot_spot(app_, name); }

 private:
  AppState& app_;
  GLFWwindow* window_;
};

}  // namespace

std::unique_ptr<ShellPort> make_shell_port(AppState& app, GLFWwindow* window) {
  return std::make_unique<AppStatePort>(app, window);
}

}  // namespace vae::gui
