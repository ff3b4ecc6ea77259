#pragma once
// The window's icon (our own drawing, assets/icons/): what the desktop shows in the task bar and
// the window switcher when no .desktop entry supplies one (e.g. run from the build folder).
struct GLFWwindow;

namespace vae::gui {

// Looks for the icon PNGs installed next to the binary (<prefix>/share/icons/hicolor/...), then in
// the source tree; without them the window keeps the desktop's default icon. Never throws.
void set_window_icon(GLFWwindow* window);

}  // namespace vae::gui
