// RGBA bytes <-> the upscaler's NCHW float input and output. esrgan-slim works on RGB in
// [0, 255] (its model definition's inputRange/outputRange); alpha is dropped on the way in and
// set opaque on the way out, and outputs are clamped and rounded to bytes.
import type { RgbaImage } from '../../formats/png';
import type { Tensor3 } from './ref';

export function rgbaToChw(img: RgbaImage): Tensor3 {
  const { width: w, height: h } = img;
  const data = new Float32Array(3 * h * w);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) data[c * h * w + p] = img.data[4 * p + c];
  return { c: 3, h, w, data };
}

export function chwToRgba(t: Tensor3): RgbaImage {
  const { h, w } = t;
  const data = new Uint8Array(4 * h * w);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.min(255, Math.max(0, Math.round(t.data[c * h * w + p])));
    data[4 * p + 3] = 255;
  }
  return { width: w, height: h, data };
}
