#pragma once
// Puts ImGui's frame on screen, rasterising only what changed (logic/damage.h explains why).
// Three ways, chosen once from the renderer (measured on Xvfb + llvmpipe, 1280x800, 2 cores):
//  - kCopy: a software rasteriser with GLX_MESA_copy_sub_buffer. The back buffer is never swapped,
//    so it keeps the last picture; damaged rectangles are repainted there and only they are copied
//    to the window. No full-window pass at all.
//  - kOffscreen: a software rasteriser without it. The picture lives in an offscreen framebuffer;
//    damaged rectangles are repainted there and the whole picture is copied to the back buffer,
//    whose content is undefined after a swap (that copy costs llvmpipe 5-15 ms).
//  - kDirect: a GPU. Rasterising the window costs next to nothing, so a changed frame is
//    repainted in full and swapped, the portable way.
// UI thread only (it owns the GL context).
#include <glad/gl.h>

#include <string>
#include <vector>

#include "app/gui/logic/damage.h"
#include "imgui.h"

struct GLFWwindow;

namespace vae::gui {

class Presenter {
 public:
  enum class Mode { kDirect, kOffscreen, kCopy };
  // `forced`: "direct", "offscreen" or "copy" to override the choice (measurements); "" = choose.
  Presenter(GLFWwindow* window, const std::string& forced);
  ~Presenter();
  Presenter(const Presenter&) = delete;
  Presenter& operator=(const Presenter&) = delete;

  Mode mode() const { return mode_; }
  static const char* mode_name(Mode mode);

  struct Frame {
    bool presented = false;        // a new picture is on its way to the screen
    bool swap = false;             // ... and the caller must swap buffers for it
    bool changed = false;          // the picture differs from the previous frame's
    float repainted_fraction = 0;  // share of the window rasterised again (0 when only copied)
  };
  // `data` is this frame's draw data (its clip rectangles are narrowed during the call and
  // restored). `repaint_all` ignores the damage (measurements, screenshots, a new UI scale);
  // `present_anyway` shows an unchanged picture again (a periodic refresh covering what no damage
  // can see, such as an expose). After the call the back buffer holds the whole picture.
  Frame present(ImDrawData* data, int fb_width, int fb_height, const ImVec4& clear, bool repaint_all,
                bool present_anyway);

  // Test hook: repaints the frame just presented in full offscreen and counts the pixels that
  // differ from the back buffer (0 when the damage was right). Costly; tests only.
  std::size_t count_stale_pixels(ImDrawData* data, int fb_width, int fb_height, const ImVec4& clear);
  // The full repaint of the last check (GL's RGBA rows, bottom-up): with nothing changing, what
  // the screen should show, which a test compares with a capture of the screen itself.
  const std::vector<unsigned char>& last_checked_picture() const { return checked_; }
  int last_checked_width() const { return checked_width_; }
  // Where the last check found stale pixels (window coordinates; empty when none), and the largest
  // colour difference any check found: to tell a damage mistake from rasteriser rounding.
  const DamageRect& last_stale_rect() const { return last_stale_; }
  int worst_stale_difference() const { return last_stale_worst_; }
  int last_checked_height() const { return checked_height_; }

 private:
  bool ensure_target(int width, int height);  // false when no offscreen target can be made
  void repaint(ImDrawData* data, const std::vector<DamageRect>& rects, int fb_height);
  void copy_to_window(const PixelBox& box);

  Mode mode_ = Mode::kDirect;
  void* display_ = nullptr;          // X11 Display*, for kCopy
  unsigned long drawable_ = 0;       // its GLXWindow
  void* copy_sub_buffer_ = nullptr;  // glXCopySubBufferMESA
  GLuint fbo_ = 0, color_ = 0;
  int width_ = 0, height_ = 0;
  bool target_failed_ = false;
  int swap_frames_left_ = 0;  // kCopy: frames still to swap after a resize
  std::vector<DrawListSignature> previous_, current_;
  std::uint64_t next_content_ =
      0;  // content numbers, unique across frames  // this frame's lists and the last; swapped
  std::vector<unsigned char> checked_;
  int checked_width_ = 0, checked_height_ = 0;
  DamageRect last_stale_;
  int last_stale_worst_ = 0;
};

}  // namespace vae::gui
