// A kernel case: inputs, a CPU reference, a tolerance, and one GPU run. The same cases run in
// Node tests (vitest, Dawn), in the browser e2e suite, and in the app's self-test, so "passes
// here" means the same thing everywhere. Each run reports its max error and GPU time.
import type { Caps } from '../../runtime/device';
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import { compareAllClose, describeClose, type Tolerance } from './allclose';
import { asEngineError } from '../../util/errors';

export interface CaseReport {
  kernel: string;
  name: string;
  /** The GPU label of the variant that ran ("rmsnorm.wg64-sg"). */
  variant: string;
  pass: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  summary: string;
  /** GPU time of the kernel's dispatches (timestamp queries) or of the whole submit (cpu). */
  gpuMs: number | null;
  timing: 'timestamp' | 'cpu' | 'none';
  error?: string;
}

export interface KernelCase {
  kernel: string;
  name: string;
  /** Device capabilities the case needs; cases are listed only where these hold. */
  needs?: Partial<Caps>;
  run(rt: GpuRuntime): Promise<CaseReport>;
}

export function applicable(c: KernelCase, caps: Caps): boolean {
  return Object.entries(c.needs ?? {}).every(([k, v]) => !v || caps[k as keyof Caps]);
}

export interface OpCheck {
  kernel: string;
  name: string;
  /** Host inputs, uploaded as storage buffers under the same names. */
  inputs: Record<string, ArrayBufferView>;
  /** Output buffers to allocate (bytes). */
  outputs: Record<string, number>;
  /** The buffer (input or output name) holding the result; default: the first output. */
  compare?: string;
  /** Compile pipelines (async) and return the encoder for one run. */
  prepare(rt: GpuRuntime): Promise<{ variant: string; encode(rec: Recorder, buf: Record<string, PooledBuffer>): void }>;
  reference(): Float32Array;
  tolerance: Tolerance;
  /** Map the GPU result and the reference before comparing (e.g. normalise by term magnitude). */
  normalize?: (gpu: Float32Array, ref: Float32Array) => [Float32Array, Float32Array];
}

/** Run an op once on the GPU, profiled, and hold its first output against the reference. */
export async function checkOp(rt: GpuRuntime, spec: OpCheck): Promise<CaseReport> {
  const held: PooledBuffer[] = [];
  let variant = '?';
  try {
    const op = await spec.prepare(rt);
    variant = op.variant;
    const buf: Record<string, PooledBuffer> = {};
    for (const [k, v] of Object.entries(spec.inputs)) held.push((buf[k] = await rt.upload(v, 'activations', `${spec.kernel}:${k}`)));
    for (const [k, bytes] of Object.entries(spec.outputs)) held.push((buf[k] = await rt.storage(bytes, 'activations', `${spec.kernel}:${k}`)));
    const outName = spec.compare ?? Object.keys(spec.outputs)[0];
    const target = buf[outName];
    if (!target) throw new Error(`${spec.kernel}: no buffer "${outName}" to compare`);
    const rec = rt.recorder({ profile: true, label: spec.name });
    op.encode(rec, buf);
    const read = rec.read(target.buffer, 0, target.size);
    const timing = await rec.submit();
    let gpu: Float32Array = new Float32Array(await read);
    let ref: Float32Array = spec.reference();
    if (gpu.length > ref.length) gpu = gpu.subarray(0, ref.length);
    if (spec.normalize) [gpu, ref] = spec.normalize(gpu, ref);
    const r = compareAllClose(gpu, ref, spec.tolerance);
    return {
      kernel: spec.kernel,
      name: spec.name,
      variant,
      pass: r.pass,
      maxAbsErr: r.maxAbsErr,
      maxRelErr: r.maxRelErr,
      summary: describeClose(r),
      gpuMs: timing.kernels.reduce((s, k) => s + k.ms, 0),
      timing: timing.source,
    };
  } catch (e) {
    const err = asEngineError(e);
    return {
      kernel: spec.kernel, name: spec.name, variant, pass: false, maxAbsErr: NaN, maxRelErr: NaN,
      summary: `error: ${err.message}`, gpuMs: null, timing: 'none',
      error: `${err.name}: ${err.message}${err.detail ? `\n${err.detail}` : ''}`,
    };
  } finally {
    for (const b of held) rt.pool.release(b);
  }
}

/** Normalise each output by the magnitude of the terms that produced it (for dot products). */
export function byTermScale(scale: Float32Array): (g: Float32Array, r: Float32Array) => [Float32Array, Float32Array] {
  return (g, r) => {
    const gn = new Float32Array(g.length);
    const rn = new Float32Array(r.length);
    for (let i = 0; i < r.length; i++) {
      const s = Math.max(scale[i], 1e-30);
      gn[i] = g[i] / s;
      rn[i] = r[i] / s;
    }
    return [gn, rn];
  };
}
