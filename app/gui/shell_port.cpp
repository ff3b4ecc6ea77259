// ShellPort over the window's parts (session, panel host, message log, diagnostics): what the
// menus, shortcuts and dialogs do. The shell itself never reaches into panels; View and Export
// come from the panel registry (PanelHost::panels()).
#include "app/gui/shell_port.h"

#include <filesystem>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include "app/gui/diagnostics.h"
#include "app/gui/logic/keys.h"
#include "app/gui/messages.h"
#include "app/gui/panel.h"
#include "app/gui/panel_host.h"
#include "app/gui/session.h"

namespace vae::gui {

namespace {

class WindowPort : public ShellPort {
 public:
  WindowPort(Session& session, PanelHost& host, MessageLog& messages, Diagnostics* diagnostics, GLFWwindow* window)
      : session_(session), host_(host), messages_(messages), diagnostics_(diagnostics), window_(window) {}

  double now() const override { return session_.now(); }

  void open_checkpoint(const std::string& path) override { session_.open_checkpoint(path); }
  void open_data(const std::string& path_or_spec) override {
    std::error_code ec;
    if (std::filesystem::exists(path_or_spec, ec)) {
      session_.handle_drop(path_or_spec);  // classified exactly as a dropped folder
    } else {
      session_.request_data(path_or_spec, true);
    }
  }
  void score_data(const std::string& path_or_spec) override { session_.request_scoring(path_or_spec); }
  bool can_save() const override { return session_.has_trainer(); }
  void save_checkpoint(const std::string& path) override { session_.save_checkpoint(path); }
  std::string checkpoint_path() const override { return session_.checkpoint_path; }
  std::string export_folder() const override { return session_.export_dir; }
  std::string opened_checkpoint() const override {
    return session_.has_trainer() ? session_.opened_checkpoint() : std::string();
  }
  std::string loaded_data_spec() const override { return session_.data() ? session_.data()->spec : std::string(); }
  std::vector<ExportEntry> exports() override {
    std::vector<ExportEntry> out;
    for (auto& entry : host_.panels()) {
      Panel* panel = entry.panel.get();
      const char* file = panel ? panel->export_name() : nullptr;
      if (!file) continue;
      out.push_back({entry.info.menu_label + " (" + file + ")", [panel] { panel->export_picture(); }, true});
    }
    return out;
  }

  TrainingPhase training_phase() const override {
    if (!session_.has_trainer()) return TrainingPhase::NoModel;
    switch (session_.snapshot().state) {
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
  bool busy_loading() const override { return session_.loading_data(); }
  void start_training() override {
    if (session_.has_trainer() && training_phase() == TrainingPhase::Idle) {
      session_.trainer()->start();
    } else {
      session_.new_trainer(true);
    }
  }
  void pause_training() override {
    if (Trainer* t = session_.trainer()) t->pause();
  }
  void resume_training() override {
    Trainer* t = session_.trainer();
    if (!t) return;
    if (training_phase() == TrainingPhase::Paused) {
      t->resume();
    } else {
      t->start();  // a loaded checkpoint, or a finished run with more epochs planned
    }
  }
  void step_training() override {
    if (Trainer* t = session_.trainer()) t->step(1);
  }
  void stop_training() override {
    if (Trainer* t = session_.trainer()) t->stop();
  }

  std::vector<PanelToggle> panels() override {
    std::vector<PanelToggle> out;
    for (auto& entry : host_.panels()) out.push_back({entry.info.menu_label, entry.info.shortcut, &entry.visible});
    return out;
  }
  void focus_panel(std::size_t index) override { host_.focus(index); }
  void reset_layout() override { host_.reset_layout(); }
  bool can_scale() const override { return true; }
  float ui_scale_setting() const override { return host_.ui_scale_setting(); }
  void set_ui_scale_setting(float scale) override { host_.set_ui_scale_setting(scale); }

  void report(const std::string& text, bool error) override { messages_.report(text, error); }
  NewestMessage newest_message() const override {
    const auto& list = messages_.messages();
    if (list.empty()) return {};
    return {list.front().text, list.front().error, list.front().time};
  }
  void set_window_title(const std::string& title) override { glfwSetWindowTitle(window_, title.c_str()); }
  void quit() override { glfwSetWindowShouldClose(window_, GLFW_TRUE); }
  void mark(const std::string& name) override { hot_spot(diagnostics_, name); }

 private:
  Session& session_;
  PanelHost& host_;
  MessageLog& messages_;
  Diagnostics* diagnostics_;
  GLFWwindow* window_;
};

}  // namespace

std::unique_ptr<ShellPort> make_shell_port(Session& session, PanelHost& host, MessageLog& messages,
                                           Diagnostics* diagnostics, GLFWwindow* window) {
  return std::make_unique<WindowPort>(session, host, messages, diagnostics, window);
}

void feed_shortcuts(KeyQueue& keys, DesktopShell& shell) {
  for (const auto& s : command_shortcuts()) {
    while (keys.take(s.keys)) shell.key_pressed(s.keys.key, s.keys.mods);
  }
}

}  // namespace vae::gui
