// The upscaler on the GPU: a TF.js layers graph (src/formats/tfjs-layers.ts) run with the
// diffusion kernels (conv2d with fused bias/ReLU/residual, pointwise, nearest upsampling), one
// submit per tile. Big images go through in overlapping tiles: each tile carries a margin of at
// least the network's receptive radius, so its cropped centre equals what the whole image would
// give (the tiling test holds it to the CPU reference), and memory stays bounded by the tile.
import { loadError } from '../../formats/errors';
import { opInputs, type LayerOp, type LayersGraph } from '../../formats/tfjs-layers';
import type { RgbaImage } from '../../formats/png';
import { conv2d, type Conv2dKernel } from '../../kernels/diffusion/conv2d';
import { pointwise, type PointwiseKernel } from '../../kernels/diffusion/pointwise';
import { upsampleNearest, type ResampleKernel } from '../../kernels/diffusion/resample';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { GpuRuntime } from '../../runtime/runtime';
import { throwIfAborted } from '../../util/errors';
import { chwToRgba } from './image';

type ConvOp = Extract<LayerOp, { op: 'conv' }>;

/** A conv with what it absorbed: a ReLU or an Add that was its only consumer. */
interface FusedConv {
  op: ConvOp;
  kernel: Conv2dKernel;
  relu: boolean;
  residual: string | null;
  /** The name its output goes by (the absorbed op's name, when it absorbed one). */
  out: string;
  w: PooledBuffer;
  b: PooledBuffer | null;
}

type Step =
  | { kind: 'conv'; conv: FusedConv }
  | { kind: 'relu'; name: string; input: string }
  | { kind: 'add'; name: string; inputs: string[] }
  | { kind: 'concat'; name: string; inputs: string[] }
  | { kind: 'upsample'; name: string; input: string; scale: number }
  | { kind: 'input'; name: string };

export interface UpscaleResult {
  image: RgbaImage;
  ms: number;
  tiles: number;
}

/** Input pixels each tile covers (before its margins). */
export const DEFAULT_TILE = 128;

/** How far (in input pixels) an output pixel's value reaches back: the sum of conv radii on the
 *  longest path, with convs after an upsampling counted in input pixels (rounded up). */
export function receptiveRadius(g: LayersGraph): number {
  const reach = new Map<string, number>();
  const scaleAt = new Map<string, number>();
  for (const op of g.ops) {
    const ins = opInputs(op);
    const r0 = Math.max(0, ...ins.map((n) => reach.get(n) ?? 0));
    const s0 = Math.max(1, ...ins.map((n) => scaleAt.get(n) ?? 1));
    let r = r0;
    let s = s0;
    if (op.op === 'conv') r = r0 + (op.k >> 1) / s0;
    if (op.op === 'upsample') s = s0 * op.scale;
    reach.set(op.name, r);
    scaleAt.set(op.name, s);
  }
  return Math.ceil(reach.get(g.output) ?? 0);
}

/** Overall scale factor of the graph. */
export function graphScale(g: LayersGraph): number {
  return g.ops.reduce((s, op) => (op.op === 'upsample' ? s * op.scale : s), 1);
}

export class GpuUpscaler {
  readonly scale: number;
  readonly radius: number;

  private constructor(
    private readonly rt: GpuRuntime,
    readonly graph: LayersGraph,
    private readonly steps: Step[],
    private readonly add: PointwiseKernel,
    private readonly relu: PointwiseKernel,
    private readonly up: ResampleKernel,
    private readonly held: PooledBuffer[],
  ) {
    this.scale = graphScale(graph);
    this.radius = receptiveRadius(graph);
  }

