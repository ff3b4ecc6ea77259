#pragma once
// The window's side of the desktop shell: a ShellPort over the session, the panel host (the
// registry's live panels), the message log and the diagnostics. The shell itself never reaches
// into panels.
#include <memory>

#include "app/gui/desktop_shell.h"

struct GLFWwindow;

namespace vae::gui {

class Session;
class PanelHost;
class MessageLog;
class Diagnostics;
class KeyQueue;

std::unique_ptr<ShellPort> make_shell_port(Session& session, PanelHost& host, MessageLog& messages,
                                           Diagnostics* diagnostics, GLFWwindow* window);

// Hands the presses of the command shortcuts (Ctrl+O, Space, F1, ...) from the window's key queue
// to the shell; the panels' own shortcuts stay in the queue for the panel host.
void feed_shortcuts(KeyQueue& keys, DesktopShell& shell);

}  // namespace vae::gui
