// A plain-TypeScript run of a layers graph (NCHW, float32 storage, float64 sums): the CPU
// reference the GPU upscaler is held against, and the check that the graph was read right (it
// reproduces the package's golden images on its own).
import type { LayersGraph } from '../../formats/tfjs-layers';

export interface Tensor3 {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

function conv(x: Tensor3, cout: number, k: number, pad: number, weight: Float32Array, bias: Float32Array | null, relu: boolean): Tensor3 {
  const { c: cin, h, w } = x;
  const out = new Float32Array(cout * h * w);
  const acc = new Float64Array(h * w);
  for (let o = 0; o < cout; o++) {
    acc.fill(bias ? bias[o] : 0);
    for (let i = 0; i < cin; i++) {
      const plane = x.data.subarray(i * h * w, (i + 1) * h * w);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const wv = weight[((o * cin + i) * k + ky) * k + kx];
          if (wv === 0) continue;
          const dy = ky - pad;
          const dx = kx - pad;
          const y0 = Math.max(0, -dy);
          const y1 = Math.min(h, h - dy);
          const x0 = Math.max(0, -dx);
          const x1 = Math.min(w, w - dx);
          for (let y = y0; y < y1; y++) {
            const ro = y * w;
            const ri = (y + dy) * w + dx;
            for (let xx = x0; xx < x1; xx++) acc[ro + xx] += wv * plane[ri + xx];
          }
        }
      }
    }
    const base = o * h * w;
    for (let p = 0; p < h * w; p++) out[base + p] = relu ? Math.max(0, acc[p]) : acc[p];
  }
  return { c: cout, h, w, data: out };
}

/** Run the graph on an NCHW image (batch 1). */
export function runLayersRef(g: LayersGraph, input: Tensor3): Tensor3 {
  const vals = new Map<string, Tensor3>();
  for (const op of g.ops) {
    switch (op.op) {
      case 'input':
        vals.set(op.name, input);
        break;
      case 'conv':
        vals.set(op.name, conv(vals.get(op.input) as Tensor3, op.cout, op.k, op.pad, op.weight, op.bias, op.relu));
        break;
      case 'relu': {
        const x = vals.get(op.input) as Tensor3;
        vals.set(op.name, { ...x, data: x.data.map((v) => Math.max(0, v)) });
        break;
      }
      case 'concat': {
        const xs = op.inputs.map((n) => vals.get(n) as Tensor3);
        const c = xs.reduce((s, t) => s + t.c, 0);
        const data = new Float32Array(c * xs[0].h * xs[0].w);
        let at = 0;
        for (const t of xs) {
          data.set(t.data, at);
          at += t.data.length;
        }
        vals.set(op.name, { c, h: xs[0].h, w: xs[0].w, data });
        break;
      }
      case 'add': {
        const xs = op.inputs.map((n) => vals.get(n) as Tensor3);
        const data = Float32Array.from(xs[0].data);
        for (const t of xs.slice(1)) for (let i = 0; i < data.length; i++) data[i] += t.data[i];
        vals.set(op.name, { ...xs[0], data });
        break;
      }
      case 'upsample': {
        const x = vals.get(op.input) as Tensor3;
        const s = op.scale;
        const H = x.h * s;
        const W = x.w * s;
        const data = new Float32Array(x.c * H * W);
        for (let c = 0; c < x.c; c++)
          for (let y = 0; y < H; y++)
            for (let xx = 0; xx < W; xx++) data[(c * H + y) * W + xx] = x.data[(c * x.h + Math.floor(y / s)) * x.w + Math.floor(xx / s)];
        vals.set(op.name, { c: x.c, h: H, w: W, data });
        break;
      }
    }
  }
  return vals.get(g.output) as Tensor3;
}
