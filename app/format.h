#pragma once
// Text formatting shared by the terminal front end and the window.
#include <string>

namespace vae {

// "m:ss" or "h:mm:ss"; "--:--" when unknown (negative, NaN or infinite).
std::string format_duration(double seconds);

}  // namespace vae
