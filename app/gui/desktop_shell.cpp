// The menu bar, shortcuts, file dialogs, recent files, Help and About windows and toasts.
#include "app/gui/desktop_shell.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "app/gui/logic/ui_timing.h"
#include "app/version.h"
#include "imgui.h"
#include "imgui_internal.h"  // GetItemID

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

constexpr double kToastSeconds = 3.0;

std::vector<FileFilter> checkpoint_filters() { return {{"Checkpoints (*.ckpt)", {"*.ckpt"}}, {"All files", {}}}; }

std::string folder_of(const std::string& path) {
  if (path.empty()) return {};
  std::error_code ec;
  const fs::path p = fs::absolute(path, ec).parent_path();
  return fs::is_directory(p, ec) ? p.string() : std::string();
}

// The same short label for a recent entry everywhere: the file name, then where it is.
std::string recent_label(const std::string& path) {
  const fs::path p(path);
  if (!p.has_filename() || path.find('/') == std::string::npos) return path;
  return p.filename().string() + "  (" + p.parent_path().string() + ")";
}

}  // namespace

bool tooltip_due() {
  static HoverDelay delay(0.45);
  static int last_hover_frame = -10;
  if (!ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) return false;
  const int frame = ImGui::GetFrameCount();
  // The pointer rested on nothing in between: coming back to the same item waits again.
  if (frame - last_hover_frame > 1) delay.update(0, ImGui::GetTime());
  last_hover_frame = frame;
  // Items with an ID have one; text has none, so its rectangle names it.
  std::uint64_t id = ImGui::GetItemID();
  if (id == 0) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    id = ((std::uint64_t(std::uint32_t(a.x)) << 48) ^ (std::uint64_t(std::uint32_t(a.y)) << 32) ^
          (std::uint64_t(std::uint32_t(b.x)) << 16) ^ std::uint64_t(std::uint32_t(b.y))) |
         1;
  }
  return delay.update(id, ImGui::GetTime());
}

DesktopShell::DesktopShell(ShellPort& port, std::string config_dir, std::string graphics_info)
    : port_(port), graphics_info_(std::move(graphics_info)) {
  // Menus and popups opaque: text of the panels behind them must not show through.
  ImGui::GetStyle().Colors[ImGuiCol_PopupBg].w = 1.f;
  if (!config_dir.empty()) {
    recent_file_ = (fs::path(config_dir) / "recent-files").string();
    recent_ = RecentFiles::load(recent_file_);
  }
}

DesktopShell::~DesktopShell() = default;

void DesktopShell::key_pressed(int key, int mods) {
  if (keys_.size() < 64) keys_.emplace_back(key, mods);
}

void DesktopShell::frame() {
  try {
    observe_opened_files();
    if (auto result = dialog_.poll()) handle_dialog_result(*result);
    handle_keys();
    draw_menu_bar();
    draw_help_windows();
    draw_toast();
    update_title();
  } catch (const std::exception& e) {
    port_.report(e.what(), true);
  }
}

void DesktopShell::handle_keys() {
  const ImGuiIO& io = ImGui::GetIO();
  KeyContext context;
  context.typing = io.WantTextInput;
  context.navigating = io.NavVisible;
  // A modal window (the in-app chooser) or an open menu owns the keyboard.
  const bool blocked = dialog_.is_open() || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId);
  for (const auto& [key, mods] : keys_) {
    if (blocked) continue;
    if (const auto command = match_command(Shortcut{key, mods & (kModShift | kModControl | kModAlt)}, context))
      run(*command);
  }
  keys_.clear();
}

