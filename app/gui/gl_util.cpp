#include "app/gui/gl_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace vae::gui {

namespace {

// The originals live in shaders/scatter.vert and shaders/scatter.frag; they are embedded so the
// binary works from any directory. tests/gui checks that both copies stay identical.
const char* const kScatterVertex = R"glsl(#version 330 core
// Scatter points: position in data units, class index as a float attribute.
layout(location = 0) in vec2 a_position;
layout(location = 1) in float a_class;

uniform vec2 u_scale;   // data units -> normalised device coordinates of the plot viewport
uniform vec2 u_offset;
uniform float u_point_size;
uniform vec4 u_palette[16];
uniform int u_palette_size;

out vec4 v_color;

void main() {
  gl_Position = vec4(a_position * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_point_size;
  int c = int(a_class + 0.5);
  v_color = (c < 0 || u_palette_size == 0) ? vec4(0.55, 0.55, 0.6, 1.0) : u_palette[c % u_palette_size];
}
)glsl";

const char* const kScatterFragment = R"glsl(#version 330 core
// Round, slightly soft-edged points so dense clusters read as density.
in vec4 v_color;
uniform float u_alpha;
out vec4 o_color;

void main() {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(d, d);
  if (r2 > 1.0) discard;
  float edge = 1.0 - smoothstep(0.6, 1.0, r2);
  o_color = vec4(v_color.rgb, v_color.a * u_alpha * edge);
}
)glsl";

GLuint compile(GLenum type, const char* source) {
  GLuint shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    glDeleteShader(shader);
    throw std::runtime_error(std::string("shader compilation failed: ") + log);
  }
  return shader;
}

std::vector<std::uint64_t> g_changed_textures;  // UI thread only, like every GL call

void mark_texture_changed(GLuint id) {
  if (std::find(g_changed_textures.begin(), g_changed_textures.end(), id) == g_changed_textures.end())
    g_changed_textures.push_back(id);
}

}  // namespace

std::vector<std::uint64_t> take_changed_textures() {
  std::vector<std::uint64_t> taken;
  taken.swap(g_changed_textures);
  return taken;
}

Texture::~Texture() {
  if (id_) glDeleteTextures(1, &id_);
}

void Texture::upload(const Image& image) {
  if (image.width <= 0 || image.height <= 0) return;
  const auto rgba = to_rgba8(image);
  upload_rgba(rgba.data(), image.width, image.height);
}

void Texture::upload_rgba(const std::uint8_t* rgba, int width, int height) {
  if (!id_) glGenTextures(1, &id_);
  mark_texture_changed(id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  if (width != width_ || height != height_) {
    // Enlarged: nearest, crisp pixels. Shrunk (a big grid in a small panel): linear, so thin
    // strokes do not vanish between sampled pixels.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    width_ = width;
    height_ = height;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  }
}

bool attach_color_target(GLuint framebuffer, GLuint texture, int width, int height) {
  glBindTexture(GL_TEXTURE_2D, texture);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
  return glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
}

GLuint build_program(const char* vertex_source, const char* fragment_source) {
  GLuint vs = compile(GL_VERTEX_SHADER, vertex_source);
  GLuint fs = 0;
  try {
    fs = compile(GL_FRAGMENT_SHADER, fragment_source);
  } catch (...) {
    glDeleteShader(vs);
    throw;
  }
  GLuint program = glCreateProgram();
  glAttachShader(program, vs);
  glAttachShader(program, fs);
  glLinkProgram(program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetProgramInfoLog(program, sizeof log, nullptr, log);
    glDeleteProgram(program);
    throw std::runtime_error(std::string("shader link failed: ") + log);
  }
  return program;
}

ScatterRenderer::~ScatterRenderer() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (color_) glDeleteTextures(1, &color_);
  if (vbo_) glDeleteBuffers(1, &vbo_);
  if (vao_) glDeleteVertexArrays(1, &vao_);
  if (program_) glDeleteProgram(program_);
}

void ScatterRenderer::ensure_gl() {
  if (program_) return;
  program_ = build_program(kScatterVertex, kScatterFragment);
  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 3 * sizeof(float), nullptr);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 1, GL_FLOAT, GL_FALSE, 3 * sizeof(float), reinterpret_cast<const void*>(2 * sizeof(float)));
  glBindVertexArray(0);
  glGenFramebuffers(1, &fbo_);
  glGenTextures(1, &color_);
}

void ScatterRenderer::set_points(const std::vector<float>& xy, const std::vector<int>& classes) {
  ensure_gl();
  count_ = xy.size() / 2;
  staging_.resize(count_ * 3);
  for (std::size_t i = 0; i < count_; ++i) {
    staging_[i * 3] = xy[i * 2];
    staging_[i * 3 + 1] = xy[i * 2 + 1];
    staging_[i * 3 + 2] = i < classes.size() ? float(classes[i]) : -1.f;
  }
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(staging_.size() * sizeof(float)), staging_.data(), GL_STATIC_DRAW);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  points_changed_ = true;
}

