#pragma once
// The desktop habits of the window: the menu bar (File, View, Training, Help), the keyboard
// shortcuts, file dialogs, recent files, Help > Keyboard shortcuts and About, and brief toasts
// for successes. It works through ShellPort, a small interface over the window's state, so it
// does not reach into panels; the window provides the port (shell_port.cpp).
//
// No LibTorch and no GL in this header.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/file_dialog.h"
#include "app/gui/logic/commands.h"
#include "app/gui/logic/recent_files.h"

namespace vae::gui {

enum class TrainingPhase { NoModel, Idle, Running, Paused, Finished, Failed };

// What the shell asks of the window.
class ShellPort {
 public:
  struct PanelToggle {
    std::string label;     // as the View menu lists it
    std::string shortcut;  // shows and focuses it, e.g. "Ctrl+3"; may be empty
    bool* visible;         // the menu toggles it; null when the panel cannot be hidden
  };
  struct ExportEntry {
    std::string label;          // "Manifold grid (manifold.png)"
    std::function<void()> run;  // writes it and reports the outcome
    bool available = true;
  };
  struct NewestMessage {
    std::string text;
    bool error = false;
    double time = -1;  // seconds since start; -1: no message
  };

  virtual ~ShellPort() = default;
  virtual double now() const = 0;

  // --- files ---
  virtual void open_checkpoint(const std::string& path) = 0;
  // A folder or file as if dropped on the window (IDX folder, image folder), or a data spec.
  virtual void open_data(const std::string& path_or_spec) = 0;
  // A second data set to score against the model in the Density panel (a folder or a spec).
  virtual void score_data(const std::string& path_or_spec) = 0;
  virtual bool can_save() const = 0;
  virtual void save_checkpoint(const std::string& path) = 0;
  virtual std::string checkpoint_path() const = 0;  // last saved or loaded
  virtual std::string export_folder() const = 0;
  // What is open now, for Recent: the checkpoint the model came from ("" for a new model) and the
  // loaded data set's spec.
  virtual std::string opened_checkpoint() const = 0;
  virtual std::string loaded_data_spec() const = 0;
  virtual std::vector<ExportEntry> exports() = 0;

  // --- training ---
  virtual TrainingPhase training_phase() const = 0;
  virtual bool busy_loading() const = 0;
  virtual void start_training() = 0;  // a new model when none can continue
  virtual void pause_training() = 0;
  virtual void resume_training() = 0;
  virtual void step_training() = 0;
  virtual void stop_training() = 0;

  // --- view ---
  virtual std::vector<PanelToggle> panels() = 0;
  virtual void focus_panel(std::size_t index) = 0;
  virtual void reset_layout() = 0;
  // UI scale: 0 follows the monitor; else the factor. can_scale() false: no UI scale entries.
  virtual bool can_scale() const = 0;
  virtual float ui_scale_setting() const = 0;
  virtual void set_ui_scale_setting(float scale) = 0;

  // --- messages and the window ---
  virtual void report(const std::string& text, bool error) = 0;
  virtual NewestMessage newest_message() const = 0;
  virtual void set_window_title(const std::string& title) = 0;
  virtual void quit() = 0;
  // Test hook: records the last ImGui item's rectangle under `name` for --layout-json.
  virtual void mark(const std::string& name) = 0;
};

class DesktopShell {
 public:
  // `config_dir` holds recent-files (empty: not persisted); `graphics_info` is shown in About
  // (the OpenGL version and renderer).
  DesktopShell(ShellPort& port, std::string config_dir, std::string graphics_info);
  ~DesktopShell();
  DesktopShell(const DesktopShell&) = delete;
  DesktopShell& operator=(const DesktopShell&) = delete;

  // A key press from the window's key callback (GLFW key code and modifier bits). Queued: Dear
  // ImGui 1.86 has no input queue, so a press and release within one frame would be missed.
  void key_pressed(int key, int mods);
  // Once per frame after ImGui::NewFrame(), before the panels: shortcuts, the menu bar, dialogs,
  // the Help and About windows, the toast. Never throws.
  void frame();
  // Height of the menu bar drawn this frame (the panels go below it).
  float menu_bar_height() const { return menu_height_; }

  // Runs a command as its menu entry or shortcut would (tests, other callers).
  void run(Command command);
  const RecentFiles& recent() const { return recent_; }
  FileDialog& file_dialog() { return dialog_; }

 private:
  enum Purpose { kOpenCheckpoint = 1, kOpenData, kSaveAs, kScoreData };
  void handle_keys();
  void draw_menu_bar();
  void draw_file_menu();
  void draw_view_menu();
  void draw_training_menu();
  void draw_help_windows();
  void draw_toast();
  void observe_opened_files();
  void handle_dialog_result(const FileDialogResult& result);
  void open_recent(RecentKind kind, const std::string& path);
  void remember(RecentKind kind, const std::string& path);
  void save_recent();
  void export_all();
  void update_title();

  ShellPort& port_;
  std::string recent_file_;
  std::string graphics_info_;
  RecentFiles recent_;
  FileDialog dialog_;
  std::vector<std::pair<int, int>> keys_;  // (key, mods) pressed since the last frame
  float menu_height_ = 0;
  bool show_shortcuts_ = false;
  bool show_about_ = false;
  std::string seen_checkpoint_, seen_data_;
  std::string document_;  // the checkpoint the window shows: opened or last saved ("" for a new model)
  std::string shown_title_;
  double toasted_time_ = -1;  // the message time last shown as a toast
  std::string toast_text_;
  double toast_since_ = -1;
};

// Tooltips after a short rest on the item instead of at once: true when the last item has been
// hovered long enough for its tooltip (replaces a bare ImGui::IsItemHovered() for tooltips).
bool tooltip_due();

}  // namespace vae::gui