void DesktopShell::run(Command command) {
  switch (command) {
    case Command::OpenCheckpoint: {
      FileDialogRequest request;
      request.title = "Open checkpoint";
      request.filters = checkpoint_filters();
      request.folder = folder_of(port_.checkpoint_path());
      request.purpose = kOpenCheckpoint;
      dialog_.open(request);
      break;
    }
    case Command::OpenDataSet: {
      FileDialogRequest request;
      request.mode = FileDialogMode::ChooseFolder;
      request.title = "Open data set (an IDX folder or a folder of images)";
      request.purpose = kOpenData;
      dialog_.open(request);
      break;
    }
    case Command::Save:
      // As the Training panel's Save button: the file the model came from or was last saved to,
      // else vae-explorer.ckpt in the export folder (the message says where). Save as... asks.
      if (!port_.can_save()) {
        port_.report("Nothing to save: no model yet", true);
      } else {
        port_.save_checkpoint(port_.checkpoint_path());
        remember(RecentKind::Checkpoint, port_.checkpoint_path());
        document_ = port_.checkpoint_path();
      }
      break;
    case Command::SaveAs: {
      if (!port_.can_save()) {
        port_.report("Nothing to save: no model yet", true);
        break;
      }
      FileDialogRequest request;
      request.mode = FileDialogMode::Save;
      request.title = "Save checkpoint as";
      request.filters = checkpoint_filters();
      const std::string current = port_.checkpoint_path();
      request.folder = folder_of(current);
      if (request.folder.empty()) request.folder = port_.export_folder();
      request.suggested_name = current.empty() ? "vae-explorer.ckpt" : fs::path(current).filename().string();
      request.purpose = kSaveAs;
      dialog_.open(request);
      break;
    }
    case Command::Export:
      export_all();
      break;
    case Command::PauseResume: {
      const TrainingPhase phase = port_.training_phase();
      if (phase == TrainingPhase::Running) {
        port_.pause_training();
      } else if (phase == TrainingPhase::Paused || phase == TrainingPhase::Idle || phase == TrainingPhase::Finished) {
        port_.resume_training();
      }
      break;
    }
    case Command::Help:
      show_shortcuts_ = !show_shortcuts_;
      break;
    case Command::Quit:
      port_.quit();
      break;
  }
}

void DesktopShell::export_all() {
  int written = 0;
  for (auto& entry : port_.exports()) {
    if (!entry.available || !entry.run) continue;
    entry.run();
    ++written;
  }
  if (written == 0) port_.report("Nothing to export yet: no pictures decoded", true);
}

void DesktopShell::handle_dialog_result(const FileDialogResult& result) {
  if (result.path.empty()) return;  // cancelled
  switch (result.purpose) {
    case kOpenCheckpoint:
      port_.open_checkpoint(result.path);
      break;
    case kOpenData:
      port_.open_data(result.path);
      break;
    case kScoreData:
      port_.score_data(result.path);
      break;
    case kSaveAs: {
      std::string path = result.path;
      if (fs::path(path).extension().empty()) path += ".ckpt";
      port_.save_checkpoint(path);
      remember(RecentKind::Checkpoint, path);
      document_ = path;
      break;
    }
    default:
      break;
  }
}

void DesktopShell::open_recent(RecentKind kind, const std::string& path) {
  std::error_code ec;
  const bool is_path = kind == RecentKind::Checkpoint || path.rfind("idx:", 0) == 0 || path.rfind("images:", 0) == 0;
  const std::string file = kind == RecentKind::Checkpoint ? path : path.substr(path.find(':') + 1);
  if (is_path && !fs::exists(file, ec)) {
    port_.report(file + " no longer exists; removed from Recent", true);
    recent_.remove(kind, path);
    save_recent();
    return;
  }
  if (kind == RecentKind::Checkpoint) {
    port_.open_checkpoint(path);
  } else {
    port_.open_data(path);
  }
}

void DesktopShell::remember(RecentKind kind, const std::string& path) {
  if (path.empty()) return;
  recent_.add(kind, path);
  save_recent();
}

void DesktopShell::save_recent() {
  if (recent_file_.empty()) return;
  try {
    recent_.save(recent_file_);
  } catch (const std::exception& e) {
    port_.report(e.what(), true);
    recent_file_.clear();  // say it once, not on every later change
  }
}

