#pragma once
// Small timing rules of the window's messages and tooltips. Pure logic, unit tested.
#include <cstdint>

namespace vae::gui {

// A tooltip appears once the pointer has rested on the same item for `delay` seconds, instead of
// flashing up the moment the pointer crosses a control. Call update() every frame with the item
// under the pointer (0: none).
class HoverDelay {
 public:
  explicit HoverDelay(double delay = 0.5) : delay_(delay) {}
  // True when the tooltip of `item` may show now.
  bool update(std::uint64_t item, double now) {
    if (item != item_) {
      item_ = item;
      since_ = now;
    }
    return item != 0 && now - since_ >= delay_;
  }
  double delay() const { return delay_; }

 private:
  double delay_;
  std::uint64_t item_ = 0;
  double since_ = 0;
};

// Opacity of a toast shown at `shown_at`, at time `now`: fades in over 0.15 s, holds, and fades
// out over the last 0.5 s of `duration`. 0 outside its lifetime.
inline float toast_alpha(double shown_at, double now, double duration = 3.0) {
  const double age = now - shown_at;
  if (age < 0 || age >= duration) return 0.f;
  if (age < 0.15) return float(age / 0.15);
  if (age > duration - 0.5) return float((duration - age) / 0.5);
  return 1.f;
}

// The message area is in its error state (red) while the newest message is an error: a later
// success (or any later non-error outcome) turns it back to normal, the error staying listed.
template <typename Messages>  // newest first, each with a bool `error`
bool messages_in_error(const Messages& newest_first) {
  return !newest_first.empty() && newest_first.front().error;
}

}  // namespace vae::gui
