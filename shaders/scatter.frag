#version 330 core
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
