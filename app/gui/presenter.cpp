#include "app/gui/presenter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "app/gui/gl_util.h"
#include "app/gui/logic/hash.h"
#include "imgui_impl_opengl3.h"

#include <GLFW/glfw3.h>
#include <dlfcn.h>

namespace vae::gui {

namespace {

DamageRect rect_of(const ImVec4& r) { return {r.x, r.y, r.z, r.w}; }

// Bounds of the vertices a command's triangles use.
DamageRect command_bounds(const ImDrawList* list, const ImDrawCmd& cmd) {
  DamageRect r;
  for (unsigned int i = 0; i < cmd.ElemCount; ++i) {
    const ImVec2 p = list->VtxBuffer[int(cmd.VtxOffset + list->IdxBuffer[int(cmd.IdxOffset + i)])].pos;
    r = r.united({p.x, p.y, p.x + 1, p.y + 1});
  }
  return r.intersected(rect_of(cmd.ClipRect));
}

// What each draw list shows: whether its content changed, where its vertices lie (within its
// clip rectangles), the vertices with the state each is drawn with, and where each texture it
// samples is drawn. `out` is refilled in place (its buffers are reused from two frames ago);
// content equality is a memcmp against the same list in `previous`.
void fill_signatures(const ImDrawData* data, const std::vector<DrawListSignature>& previous,
                     std::vector<DrawListSignature>& out, std::uint64_t& next_content) {
  const std::uint64_t font = std::uint64_t(reinterpret_cast<std::uintptr_t>(ImGui::GetIO().Fonts->TexID));
  out.resize(std::size_t(std::max(0, data->CmdListsCount)));
  for (int i = 0; i < data->CmdListsCount; ++i) {
    const ImDrawList* list = data->CmdLists[i];
    DrawListSignature& s = out[std::size_t(i)];
    s.list = list;
    s.clip = {};
    s.textures.clear();
    std::uint64_t commands = 0xcbf29ce484222325ull, offsets = commands;
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      const std::uint64_t texture = std::uint64_t(reinterpret_cast<std::uintptr_t>(cmd.TextureId));
      const std::uint64_t what[2] = {texture, std::uint64_t(reinterpret_cast<std::uintptr_t>(cmd.UserCallback))};
      const std::uint64_t where[3] = {cmd.VtxOffset, cmd.IdxOffset, cmd.ElemCount};
      commands = hash_bytes(hash_bytes(commands, &cmd.ClipRect, sizeof cmd.ClipRect), what, sizeof what);
      offsets = hash_bytes(offsets, where, sizeof where);
      if (cmd.UserCallback != nullptr || cmd.ElemCount == 0) continue;
      s.clip = s.clip.united(rect_of(cmd.ClipRect));
      // The font atlas is in nearly every command and never changes behind ImGui's back.
      if (texture != font) {
        const DamageRect drawn = command_bounds(list, cmd);
        auto use =
            std::find_if(s.textures.begin(), s.textures.end(), [&](const auto& u) { return u.texture == texture; });
        if (use == s.textures.end())
          s.textures.push_back({texture, drawn});
        else
          use->bounds = use->bounds.united(drawn);
      }
    }
    const std::size_t vertex_bytes = std::size_t(list->VtxBuffer.Size) * sizeof(ImDrawVert);
    const std::size_t index_bytes = std::size_t(list->IdxBuffer.Size) * sizeof(ImDrawIdx);
    const auto match = std::find_if(previous.begin(), previous.end(), [&](const auto& p) { return p.list == list; });
    const DrawListSignature* before = match == previous.end() ? nullptr : &*match;
    const bool same = before && before->commands == commands && before->offsets == offsets &&
                      before->raw_vertices.size() == vertex_bytes && before->indices.size() == index_bytes &&
                      std::memcmp(before->raw_vertices.data(), list->VtxBuffer.Data, vertex_bytes) == 0 &&
                      std::memcmp(before->indices.data(), list->IdxBuffer.Data, index_bytes) == 0;
    s.content = same ? before->content : ++next_content;
    s.commands = commands;
    s.offsets = offsets;
    s.raw_vertices.resize(vertex_bytes);
    if (vertex_bytes) std::memcpy(s.raw_vertices.data(), list->VtxBuffer.Data, vertex_bytes);
    s.indices.resize(index_bytes);
    if (index_bytes) std::memcpy(s.indices.data(), list->IdxBuffer.Data, index_bytes);
    if (same) {
      s.vertices = before->vertices;
      s.bounds = before->bounds;
      continue;
    }
    // Each vertex with the state of the command that draws it: ImGui gives a command the
    // vertices after the previous command's (within one VtxOffset block), up to the highest its
    // indices use. A callback (the scatter's blend mode) changes the state of what follows.
    s.vertices.resize(std::size_t(list->VtxBuffer.Size));
    std::uint32_t callback_state = 0;
    std::size_t assigned = 0;
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      if (cmd.UserCallback != nullptr) {
        callback_state = std::uint32_t(hash_bytes(callback_state, &cmd.UserCallback, sizeof cmd.UserCallback));
        continue;
      }
      std::size_t last = 0;
      for (unsigned int e = 0; e < cmd.ElemCount; ++e)
        last = std::max(last, std::size_t(cmd.VtxOffset) + list->IdxBuffer[int(cmd.IdxOffset + e)]);
      const std::uint64_t texture = std::uint64_t(reinterpret_cast<std::uintptr_t>(cmd.TextureId));
      const std::uint32_t state = std::uint32_t(
          hash_bytes(hash_bytes(callback_state, &cmd.ClipRect, sizeof cmd.ClipRect), &texture, sizeof texture));
      for (; cmd.ElemCount > 0 && assigned <= last && assigned < s.vertices.size(); ++assigned) {
        const ImDrawVert& v = list->VtxBuffer[int(assigned)];
        s.vertices[assigned] = {v.pos.x, v.pos.y, v.uv.x, v.uv.y, v.col, state};
      }
    }
    for (; assigned < s.vertices.size(); ++assigned) {  // drawn by no command
      const ImDrawVert& v = list->VtxBuffer[int(assigned)];
      s.vertices[assigned] = {v.pos.x, v.pos.y, v.uv.x, v.uv.y, v.col, 0};
    }
    float x0 = 0, y0 = 0, x1 = -1, y1 = -1;  // empty unless there are vertices
    if (!s.vertices.empty()) {
      x0 = x1 = s.vertices[0].x;
      y0 = y1 = s.vertices[0].y;
      for (const auto& v : s.vertices) {
        x0 = std::min(x0, v.x);
        x1 = std::max(x1, v.x);
        y0 = std::min(y0, v.y);
        y1 = std::max(y1, v.y);
      }
    }
    s.bounds = DamageRect{x0, y0, x1 + 1, y1 + 1}.intersected(s.clip);
  }
}