  /** Upload the weights and compile every kernel the graph needs. */
  static async create(rt: GpuRuntime, g: LayersGraph): Promise<GpuUpscaler> {
    const consumers = new Map<string, LayerOp[]>();
    for (const op of g.ops) {
      const ins = opInputs(op);
      for (const n of ins) consumers.set(n, [...(consumers.get(n) ?? []), op]);
    }
    const absorbed = new Set<string>();
    const steps: Step[] = [];
    const held: PooledBuffer[] = [];
    try {
      for (const op of g.ops) {
        if (absorbed.has(op.name)) continue;
        if (op.op !== 'conv') {
          if (op.op === 'input') steps.push({ kind: 'input', name: op.name });
          else if (op.op === 'relu') steps.push({ kind: 'relu', name: op.name, input: op.input });
          else if (op.op === 'add') steps.push({ kind: 'add', name: op.name, inputs: op.inputs });
          else if (op.op === 'concat') steps.push({ kind: 'concat', name: op.name, inputs: op.inputs });
          else steps.push({ kind: 'upsample', name: op.name, input: op.input, scale: op.scale });
          continue;
        }
        // Fuse a ReLU, or a two-way Add, that is this conv's only consumer (and the graph's output is
        // not the conv itself).
        let relu = op.relu;
        let residual: string | null = null;
        let out = op.name;
        const cons = consumers.get(op.name) ?? [];
        if (cons.length === 1 && op.name !== g.output) {
          const c = cons[0];
          if (c.op === 'relu' && !relu) {
            relu = true;
            out = c.name;
            absorbed.add(c.name);
          } else if (c.op === 'add' && c.inputs.length === 2 && !relu) {
            residual = c.inputs[0] === op.name ? c.inputs[1] : c.inputs[0];
            if (residual !== op.name) {
              out = c.name;
              absorbed.add(c.name);
            } else residual = null;
          }
        }
        const w = await rt.upload(op.weight, 'weights', `${g.name}.${op.name}.w`);
        held.push(w);
        const b = op.bias ? await rt.upload(op.bias, 'weights', `${g.name}.${op.name}.b`) : null;
        if (b) held.push(b);
        const kernel = await conv2d(rt, {
          kernelSize: op.k as 1 | 3 | 5,
          weights: 'f32',
          bias: b !== null,
          residual: residual !== null,
          activation: relu ? 'relu' : 'none',
          cin: op.cin,
          cout: op.cout,
        });
        steps.push({ kind: 'conv', conv: { op, kernel, relu, residual, out, w, b } });
      }
      const [add, reluK, up] = await Promise.all([pointwise(rt, 'axpby'), pointwise(rt, 'relu'), upsampleNearest(rt)]);
      return new GpuUpscaler(rt, g, steps, add, reluK, up, held);
    } catch (e) {
      for (const b of held) rt.pool.release(b);
      throw e;
    }
  }

  /** Run the network on one region (CHW f32, batch 1): one recording, one submit. */
  private async runRegion(x: Float32Array, H: number, W: number): Promise<{ data: Float32Array; h: number; w: number }> {
    const { rt, graph: g } = this;
    const vals = new Map<string, { buf: PooledBuffer; c: number; h: number; w: number }>();
    const own: PooledBuffer[] = [];
    const alloc = async (c: number, h: number, w: number, label: string) => {
      const buf = await rt.storage(c * h * w * 4, 'activations', `${g.name}.${label}`);
      own.push(buf);
      return buf;
    };
    try {
      const rec = rt.recorder({ label: `${g.name}.tile` });
      for (const s of this.steps) {
        switch (s.kind) {
          case 'input': {
            const buf = await alloc(3, H, W, s.name);
            rt.device.queue.writeBuffer(buf.buffer, 0, x);
            vals.set(s.name, { buf, c: 3, h: H, w: W });
            break;
          }
          case 'conv': {
            const { op, kernel, residual, out, w, b } = s.conv;
            const src = vals.get(op.input)!;
            const dst = await alloc(op.cout, src.h, src.w, out);
            kernel.encode(rec, {
              x: src.buf.buffer,
              w: w.buffer,
              bias: b?.buffer,
              residual: residual ? vals.get(residual)!.buf.buffer : undefined,
              out: dst.buffer,
              N: 1,
              Cin: op.cin,
              H: src.h,
              W: src.w,
              Cout: op.cout,
              pad: op.pad,
            });
            vals.set(out, { buf: dst, c: op.cout, h: src.h, w: src.w });
            break;
          }
          case 'relu': {
            const src = vals.get(s.input)!;
            const dst = await alloc(src.c, src.h, src.w, s.name);
            this.relu.encode(rec, { a: src.buf.buffer, out: dst.buffer, n: src.c * src.h * src.w });
            vals.set(s.name, { ...src, buf: dst });
            break;
          }
          case 'add': {
            const first = vals.get(s.inputs[0])!;
            const n = first.c * first.h * first.w;
            let acc = first.buf;
            for (const name of s.inputs.slice(1)) {
              const dst = await alloc(first.c, first.h, first.w, s.name);
              this.add.encode(rec, { a: acc.buffer, b: vals.get(name)!.buf.buffer, out: dst.buffer, n });
              acc = dst;
            }
            vals.set(s.name, { ...first, buf: acc });
            break;
          }
          case 'concat': {
            const parts = s.inputs.map((n) => vals.get(n)!);
            const c = parts.reduce((t, p) => t + p.c, 0);
            const dst = await alloc(c, parts[0].h, parts[0].w, s.name);
            let at = 0;
            for (const p of parts) {
              const bytes = p.c * p.h * p.w * 4;
              rec.copy(p.buf.buffer, 0, dst.buffer, at, bytes);
              at += bytes;
            }
            vals.set(s.name, { buf: dst, c, h: parts[0].h, w: parts[0].w });
            break;
          }
          case 'upsample': {
            const src = vals.get(s.input)!;
            const dst = await alloc(src.c, src.h * s.scale, src.w * s.scale, s.name);
            this.up.encode(rec, { x: src.buf.buffer, out: dst.buffer, N: 1, C: src.c, H: src.h, W: src.w, r: s.scale });
            vals.set(s.name, { buf: dst, c: src.c, h: src.h * s.scale, w: src.w * s.scale });
            break;
          }
        }
      }
      const out = vals.get(g.output);
      if (!out) throw loadError('ModelLoad', `${g.name}: the output "${g.output}" was never computed.`);
      const read = rec.read(out.buf.buffer, 0, out.c * out.h * out.w * 4);
      await rec.submit();
      return { data: new Float32Array(await read), h: out.h, w: out.w };
    } finally {
      for (const b of own) rt.pool.release(b);
    }
  }

