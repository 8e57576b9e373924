// Scalar activation functions shared by elementwise kernels and fused epilogues.
// WGSL has no erf: GELU uses Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), close to exact GELU
// in f32. tanh's argument is clamped because some drivers compute it through exp() and overflow.

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

fn erf_approx(x: f32) -> f32 {
  let ax = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let y = 1.0 - poly * exp(-ax * ax);
  return select(-y, y, x >= 0.0);
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf_approx(x * 0.7071067811865476));
}

fn gelu_tanh(x: f32) -> f32 {
  let u = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
  return 0.5 * x * (1.0 + tanh(u));
}
