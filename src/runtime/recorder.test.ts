// The recorder on a real device: many dispatches and reads in one submit, read-back of copies,
// per-dispatch timestamps (or the CPU fallback), and uniforms that stay distinct when hundreds of
// dispatches in one recording each carry their own.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GpuRuntime } from './runtime';
import { PipelineCache } from './pipelines';
import { nodeSubstrates } from '../test/node-gpu';

// Each invocation of a dispatch writes out[params.index] = params.value.
const WRITE_ONE = `
struct Params { index: u32, value: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(1)
fn main() {
  out[params.index] = params.value;
}
`;

// out[i] = out[i] * 2 + 1 for every i < n: applied k times from 0 it gives 2^k - 1, so the result
// shows that every dispatch ran, in order.
const STEP = `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < arrayLength(&out)) { out[g.x] = out[g.x] * 2u + 1u; }
}
`;

const SOURCES: Record<string, string> = { 'write-one': WRITE_ONE, step: STEP };

let rt: GpuRuntime;
let writeOne: GPUComputePipeline;
let step: GPUComputePipeline;
beforeAll(async () => {
  rt = await nodeSubstrates()[0].runtime();
  const cache = new PipelineCache(rt.device, { resolve: (n) => SOURCES[n] });
  [writeOne, step] = await Promise.all([cache.get({ shader: 'write-one', label: 'write-one' }), cache.get({ shader: 'step', label: 'step' })]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Recorder', () => {
  it('records several dispatches and reads into a single submit, in order', async () => {
    const n = 100;
    const buf = await rt.upload(new Uint32Array(n), 'activations', 'steps');
    const submit = vi.spyOn(rt.device.queue, 'submit');
    const rec = rt.recorder({ label: 'five-steps' });
    for (let k = 0; k < 5; k++) rec.dispatch({ pipeline: step, label: `step.${k}`, bindings: [buf.buffer], workgroups: [2] });
    const read = rec.read(buf.buffer, 0, n * 4);
    expect(submit).not.toHaveBeenCalled(); // nothing runs until submit
    await rec.submit();
    expect(submit).toHaveBeenCalledTimes(1);
    expect(rec.dispatches).toBe(5);
    expect([...new Uint32Array(await read)]).toEqual(new Array(n).fill(31));
    rt.pool.release(buf);
  });

  it('reads back a copy, at an offset, and odd sizes', async () => {
    const src = Uint32Array.from({ length: 64 }, (_, i) => 0xa0000000 + i * 7);
    const a = await rt.upload(src, 'activations', 'copy-src');
    const b = await rt.storage(256, 'activations', 'copy-dst');
    const rec = rt.recorder();
    rec.copy(a.buffer, 16, b.buffer, 0, 128);
    const whole = rec.read(b.buffer, 0, 128);
    const tail = rec.read(b.buffer, 64, 8);
    const odd = rec.read(a.buffer, 0, 6);
    await rec.submit();
    expect([...new Uint32Array(await whole)]).toEqual([...src.subarray(4, 36)]);
    expect([...new Uint32Array(await tail)]).toEqual([...src.subarray(20, 22)]);
    const six = await odd;
    expect(six.byteLength).toBe(6);
    expect([...new Uint8Array(six)]).toEqual([...new Uint8Array(src.buffer, 0, 6)]);
    // Staging buffers go back to the pool once read.
    expect(rt.pool.stats().live.staging).toBe(0);
    rt.pool.release(a);
    rt.pool.release(b);
  });

  it('refuses to dispatch after submit or to submit twice', async () => {
    const rec = rt.recorder();
    await rec.submit();
    const buf = await rt.storage(16, 'activations', 'late');
    expect(() => rec.dispatch({ pipeline: step, label: 'late.step', bindings: [buf.buffer], workgroups: [1] })).toThrow(/late\.step.*after submit/);
    await expect(rec.submit()).rejects.toThrow(/submitted twice/);
    rt.pool.release(buf);
  });

  it('skips a dispatch with zero workgroups', async () => {
    const buf = await rt.upload(new Uint32Array([5, 5]), 'activations', 'empty');
    const rec = rt.recorder();
    rec.dispatch({ pipeline: step, label: 'empty', bindings: [buf.buffer], workgroups: [0] });
    rec.dispatch({ pipeline: step, label: 'empty-y', bindings: [buf.buffer], workgroups: [1, 0] });
    const read = rec.read(buf.buffer, 0, 8);
    await rec.submit();
    expect(rec.dispatches).toBe(0);
    expect([...new Uint32Array(await read)]).toEqual([5, 5]);
    rt.pool.release(buf);
  });
});

describe('Recorder uniforms', () => {
  it('keeps every dispatch\'s uniforms distinct across hundreds of dispatches in one recording', async () => {
    // 300 slots at a 256-byte alignment pass one 64 KiB arena chunk, so a second chunk is used too.
    const n = 300;
    const out = await rt.upload(new Uint32Array(n).fill(0xffffffff), 'activations', 'uniform-out');
    const rec = rt.recorder({ label: 'many-uniforms' });
    for (let i = 0; i < n; i++) {
      rec.dispatch({
        pipeline: writeOne,
        label: 'write-one',
        bindings: [out.buffer],
        workgroups: [1],
        uniforms: new Uint32Array([i, i * 3 + 1, 0, 0]),
      });
    }
    const read = rec.read(out.buffer, 0, n * 4);
    await rec.submit();
    const got = new Uint32Array(await read);
    const wrong = [...got].map((v, i) => [i, v]).filter(([i, v]) => v !== i * 3 + 1);
    expect(wrong.slice(0, 5)).toEqual([]);

    // The next recording starts the arena from the top again and must not see stale values.
    const rec2 = rt.recorder();
    for (let i = 0; i < 3; i++) {
      rec2.dispatch({ pipeline: writeOne, label: 'write-one', bindings: [out.buffer], workgroups: [1], uniforms: new Uint32Array([i, 1000 + i, 0, 0]) });
    }
    const read2 = rec2.read(out.buffer, 0, 16);
    await rec2.submit();
    expect([...new Uint32Array(await read2)]).toEqual([1000, 1001, 1002, 10]);
    rt.pool.release(out);
  });
});

describe('Recorder timing', () => {
  it('times each profiled dispatch with timestamp queries where the device has them', async () => {
    expect(rt.caps.timestamps).toBe(true); // SwiftShader and lavapipe both offer timestamp-query
    expect(rt.profiler).not.toBeNull();
    const buf = await rt.upload(new Uint32Array(4096), 'activations', 'timed');
    const rec = rt.recorder({ profile: true, label: 'timed' });
    const labels = ['step.a', 'step.b', 'step.a', 'step.c'];
    for (const label of labels) rec.dispatch({ pipeline: step, label, bindings: [buf.buffer], workgroups: [64] });
    const read = rec.read(buf.buffer, 0, 4);
    const t = await rec.submit();
    expect(t.source).toBe('timestamp');
    expect(t.kernels.map((k) => k.label)).toEqual(labels);
    for (const k of t.kernels) {
      expect(Number.isFinite(k.ms)).toBe(true);
      expect(k.ms).toBeGreaterThanOrEqual(0);
    }
    expect(t.kernels.some((k) => k.ms > 0)).toBe(true);
    expect(t.wallMs).toBeGreaterThan(0);
    expect(new Uint32Array(await read)[0]).toBe(15); // timed passes still run, in order
    // A second profiled recording reuses the profiler and reports only its own dispatches.
    const rec2 = rt.recorder({ profile: true });
    rec2.dispatch({ pipeline: step, label: 'only-one', bindings: [buf.buffer], workgroups: [1] });
    const t2 = await rec2.submit();
    expect(t2.kernels.map((k) => k.label)).toEqual(['only-one']);
    rt.pool.release(buf);
  });

  it('falls back to one CPU-timed entry when profiling is off', async () => {
    const buf = await rt.upload(new Uint32Array(64), 'activations', 'untimed');
    // Asked not to profile: the runtime has a profiler, this recording does not use it.
    const rec = rt.recorder({ profile: false });
    rec.dispatch({ pipeline: step, label: 'untimed', bindings: [buf.buffer], workgroups: [1] });
    const t = await rec.submit();
    expect(t.source).toBe('cpu');
    expect(t.kernels).toHaveLength(1);
    expect(t.kernels[0].ms).toBe(t.wallMs);
    rt.pool.release(buf);

    // A runtime created with profiling off has no profiler at all, even when the recorder asks.
    const plain = new GpuRuntime({ device: rt.device, caps: rt.caps, report: rt.report }, { profiling: false });
    expect(plain.profiler).toBeNull();
    const b2 = await plain.upload(new Uint32Array(64), 'activations', 'untimed-2');
    const rec2 = plain.recorder({ profile: true });
    rec2.dispatch({ pipeline: step, label: 'a', bindings: [b2.buffer], workgroups: [1] });
    rec2.dispatch({ pipeline: step, label: 'b', bindings: [b2.buffer], workgroups: [1] });
    const read = rec2.read(b2.buffer, 0, 4);
    const t2 = await rec2.submit();
    expect(t2.source).toBe('cpu');
    expect(t2.kernels).toEqual([{ label: 'submit (cpu-timed)', ms: t2.wallMs }]);
    expect(new Uint32Array(await read)[0]).toBe(3);
    // Release what this runtime made without destroying the shared device.
    plain.arena.release();
    plain.pool.destroyAll();
  });
});
