// A "side" is one implementation of a bench case: ours (a kernel encoded into our recorder) or an
// ORT peer (a one-node session). Every side offers the same three calls, so checking and timing
// treat them alike.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { OrtCase } from './ort-web';

export interface Side {
  /** Column name in the table ('ours', 'ours alt', 'jsep', 'native'). */
  key: string;
  /** What ran: our kernel's label, or the ORT build. */
  label: string;
  /** Run once and read the whole output (correctness check; untimed). */
  full(): Promise<Float32Array>;
  /** The timed unit: the op's GPU work, one submit, and a 16-byte readback that waits for it. */
  tiny(): Promise<void>;
  /** Kernel time from GPU timestamps, where the side can measure it; null otherwise. */
  gpuMs?(): Promise<number | null>;
  release(): Promise<void>;
}

/** Our side: `encode` records the op; `out` holds the output (`outBytes` of it are compared). */
export function oursSide(rt: GpuRuntime, key: string, label: string, encode: (rec: Recorder) => void, out: GPUBuffer, outBytes: number, owned: PooledBuffer[], release?: () => void): Side {
  const run = async (bytes: number) => {
    const rec = rt.recorder({ label: `bench.${key}` });
    encode(rec);
    const read = rec.read(out, 0, bytes);
    await rec.submit();
    return read;
  };
  return {
    key,
    label,
    full: async () => new Float32Array(await run(outBytes)),
    tiny: async () => void (await run(16)),
    gpuMs: async () => {
      if (!rt.profiler) return null;
      const rec = rt.recorder({ profile: true, label: `bench.${key}.profiled` });
      encode(rec);
      const t = await rec.submit();
      return t.source === 'timestamp' ? t.kernels.reduce((s, k) => s + k.ms, 0) : null;
    },
    release: async () => {
      for (const b of owned) rt.pool.release(b);
      release?.();
    },
  };
}

/** An ORT peer's side: the case's first output is the one compared and probed. */
export function ortSide(key: string, c: OrtCase, output: string): Side {
  return {
    key,
    label: c.peer.label,
    full: async () => (await c.runFull())[output],
    tiny: () => c.runTiny(),
    release: () => c.release(),
  };
}
