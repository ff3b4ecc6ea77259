// FileDialog: picks the platform's dialog or the in-app chooser, and draws the in-app chooser
// (a modal Dear ImGui window over a folder listing from list_directory).
#include "app/gui/file_dialog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "imgui.h"

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPopupId = "##file_chooser";

std::string human_size(std::size_t bytes) {
  char text[32];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%zu B", bytes);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024);
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1024 * 1024));
  }
  return text;
}

}  // namespace

// The in-app chooser's state while it is open.
struct InAppChooser {
  FileDialogRequest request;
  std::string folder;
  DirectoryListing listing;
  int filter = 0;
  bool show_hidden = false;
  char name[1024] = {};
  int selected = -1;
  std::string error;
  std::string confirm_replace;  // Save: the existing file awaiting "Replace?"
  bool just_opened = true;

  void navigate(const std::string& to) {
    folder = to;
    selected = -1;
    refresh();
  }
  void refresh() {
    ListingOptions options;
    options.show_hidden = show_hidden;
    options.folders_only = request.mode == FileDialogMode::ChooseFolder;
    const FileFilter all{"All files", {}};
    const auto& f = request.filters.empty() ? all : request.filters[std::size_t(filter)];
    listing = list_directory(folder, f, options);
    folder = listing.directory;
    error = listing.error;
  }

  // Returns the chosen path, or "" when the user must still do something.
  std::string accept() {
    const std::string typed = name;
    const std::string path = resolve_typed_path(folder, typed);
    std::error_code ec;
    const bool is_dir = fs::is_directory(path, ec);
    if (request.mode == FileDialogMode::ChooseFolder) {
      if (is_dir) return path;
      error = "no folder " + path;
      return {};
    }
    if (is_dir) {  // typing or picking a folder opens it
      navigate(path);
      name[0] = '\0';
      return {};
    }
    if (typed.empty()) {
      error = "type a file name or pick a file";
      return {};
    }
    if (request.mode == FileDialogMode::Open) {
      if (fs::is_regular_file(path, ec)) return path;
      error = "no file " + path;
      return {};
    }
    if (!fs::is_directory(fs::path(path).parent_path(), ec)) {
      error = "no folder " + fs::path(path).parent_path().string();
      return {};
    }
    if (fs::exists(path, ec) && confirm_replace != path) {
      confirm_replace = path;
      return {};
    }
    return path;
  }
};

struct FileDialog::Impl {
  Backend backend = Backend::Auto;
  bool native_open = false;
  std::unique_ptr<InAppChooser> in_app;
  const char* kind = "none";
  int purpose = 0;
  bool in_app_cancelled_popup = false;

  // Draws the chooser; returns a result when it closes.
  std::optional<FileDialogResult> draw_in_app();
};

FileDialog::FileDialog(Backend backend) : impl_(std::make_unique<Impl>()) {
  impl_->backend = backend;
  if (backend == Backend::Auto) {
    if (const char* env = std::getenv("VAE_EXPLORER_FILE_DIALOG"); env && *env) {
      if (std::strcmp(env, "builtin") == 0) impl_->backend = Backend::BuiltIn;
      if (std::strcmp(env, "native") == 0) impl_->backend = Backend::Native;
    }
  }
}

FileDialog::~FileDialog() {
  if (impl_->native_open) native_dialog::cancel();
}

bool FileDialog::is_open() const { return impl_->native_open || impl_->in_app; }

const char* FileDialog::kind() const { return impl_->kind; }

bool FileDialog::open(const FileDialogRequest& request) {
  if (is_open()) return false;
  impl_->purpose = request.purpose;
  if (impl_->backend != Backend::BuiltIn && native_dialog::show(request)) {
    impl_->native_open = true;
    impl_->kind = "GTK";
    return true;
  }
  // Native asked for but impossible: say so once on the terminal, then carry on in-app.
  if (impl_->backend == Backend::Native)
    std::fprintf(stderr, "vae-explorer: no platform file dialog; using the in-app chooser\n");
  auto chooser = std::make_unique<InAppChooser>();
  chooser->request = request;
  std::error_code ec;
  chooser->folder = request.folder.empty() ? fs::current_path(ec).string() : request.folder;
  std::snprintf(chooser->name, sizeof chooser->name, "%s", request.suggested_name.c_str());
  chooser->refresh();
  impl_->in_app = std::move(chooser);
  impl_->kind = "in-app";
  return true;
}

std::optional<FileDialogResult> FileDialog::poll() {
  if (impl_->native_open) {
    std::string path;
    if (!native_dialog::poll(&path)) return std::nullopt;
    impl_->native_open = false;
    return FileDialogResult{impl_->purpose, path};
  }
  if (impl_->in_app) return impl_->draw_in_app();
  return std::nullopt;
}

