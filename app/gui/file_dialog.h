#pragma once
// File dialogs: the platform's own chooser (GTK 3's GtkFileChooserNative, which goes through the
// XDG desktop portal where one runs, e.g. under Flatpak or with GTK_USE_PORTAL=1), and an in-app
// chooser drawn with Dear ImGui when no platform dialog can be shown (no GTK display) or when
// $VAE_EXPLORER_FILE_DIALOG=builtin asks for it. Asynchronous: open() returns at once, poll() is
// called every frame (it pumps GTK's events and draws the in-app chooser), so the window keeps
// drawing and training keeps running while the user chooses.
//
// No LibTorch, no GL: the GTK code lives in its own translation unit (file_dialog_gtk.cpp).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/logic/file_browser.h"

namespace vae::gui {

enum class FileDialogMode { Open, Save, ChooseFolder };

struct FileDialogRequest {
  FileDialogMode mode = FileDialogMode::Open;
  std::string title;                // "Open checkpoint"
  std::vector<FileFilter> filters;  // the first is selected; "All files" is the caller's to add
  std::string folder;               // where it starts; empty: the current directory
  std::string suggested_name;       // Save: the proposed file name
  int purpose = 0;                  // the caller's tag, handed back with the result
};

struct FileDialogResult {
  int purpose = 0;
  std::string path;  // empty when the user cancelled
};

class FileDialog {
 public:
  enum class Backend { Auto, Native, BuiltIn };
  // Auto: $VAE_EXPLORER_FILE_DIALOG (native | builtin) if set, else the platform's dialog when it
  // can be shown, else the in-app chooser.
  explicit FileDialog(Backend backend = Backend::Auto);
  ~FileDialog();  // closes a dialog still open
  FileDialog(const FileDialog&) = delete;
  FileDialog& operator=(const FileDialog&) = delete;

  // Shows a dialog; false (and nothing happens) while another is open.
  bool open(const FileDialogRequest& request);
  bool is_open() const;
  // Once per frame, between ImGui::NewFrame() and ImGui::Render(): pumps the platform dialog,
  // draws the in-app one, and returns the outcome in the frame its dialog closes.
  std::optional<FileDialogResult> poll();
  // "GTK" or "in-app": which kind the current (or last) dialog is.
  const char* kind() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The platform dialog alone (file_dialog_gtk.cpp); FileDialog uses it. Builds without GTK
// (VAE_WITH_GTK unset) make available() false.
namespace native_dialog {
// Initialises GTK on first use; false when no display can be opened.
bool available();
// Starts a dialog; false when it could not be shown.
bool show(const FileDialogRequest& request);
// Pumps GTK's pending events without blocking. True once the dialog has closed; then `*path` is
// the chosen file (empty when cancelled).
bool poll(std::string* path);
// Closes a dialog that is still open (the window is closing).
void cancel();
}  // namespace native_dialog

}  // namespace vae::gui