namespace {

// The cached texture holds premultiplied colour (see render_to_texture); composite it as such.
void premultiplied_blend(const ImDrawList*, const ImDrawCmd*) {
  glBlendFuncSeparate(GL_ONE, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
}

}  // namespace

void ScatterRenderer::draw(ImDrawList* list, ImVec2 p0, ImVec2 p1, double cx, double cy, double units_per_pixel,
                           float point_size, float alpha, const ImVec4* palette, int palette_size, bool force) {
  if (!count_ || p1.x - p0.x < 2 || p1.y - p0.y < 2) return;
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  // The texture covers the panel plus half its size on every side, at the same density: panning
  // by up to that margin shows another part of the same texture (one textured quad) instead of
  // re-rendering every point each frame.
  const int view_w = std::max(1, int((p1.x - p0.x) * scale.x));
  const int view_h = std::max(1, int((p1.y - p0.y) * scale.y));
  const int margin_x = view_w / 2, margin_y = view_h / 2;
  const double fb_units_per_pixel_x = units_per_pixel / scale.x, fb_units_per_pixel_y = units_per_pixel / scale.y;
  View next;
  next.width = view_w + 2 * margin_x;
  next.height = view_h + 2 * margin_y;
  next.scale[0] = float(2.0 / (fb_units_per_pixel_x * next.width));
  next.scale[1] = float(2.0 / (fb_units_per_pixel_y * next.height));
  next.point_size = point_size * scale.x;
  next.alpha = alpha;
  next.palette_size = std::min(palette_size, 16);
  for (int i = 0; i < next.palette_size; ++i) {
    const float rgba[4] = {palette[i].x, palette[i].y, palette[i].z, palette[i].w};
    std::memcpy(next.palette + i * 4, rgba, sizeof rgba);
  }
  // Where the current centre lies in the cached texture, in whole framebuffer pixels.
  next.offset[0] = view_.offset[0];
  next.offset[1] = view_.offset[1];
  double dx = std::round((cx - render_cx_) / fb_units_per_pixel_x);
  double dy = std::round((cy - render_cy_) / fb_units_per_pixel_y);
  const bool within_margin = std::abs(dx) <= margin_x && std::abs(dy) <= margin_y;
  if (force || points_changed_ || !within_margin || std::memcmp(&next, &view_, sizeof view_) != 0) {
    next.offset[0] = float(-cx * next.scale[0]);
    next.offset[1] = float(-cy * next.scale[1]);
    view_ = next;
    render_cx_ = cx;
    render_cy_ = cy;
    points_changed_ = false;
    render_to_texture(next.width, next.height);
    mark_texture_changed(color_);
    dx = dy = 0;  // the texture is centred on (cx, cy) now
  }
  const float u0 = float((margin_x + dx) / view_.width), u1 = float((margin_x + dx + view_w) / view_.width);
  const float v0 = float((margin_y + dy) / view_.height), v1 = float((margin_y + dy + view_h) / view_.height);
  list->AddCallback(premultiplied_blend, nullptr);
  // GL textures start at the bottom row: the panel's top edge is v1.
  list->AddImage(reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(color_)), p0, p1, ImVec2(u0, v1),
                 ImVec2(u1, v0));
  list->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

void ScatterRenderer::render_to_texture(int width, int height) {
  GLint previous_fbo = 0, previous_viewport[4] = {};
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous_fbo);
  glGetIntegerv(GL_VIEWPORT, previous_viewport);
  if (width != fbo_width_ || height != fbo_height_) {
    attach_color_target(fbo_, color_, width, height);
    fbo_width_ = width;
    fbo_height_ = height;
  }
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, width, height);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(0, 0, 0, 0);
  glClear(GL_COLOR_BUFFER_BIT);
  // Over a transparent target, this blend leaves premultiplied colour and the right coverage,
  // so the texture can be laid over the plot's background and grid afterwards.
  glEnable(GL_BLEND);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glEnable(GL_PROGRAM_POINT_SIZE);
  glUseProgram(program_);
  glUniform2fv(glGetUniformLocation(program_, "u_scale"), 1, view_.scale);
  glUniform2fv(glGetUniformLocation(program_, "u_offset"), 1, view_.offset);
  glUniform1f(glGetUniformLocation(program_, "u_point_size"), view_.point_size);
  glUniform1f(glGetUniformLocation(program_, "u_alpha"), view_.alpha);
  glUniform4fv(glGetUniformLocation(program_, "u_palette"), 16, view_.palette);
  glUniform1i(glGetUniformLocation(program_, "u_palette_size"), view_.palette_size);
  glBindVertexArray(vao_);
  glDrawArrays(GL_POINTS, 0, GLsizei(count_));
  glBindVertexArray(0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, GLuint(previous_fbo));
  glViewport(previous_viewport[0], previous_viewport[1], previous_viewport[2], previous_viewport[3]);
  ++renders_;
}

}  // namespace vae::gui