std::optional<FileDialogResult> FileDialog::Impl::draw_in_app() {
  InAppChooser& c = *in_app;
  std::optional<std::string> outcome;  // set when the chooser closes ("" = cancelled)
  const std::string title = c.request.title + kPopupId;
  if (c.just_opened) ImGui::OpenPopup(title.c_str());
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float font = ImGui::GetFontSize();
  ImGui::SetNextWindowSize(ImVec2(std::min(display.x - 40, font * 48), std::min(display.y - 40, font * 30)),
                           ImGuiCond_Appearing);
  ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  bool keep_open = true;
  if (ImGui::BeginPopupModal(title.c_str(), &keep_open)) {
    if (ImGui::Button("Up")) c.navigate(parent_directory(c.folder));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The folder above");
    ImGui::SameLine();
    ImGui::TextUnformatted(c.folder.c_str());
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - font * 8));
    if (ImGui::Checkbox("Hidden", &c.show_hidden)) c.refresh();

    const float footer = ImGui::GetFrameHeightWithSpacing() * 2 + ImGui::GetTextLineHeightWithSpacing() + 4;
    if (ImGui::BeginChild("entries", ImVec2(0, -footer), true)) {
      for (int i = 0; i < int(c.listing.entries.size()); ++i) {
        const auto& e = c.listing.entries[std::size_t(i)];
        const std::string label = (e.is_directory ? "[folder]  " : "          ") + e.name;
        ImGui::PushID(i);
        if (ImGui::Selectable(label.c_str(), c.selected == i, ImGuiSelectableFlags_AllowDoubleClick)) {
          c.selected = i;
          c.error.clear();
          c.confirm_replace.clear();
          if (!e.is_directory || c.request.mode == FileDialogMode::ChooseFolder)
            std::snprintf(c.name, sizeof c.name, "%s", e.name.c_str());
          if (ImGui::IsMouseDoubleClicked(0)) {
            if (e.is_directory) {
              const std::string into = c.folder + (c.folder == "/" ? "" : "/") + e.name;
              ImGui::PopID();
              c.navigate(into);
              if (c.request.mode == FileDialogMode::ChooseFolder) c.name[0] = '\0';
              break;
            }
            const std::string chosen = c.accept();
            if (!chosen.empty()) outcome = chosen;
          }
        }
        if (!e.is_directory) {
          ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - font * 6);
          ImGui::TextDisabled("%s", human_size(e.size).c_str());
        }
        ImGui::PopID();
      }
      if (c.listing.truncated) ImGui::TextDisabled("(more entries not shown)");
      if (c.listing.entries.empty() && c.error.empty()) ImGui::TextDisabled("(nothing to choose here)");
    }
    ImGui::EndChild();

    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(c.request.mode == FileDialogMode::ChooseFolder ? "Folder" : "Name");
    ImGui::SameLine();
    const float filter_width = c.request.filters.empty() ? 0.f : font * 13;
    ImGui::SetNextItemWidth(-(filter_width > 0 ? filter_width + ImGui::GetStyle().ItemSpacing.x : 0.f));
    if (c.just_opened) ImGui::SetKeyboardFocusHere();
    bool enter = ImGui::InputText("##name", c.name, sizeof c.name, ImGuiInputTextFlags_EnterReturnsTrue);
    if (ImGui::IsItemEdited()) {
      c.error.clear();
      c.confirm_replace.clear();
    }
    if (!c.request.filters.empty()) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(-1);
      const char* current = c.request.filters[std::size_t(c.filter)].name.c_str();
      if (ImGui::BeginCombo("##filter", current)) {
        for (int i = 0; i < int(c.request.filters.size()); ++i) {
          if (ImGui::Selectable(c.request.filters[std::size_t(i)].name.c_str(), i == c.filter)) {
            c.filter = i;
            c.refresh();
          }
        }
        ImGui::EndCombo();
      }
    }
    if (!c.confirm_replace.empty()) {
      ImGui::TextColored(ImVec4(1, 0.8f, 0.4f, 1), "%s exists. Save again to replace it.", c.confirm_replace.c_str());
    } else if (!c.error.empty()) {
      ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", c.error.c_str());
    } else {
      ImGui::TextDisabled("Type a name or a path (Enter accepts); double-click opens.");
    }
    const char* accept_label = c.request.mode == FileDialogMode::Save           ? "Save"
                               : c.request.mode == FileDialogMode::ChooseFolder ? "Select"
                                                                                : "Open";
    const float button = font * 6;
    ImGui::SetCursorPosX(ImGui::GetWindowContentRegionMax().x - 2 * button - ImGui::GetStyle().ItemSpacing.x);
    if (ImGui::Button("Cancel", ImVec2(button, 0)) || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
      outcome = std::string();
    ImGui::SameLine();
    if (ImGui::Button(accept_label, ImVec2(button, 0))) enter = true;
    if (enter && !outcome) {
      const std::string chosen = c.accept();
      if (!chosen.empty()) outcome = chosen;
    }
    if (outcome) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  } else if (!c.just_opened) {
    outcome = std::string();  // closed by something else (its close button)
  }
  if (!keep_open && !outcome) outcome = std::string();
  c.just_opened = false;
  if (!outcome) return std::nullopt;
  in_app.reset();
  return FileDialogResult{purpose, *outcome};
}

}  // namespace vae::gui
