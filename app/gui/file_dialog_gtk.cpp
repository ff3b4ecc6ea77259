// The platform's file chooser through GTK 3's GtkFileChooserNative: a GTK dialog on X11/Wayland
// desktops, the XDG desktop portal's chooser where one runs (sandboxes, GTK_USE_PORTAL=1). GTK is
// initialised only when the first dialog opens, and its events are pumped from the frame loop, so
// the GLFW window keeps drawing while the dialog is up.
#include "app/gui/file_dialog.h"

#ifdef VAE_WITH_GTK
#include <gtk/gtk.h>

#include <cstdio>

namespace vae::gui::native_dialog {

namespace {

enum class Init { NotTried, Ready, Failed };
Init g_init = Init::NotTried;

struct Pending {
  GtkFileChooserNative* dialog = nullptr;
  bool responded = false;
  std::string path;
};
Pending g_pending;

void on_response(GtkNativeDialog* dialog, gint response, gpointer) {
  if (response == GTK_RESPONSE_ACCEPT) {
    if (gchar* name = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(dialog))) {
      g_pending.path = name;
      g_free(name);
    }
  }
  g_pending.responded = true;
}

void pump() {
  // Bounded: a flood of events must not stall a frame.
  for (int i = 0; i < 200 && g_main_context_iteration(nullptr, FALSE); ++i) {
  }
}

}  // namespace

bool available() {
  if (g_init == Init::NotTried) {
    // GTK would otherwise call setlocale(LC_ALL, ""), and a decimal comma would then break the
    // number formatting and parsing of the rest of the program.
    gtk_disable_setlocale();
    g_init = gtk_init_check(nullptr, nullptr) ? Init::Ready : Init::Failed;
  }
  return g_init == Init::Ready;
}

bool show(const FileDialogRequest& request) {
  if (!available() || g_pending.dialog) return false;
  const bool save = request.mode == FileDialogMode::Save;
  const GtkFileChooserAction action = save ? GTK_FILE_CHOOSER_ACTION_SAVE
                                      : request.mode == FileDialogMode::ChooseFolder
                                          ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                          : GTK_FILE_CHOOSER_ACTION_OPEN;
  const char* accept = save ? "_Save" : request.mode == FileDialogMode::ChooseFolder ? "_Select" : "_Open";
  GtkFileChooserNative* dialog = gtk_file_chooser_native_new(request.title.c_str(), nullptr, action, accept, "_Cancel");
  if (!dialog) return false;
  GtkFileChooser* chooser = GTK_FILE_CHOOSER(dialog);
  for (const auto& f : request.filters) {
    GtkFileFilter* filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, f.name.c_str());
    if (f.patterns.empty()) gtk_file_filter_add_pattern(filter, "*");
    for (const auto& pattern : f.patterns) {
      // GTK's patterns are case-sensitive; ours are not: add the upper-case spelling too.
      gtk_file_filter_add_pattern(filter, pattern.c_str());
      std::string upper = pattern;
      for (char& c : upper) c = static_cast<char>(g_ascii_toupper(c));
      if (upper != pattern) gtk_file_filter_add_pattern(filter, upper.c_str());
    }
    gtk_file_chooser_add_filter(chooser, filter);  // takes the floating reference
  }
  if (!request.folder.empty()) gtk_file_chooser_set_current_folder(chooser, request.folder.c_str());
  if (save) {
    gtk_file_chooser_set_do_overwrite_confirmation(chooser, TRUE);
    if (!request.suggested_name.empty()) gtk_file_chooser_set_current_name(chooser, request.suggested_name.c_str());
  }
  g_pending = Pending{};
  g_pending.dialog = dialog;
  g_signal_connect(dialog, "response", G_CALLBACK(on_response), nullptr);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
  pump();
  return true;
}

bool poll(std::string* path) {
  if (!g_pending.dialog) return false;
  pump();
  if (!g_pending.responded) return false;
  gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(g_pending.dialog));
  g_object_unref(g_pending.dialog);
  g_pending.dialog = nullptr;
  pump();  // lets GTK unmap the dialog now rather than at the next dialog
  *path = std::move(g_pending.path);
  g_pending = Pending{};
  return true;
}

void cancel() {
  if (!g_pending.dialog) return;
  gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(g_pending.dialog));
  g_object_unref(g_pending.dialog);
  g_pending = Pending{};
  pump();
}

}  // namespace vae::gui::native_dialog

#else  // built without GTK: the in-app chooser is all there is

namespace vae::gui::native_dialog {
bool available() { return false; }
bool show(const FileDialogRequest&) { return false; }
bool poll(std::string*) { return false; }
void cancel() {}
}  // namespace vae::gui::native_dialog

#endif
