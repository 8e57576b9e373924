// CPU references for shaders/elementwise.wgsl, in float64 with an accurate erf.
import type { ElementwiseOp } from '../elementwise';

/** erf to ~1e-15: Taylor series near zero, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward form)
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x < 0 ? erfc - 1 : 1 - erfc;
}

export const silu = (x: number): number => x / (1 + Math.exp(-x));
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

export function elementwiseRef(op: ElementwiseOp, a: Float32Array, b?: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b ? b[i % b.length] : 0;
    switch (op) {
      case 'add': out[i] = x + y; break;
      case 'mul': out[i] = x * y; break;
      case 'silu_mul': out[i] = silu(x) * y; break;
      case 'silu': out[i] = silu(x); break;
      case 'gelu': out[i] = gelu(x); break;
      case 'gelu_tanh': out[i] = geluTanh(x); break;
    }
  }
  return out;
}