void DesktopShell::observe_opened_files() {
  // Whatever opened them (menus, Recent, drag-and-drop, the Training panel, the command line):
  // files that loaded go to Recent once they have loaded, failed ones never do.
  const std::string checkpoint = port_.opened_checkpoint();
  if (checkpoint != seen_checkpoint_) {
    seen_checkpoint_ = checkpoint;
    remember(RecentKind::Checkpoint, checkpoint);
    document_ = checkpoint;
  }
  const std::string data = port_.loaded_data_spec();
  if (data != seen_data_) {
    seen_data_ = data;
    remember(RecentKind::DataSet, data);
  }
}

void DesktopShell::update_title() {
  // "model.ckpt - VAE Explorer", as desktop applications name their document.
  const std::string title =
      document_.empty() ? "VAE Explorer" : fs::path(document_).filename().string() + " - VAE Explorer";
  if (title != shown_title_) {
    shown_title_ = title;
    port_.set_window_title(title);
  }
}

void DesktopShell::draw_menu_bar() {
  menu_height_ = 0;
  if (!ImGui::BeginMainMenuBar()) return;
  menu_height_ = ImGui::GetWindowSize().y;
  const bool file_open = ImGui::BeginMenu("File");
  port_.mark("Menu.File");
  if (file_open) {
    draw_file_menu();
    ImGui::EndMenu();
  }
  const bool view_open = ImGui::BeginMenu("View");
  port_.mark("Menu.View");
  if (view_open) {
    draw_view_menu();
    ImGui::EndMenu();
  }
  const bool training_open = ImGui::BeginMenu("Training");
  port_.mark("Menu.Training");
  if (training_open) {
    draw_training_menu();
    ImGui::EndMenu();
  }
  const bool help_open = ImGui::BeginMenu("Help");
  port_.mark("Menu.Help");
  if (help_open) {
    if (ImGui::MenuItem("Keyboard shortcuts", shortcut_label(Command::Help).c_str())) show_shortcuts_ = true;
    port_.mark("Menu.Help.Shortcuts");
    if (ImGui::MenuItem("About VAE Explorer")) show_about_ = true;
    port_.mark("Menu.Help.About");
    ImGui::EndMenu();
  }
  ImGui::EndMainMenuBar();
}

void DesktopShell::draw_file_menu() {
  const bool can_open = !dialog_.is_open();
  if (ImGui::MenuItem("Open checkpoint...", shortcut_label(Command::OpenCheckpoint).c_str(), false, can_open))
    run(Command::OpenCheckpoint);
  port_.mark("Menu.File.OpenCheckpoint");
  if (ImGui::MenuItem("Open data set...", nullptr, false, can_open)) run(Command::OpenDataSet);
  port_.mark("Menu.File.OpenDataSet");
  if (ImGui::MenuItem("Score another data set...", nullptr, false, can_open)) {
    FileDialogRequest request;
    request.mode = FileDialogMode::ChooseFolder;
    request.title = "Score another data set against the model (an IDX folder, t10k-* files are enough, or images)";
    request.purpose = kScoreData;
    dialog_.open(request);
  }
  port_.mark("Menu.File.ScoreData");
  ImGui::Separator();
  const bool can_save = port_.can_save();
  if (ImGui::MenuItem("Save", shortcut_label(Command::Save).c_str(), false, can_save)) run(Command::Save);
  if (ImGui::MenuItem("Save as...", shortcut_label(Command::SaveAs).c_str(), false, can_save && can_open))
    run(Command::SaveAs);
  ImGui::Separator();
  const auto checkpoints = recent_.list(RecentKind::Checkpoint);
  const auto data_sets = recent_.list(RecentKind::DataSet);
  const bool recent_open = ImGui::BeginMenu("Recent", !checkpoints.empty() || !data_sets.empty());
  port_.mark("Menu.File.Recent");
  if (recent_open) {
    if (!checkpoints.empty()) ImGui::TextDisabled("Checkpoints");
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
      ImGui::PushID(int(i));
      if (ImGui::MenuItem(recent_label(checkpoints[i]).c_str())) open_recent(RecentKind::Checkpoint, checkpoints[i]);
      port_.mark("Menu.File.Recent.Checkpoint" + std::to_string(i));
      ImGui::PopID();
    }
    if (!data_sets.empty()) {
      if (!checkpoints.empty()) ImGui::Separator();
      ImGui::TextDisabled("Data sets");
    }
    for (std::size_t i = 0; i < data_sets.size(); ++i) {
      ImGui::PushID(int(100 + i));
      if (ImGui::MenuItem(data_sets[i].c_str())) open_recent(RecentKind::DataSet, data_sets[i]);
      ImGui::PopID();
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Clear the list")) {
      recent_.clear(RecentKind::Checkpoint);
      recent_.clear(RecentKind::DataSet);
      save_recent();
    }
    ImGui::EndMenu();
  }
  auto exports = port_.exports();
  if (ImGui::BeginMenu("Export", !exports.empty())) {
    const bool any = std::any_of(exports.begin(), exports.end(), [](const auto& e) { return e.available; });
    if (ImGui::MenuItem("All pictures", shortcut_label(Command::Export).c_str(), false, any)) export_all();
    ImGui::Separator();
    for (auto& entry : exports) {
      if (ImGui::MenuItem(entry.label.c_str(), nullptr, false, entry.available) && entry.run) entry.run();
    }
    ImGui::Separator();
    ImGui::TextDisabled("into %s",
                        port_.export_folder().empty() ? "the current folder" : port_.export_folder().c_str());
    ImGui::EndMenu();
  }
  ImGui::Separator();
  if (ImGui::MenuItem("Quit", shortcut_label(Command::Quit).c_str())) port_.quit();
  port_.mark("Menu.File.Quit");
}