// Whether GL draws with the CPU: llvmpipe, softpipe or the old swrast.
bool software_renderer() {
  const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  const std::string name = renderer ? renderer : "";
  for (const char* soft : {"llvmpipe", "softpipe", "Software Rasterizer", "swrast"})
    if (name.find(soft) != std::string::npos) return true;
  return false;
}

ScissorMapping scissor_mapping(const ImDrawData* data, int fb_height) {
  return {data->DisplayPos.x, data->DisplayPos.y, data->FramebufferScale.x, data->FramebufferScale.y, fb_height};
}

using CopySubBuffer = void (*)(void* display, unsigned long drawable, int x, int y, int width, int height);

}  // namespace

Presenter::Presenter(GLFWwindow* window, const std::string& forced) {
  const bool software = software_renderer();
  // GLFW's X11 natives, looked up at run time: a GLFW built for Wayland alone lacks them, and
  // declaring them would need the X11 headers.
  using GetDisplay = void* (*)();
  using GetGlxWindow = unsigned long (*)(GLFWwindow*);
  auto get_display = reinterpret_cast<GetDisplay>(dlsym(RTLD_DEFAULT, "glfwGetX11Display"));
  auto get_glx_window = reinterpret_cast<GetGlxWindow>(dlsym(RTLD_DEFAULT, "glfwGetGLXWindow"));
  if (glfwExtensionSupported("GLX_MESA_copy_sub_buffer") && get_display && get_glx_window) {
    display_ = get_display();
    drawable_ = get_glx_window(window);
    copy_sub_buffer_ = reinterpret_cast<void*>(glfwGetProcAddress("glXCopySubBufferMESA"));
  }
  const bool can_copy = display_ && drawable_ && copy_sub_buffer_;
  if (forced == "direct")
    mode_ = Mode::kDirect;
  else if (forced == "offscreen")
    mode_ = Mode::kOffscreen;
  else if (forced == "copy" && can_copy)
    mode_ = Mode::kCopy;
  else
    mode_ = !software ? Mode::kDirect : can_copy ? Mode::kCopy : Mode::kOffscreen;
}

const char* Presenter::mode_name(Mode mode) {
  switch (mode) {
    case Mode::kDirect:
      return "direct";
    case Mode::kOffscreen:
      return "offscreen";
    case Mode::kCopy:
      return "copy";
  }
  return "?";
}

