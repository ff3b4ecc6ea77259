#pragma once
// The window's side of the desktop shell: a ShellPort over the window's state. The adapter to
// whatever structure the window has; the shell itself never reaches into panels.
#include <memory>

#include "app/gui/desktop_shell.h"

struct GLFWwindow;

namespace vae::gui {

struct AppState;

std::unique_ptr<ShellPort> make_shell_port(AppState& app, GLFWwindow* window);

}  // namespace vae::gui