void DesktopShell::draw_view_menu() {
  auto panels = port_.panels();
  for (std::size_t i = 0; i < panels.size(); ++i) {
    auto& p = panels[i];
    if (p.visible) {
      if (ImGui::MenuItem(p.label.c_str(), p.shortcut.c_str(), *p.visible)) {
        *p.visible = !*p.visible;
        if (*p.visible) port_.focus_panel(i);
      }
    } else if (ImGui::MenuItem(p.label.c_str(), p.shortcut.c_str())) {
      port_.focus_panel(i);
    }
  }
  port_.mark("Menu.View.Panels");  // the last panel entry: the menu is open
  ImGui::Separator();
  if (ImGui::MenuItem("Reset layout")) port_.reset_layout();
  if (port_.can_scale()) {
    if (ImGui::BeginMenu("UI scale")) {
      const float current = port_.ui_scale_setting();
      if (ImGui::MenuItem("Follow the monitor", nullptr, current == 0.f)) port_.set_ui_scale_setting(0.f);
      for (float s : {0.75f, 1.f, 1.25f, 1.5f, 1.75f, 2.f}) {
        char label[16];
        std::snprintf(label, sizeof label, "%d%%", int(s * 100 + 0.5f));
        if (ImGui::MenuItem(label, nullptr, current == s)) port_.set_ui_scale_setting(s);
      }
      ImGui::EndMenu();
    }
  }
}

void DesktopShell::draw_training_menu() {
  const TrainingPhase phase = port_.training_phase();
  const bool loading = port_.busy_loading();
  const bool running = phase == TrainingPhase::Running, paused = phase == TrainingPhase::Paused;
  if (ImGui::MenuItem("Start", nullptr, false, !loading && !running && !paused)) port_.start_training();
  const char* toggle = running ? "Pause" : "Resume";
  const bool can_toggle = running || paused || phase == TrainingPhase::Idle || phase == TrainingPhase::Finished;
  if (ImGui::MenuItem(toggle, shortcut_label(Command::PauseResume).c_str(), false, can_toggle))
    run(Command::PauseResume);
  port_.mark("Menu.Training.PauseResume");
  if (ImGui::MenuItem("Step", nullptr, false, paused || phase == TrainingPhase::Idle)) port_.step_training();
  if (ImGui::MenuItem("Stop", nullptr, false, running || paused)) port_.stop_training();
}