Presenter::~Presenter() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (color_) glDeleteTextures(1, &color_);
}

bool Presenter::ensure_target(int width, int height) {
  if (target_failed_) return false;
  if (fbo_ && width == width_ && height == height_) return true;
  if (!fbo_) {
    glGenFramebuffers(1, &fbo_);
    glGenTextures(1, &color_);
  }
  const bool complete = attach_color_target(fbo_, color_, width, height);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (!complete) {
    target_failed_ = true;  // drawing straight to the window, in full, still works: only slower
    return false;
  }
  width_ = width;
  height_ = height;
  return true;
}

// Repaints the rectangles (window coordinates) of the bound framebuffer from the background up.
// ImGui's renderer sets its own scissor per command, so each pass narrows every command to its
// rectangle (one that falls outside gets an empty rectangle, which the renderer skips) and sends
// only the lists that reach into it.
void Presenter::repaint(ImDrawData* data, const std::vector<DamageRect>& rects, int fb_height) {
  std::vector<std::vector<ImVec4>> original(std::size_t(data->CmdListsCount));
  for (int i = 0; i < data->CmdListsCount; ++i)
    for (const ImDrawCmd& cmd : data->CmdLists[i]->CmdBuffer) original[std::size_t(i)].push_back(cmd.ClipRect);
  const ScissorMapping mapping = scissor_mapping(data, fb_height);
  std::vector<ImDrawList*> lists;
  for (const DamageRect& rect : rects) {
    const PixelBox damaged = mapping.box_of(rect);
    lists.clear();
    for (int i = 0; i < data->CmdListsCount; ++i) {
      ImDrawList* list = data->CmdLists[i];
      bool reaches = false;
      for (int c = 0; c < list->CmdBuffer.Size; ++c) {
        const PixelBox box = mapping.box_of(rect_of(original[std::size_t(i)][std::size_t(c)])).intersected(damaged);
        const DamageRect clip = mapping.clip_of(box);
        list->CmdBuffer[c].ClipRect = ImVec4(clip.x0, clip.y0, clip.x1, clip.y1);
        reaches |= !box.empty();
      }
      if (reaches) lists.push_back(list);
    }
    glEnable(GL_SCISSOR_TEST);
    glScissor(damaged.x, damaged.y, damaged.width, damaged.height);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
    ImDrawData part = *data;
    part.CmdLists = lists.data();
    part.CmdListsCount = int(lists.size());
    part.TotalVtxCount = part.TotalIdxCount = 0;
    for (const ImDrawList* list : lists) {
      part.TotalVtxCount += list->VtxBuffer.Size;
      part.TotalIdxCount += list->IdxBuffer.Size;
    }
    ImGui_ImplOpenGL3_RenderDrawData(&part);
  }
  for (int i = 0; i < data->CmdListsCount; ++i)
    for (int c = 0; c < data->CmdLists[i]->CmdBuffer.Size; ++c)
      data->CmdLists[i]->CmdBuffer[c].ClipRect = original[std::size_t(i)][std::size_t(c)];
}

void Presenter::copy_to_window(const PixelBox& box) {
  reinterpret_cast<CopySubBuffer>(copy_sub_buffer_)(display_, drawable_, box.x, box.y, box.width, box.height);
}

