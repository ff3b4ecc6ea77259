#version 330 core
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