void DesktopShell::draw_help_windows() {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float font = ImGui::GetFontSize();
  if (show_shortcuts_) {
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowBgAlpha(1.f);  // over the panels: nothing of them may show through
    ImGui::SetNextWindowSize(ImVec2(std::min(display.x - 20, font * 36), 0), ImGuiCond_Appearing);
    ImGui::SetNextWindowFocus();
    if (ImGui::Begin(
            "Keyboard shortcuts", &show_shortcuts_,
            ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize)) {
      if (ImGui::BeginTable("shortcuts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
        ImGui::TableSetupColumn("Keys", ImGuiTableColumnFlags_WidthFixed, font * 9);
        ImGui::TableSetupColumn("Action");
        ImGui::TableHeadersRow();
        auto row = [](const std::string& keys, const std::string& action) {
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(keys.c_str());
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(action.c_str());
        };
        for (const auto& s : command_shortcuts()) row(to_string(s.keys), s.action);
        for (const auto& p : port_.panels()) {
          if (!p.shortcut.empty()) row(p.shortcut, "Show the " + p.label + " panel");
        }
        row("Tab, arrows", "Move between controls (keyboard navigation)");
        row("Space, Enter", "Press the highlighted control (while one is highlighted)");
        row("Ctrl+Tab", "Switch between panels");
        row("Esc", "Leave a text field, close a menu or dialog");
        row("Drag and drop", "Checkpoints, IDX folders, image folders onto the window");
        row("Drop on Density", "A data set dropped on the Density panel is scored, not trained on");
        ImGui::EndTable();
      }
      port_.mark("Help.Shortcuts");
    }
    ImGui::End();
  }
  if (show_about_) {
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowBgAlpha(1.f);  // over the panels: nothing of them may show through
    if (ImGui::Begin(
            "About VAE Explorer", &show_about_,
            ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize)) {
      ImGui::TextUnformatted("VAE Explorer: train variational autoencoders and explore their latent spaces.");
      ImGui::Separator();
      static const std::string versions = version_text();
      ImGui::TextUnformatted(versions.c_str());
      ImGui::TextUnformatted(graphics_info_.c_str());
      ImGui::Text("Dear ImGui %s", IMGUI_VERSION);
    }
    ImGui::End();
  }
}

void DesktopShell::draw_toast() {
  const auto newest = port_.newest_message();
  if (newest.time >= 0 && newest.time != toasted_time_) {
    toasted_time_ = newest.time;
    if (!newest.error) {
      toast_text_ = newest.text;
      toast_since_ = port_.now();
    } else {
      toast_since_ = -1;  // an error replaces a success still showing
    }
  }
  const float alpha = toast_since_ < 0 ? 0.f : toast_alpha(toast_since_, port_.now(), kToastSeconds);
  if (alpha <= 0.f) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float font = ImGui::GetFontSize();
  ImGui::SetNextWindowPos(ImVec2(display.x - font, display.y - font * 3.5f), ImGuiCond_Always, ImVec2(1, 1));
  ImGui::SetNextWindowBgAlpha(0.92f * alpha);
  ImGui::SetNextWindowSizeConstraints(ImVec2(0, 0), ImVec2(std::min(display.x * 0.6f, font * 40), display.y));
  ImGui::PushStyleVar(ImGuiStyleVar_Alpha, alpha);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ImVec4(0.13f, 0.32f, 0.2f, 1));
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoInputs |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                                 ImGuiWindowFlags_NoNav | ImGuiWindowFlags_AlwaysAutoResize;
  if (ImGui::Begin("##toast", nullptr, flags)) {
    ImGui::PushTextWrapPos(std::min(display.x * 0.6f, font * 40) - font);
    ImGui::TextUnformatted(toast_text_.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
  ImGui::PopStyleColor();
  ImGui::PopStyleVar();
}

}  // namespace vae::gui