Presenter::Frame Presenter::present(ImDrawData* data, int fb_width, int fb_height, const ImVec4& clear,
                                    bool repaint_all, bool present_anyway) {
  Frame frame;
  if (fb_width <= 0 || fb_height <= 0) return frame;
  fill_signatures(data, previous_, current_, next_content_);
  const std::vector<std::uint64_t> changed = take_changed_textures();
  Damage damage = compute_damage(previous_, current_, changed);
  std::swap(previous_, current_);
  const bool resized = fb_width != width_ || fb_height != height_;
  const DamageRect display_rect{data->DisplayPos.x, data->DisplayPos.y, data->DisplayPos.x + data->DisplaySize.x,
                                data->DisplayPos.y + data->DisplaySize.y};
  const bool offscreen = mode_ == Mode::kOffscreen && ensure_target(fb_width, fb_height);
  if (mode_ != Mode::kOffscreen) width_ = fb_width, height_ = fb_height;
  // Mesa's software GLX path learns a new window size only when buffers are swapped, and the first
  // frame after that has a new, empty back buffer: after a resize, a few frames are repainted in
  // full and swapped before copying rectangles again (copying from a back buffer of the old size
  // would show the wrong rows, or fail).
  constexpr int kSwapFramesAfterResize = 3;
  if (resized) swap_frames_left_ = kSwapFramesAfterResize;
  const bool swap_instead = mode_ == Mode::kCopy && swap_frames_left_ > 0;
  frame.changed = damage.full || !damage.rects.empty() || resized;
  if (!frame.changed && !present_anyway && !repaint_all) return frame;
  // Without a picture kept from the last frame (a GPU's swapped back buffer, no offscreen target,
  // the frames after a resize) whatever is shown is repainted in full.
  if (repaint_all || resized || swap_instead || mode_ == Mode::kDirect || (mode_ == Mode::kOffscreen && !offscreen))
    damage.full = true;

  glViewport(0, 0, fb_width, fb_height);
  glClearColor(clear.x * clear.w, clear.y * clear.w, clear.z * clear.w, 1.f);
  if (offscreen) glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  std::vector<DamageRect> rects;
  if (damage.full) {
    rects.push_back(display_rect);
    glDisable(GL_SCISSOR_TEST);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(data);
    frame.repainted_fraction = 1;
  } else {
    float repainted = 0;
    for (const DamageRect& damaged : damage.rects) {
      // Whole framebuffer pixels, one pixel wider on each side for anti-aliased edges.
      const DamageRect rect = DamageRect{std::floor(damaged.x0) - 1, std::floor(damaged.y0) - 1,
                                         std::ceil(damaged.x1) + 1, std::ceil(damaged.y1) + 1}
                                  .intersected(display_rect);
      if (!rect.empty()) rects.push_back(rect), repainted += rect.area();
    }
    repaint(data, rects, fb_height);
    frame.repainted_fraction = repainted / std::max(1.f, display_rect.area());
    if (rects.empty()) rects.push_back(display_rect);  // present_anyway: show it all again
  }
  frame.presented = true;
  const ScissorMapping mapping = scissor_mapping(data, fb_height);
  switch (mode_) {
    case Mode::kCopy:
      if (swap_instead) {
        --swap_frames_left_;
        frame.swap = true;
        break;
      }
      for (const DamageRect& rect : rects) copy_to_window(mapping.box_of(rect));
      break;
    case Mode::kOffscreen:
      if (offscreen) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo_);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
        glBlitFramebuffer(0, 0, fb_width, fb_height, 0, 0, fb_width, fb_height, GL_COLOR_BUFFER_BIT, GL_NEAREST);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
      }
      frame.swap = true;
      break;
    case Mode::kDirect:
      frame.swap = true;
      break;
  }
  return frame;
}

std::size_t Presenter::count_stale_pixels(ImDrawData* data, int fb_width, int fb_height, const ImVec4& clear) {
  if (fb_width <= 0 || fb_height <= 0) return 0;
  std::vector<unsigned char> shown(std::size_t(fb_width) * std::size_t(fb_height) * 4);
  std::vector<unsigned char>& full = checked_;
  full.resize(shown.size());
  checked_width_ = fb_width;
  checked_height_ = fb_height;
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, fb_width, fb_height, GL_RGBA, GL_UNSIGNED_BYTE, shown.data());
  GLuint fbo = 0, color = 0;
  glGenFramebuffers(1, &fbo);
  glGenTextures(1, &color);
  attach_color_target(fbo, color, fb_width, fb_height);
  glViewport(0, 0, fb_width, fb_height);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(clear.x * clear.w, clear.y * clear.w, clear.z * clear.w, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(data);
  glReadPixels(0, 0, fb_width, fb_height, GL_RGBA, GL_UNSIGNED_BYTE, full.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glDeleteFramebuffers(1, &fbo);
  glDeleteTextures(1, &color);
  // llvmpipe blends a tile cut by a scissor on another code path than a whole one: the same
  // picture can differ by one level in a few pixels.
  constexpr int kRoundingTolerance = 2;
  std::size_t stale = 0;
  last_stale_ = {};
  for (std::size_t p = 0; p < shown.size(); p += 4) {  // colour only: the window's alpha is not shown
    int worst = 0;
    for (std::size_t c = 0; c < 3; ++c) worst = std::max(worst, std::abs(shown[p + c] - full[p + c]));
    if (worst <= kRoundingTolerance) continue;
    ++stale;
    const float x = float(p / 4 % std::size_t(fb_width)), y = float(fb_height - 1 - int(p / 4 / std::size_t(fb_width)));
    last_stale_ = last_stale_.united({x, y, x + 1, y + 1});
    last_stale_worst_ = std::max(last_stale_worst_, worst);
  }
  return stale;
}

}  // namespace vae::gui