  /**
   * Upscale an RGBA image (RGB in [0, 255]; alpha dropped, output opaque), in tiles of `tile`
   * input pixels with margins of the receptive radius.
   */
  async upscale(img: RgbaImage, opts: { tile?: number; signal?: AbortSignal; onTile?: (done: number, total: number) => void } = {}): Promise<UpscaleResult> {
    const t0 = performance.now();
    const { width: W, height: H } = img;
    const s = this.scale;
    const tile = Math.max(8, opts.tile ?? DEFAULT_TILE);
    const m = this.radius;
    const out = new Float32Array(3 * H * s * W * s);
    const OW = W * s;
    const OH = H * s;
    const ty = Math.ceil(H / tile);
    const tx = Math.ceil(W / tile);
    let done = 0;
    for (let by = 0; by < ty; by++) {
      for (let bx = 0; bx < tx; bx++) {
        throwIfAborted(opts.signal, 'Upscaling');
        const y0 = by * tile;
        const x0 = bx * tile;
        const y1 = Math.min(H, y0 + tile);
        const x1 = Math.min(W, x0 + tile);
        const ry0 = Math.max(0, y0 - m);
        const rx0 = Math.max(0, x0 - m);
        const ry1 = Math.min(H, y1 + m);
        const rx1 = Math.min(W, x1 + m);
        const rh = ry1 - ry0;
        const rw = rx1 - rx0;
        const region = new Float32Array(3 * rh * rw);
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < rh; y++)
            for (let xx = 0; xx < rw; xx++) region[(c * rh + y) * rw + xx] = img.data[4 * ((ry0 + y) * W + rx0 + xx) + c];
        const r = await this.runRegion(region, rh, rw);
        // Copy the tile's centre (its own pixels, scaled) into the output.
        for (let c = 0; c < 3; c++)
          for (let y = y0 * s; y < y1 * s; y++) {
            const srcRow = (c * r.h + (y - ry0 * s)) * r.w - rx0 * s;
            const dstRow = (c * OH + y) * OW;
            for (let xx = x0 * s; xx < x1 * s; xx++) out[dstRow + xx] = r.data[srcRow + xx];
          }
        opts.onTile?.(++done, tx * ty);
      }
    }
    return { image: chwToRgba({ c: 3, h: OH, w: OW, data: out }), ms: performance.now() - t0, tiles: tx * ty };
  }

  release(): void {
    for (const b of this.held.splice(0)) this.rt.pool.release(b);
  }
}
