// The buffer pool on a real device: byte accounting per category through alloc, release, trim and
// destroyAll; reuse keyed by usage and size; the debug switch; labels; and both out-of-memory
// paths (over the per-buffer limit, and the driver refusing an allocation) without losing data.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../util/errors';
import { BufferPool, type PooledBuffer } from './buffer-pool';
import type { GpuRuntime } from './runtime';
import { nodeSubstrates } from '../test/node-gpu';

let rt: GpuRuntime;
let device: GPUDevice;
let USAGE: number; // GPUBufferUsage exists only once Dawn is loaded
beforeAll(async () => {
  rt = await nodeSubstrates()[0].runtime();
  device = rt.device;
  USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
});

/** True when the GPU rejects a write into the buffer (it was destroyed). */
async function isDestroyed(b: GPUBuffer): Promise<boolean> {
  device.pushErrorScope('validation');
  device.queue.writeBuffer(b, 0, new Uint32Array(1));
  return (await device.popErrorScope()) !== null;
}

async function fill(b: PooledBuffer, seed: number): Promise<Uint32Array> {
  const data = Uint32Array.from({ length: b.size / 4 }, (_, i) => seed * 1000 + i);
  device.queue.writeBuffer(b.buffer, 0, data);
  return data;
}

async function contents(b: PooledBuffer): Promise<Uint32Array> {
  return new Uint32Array(await rt.download(b.buffer, b.size));
}

describe('BufferPool accounting', () => {
  it('counts capacity per category through alloc, release, trim and destroyAll', async () => {
    const pool = new BufferPool(device);
    const act = await pool.alloc(1000, USAGE, 'activations', 'act');
    const w = await pool.alloc(300, USAGE, 'weights', 'w');
    const kv = await pool.alloc(256, USAGE, 'kv-cache', 'kv');
    const st = pool.allocSync(4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging', 'rb');
    expect([act.capacity, w.capacity, kv.capacity, st.capacity]).toEqual([1024, 512, 256, 256]);
    expect(act.size).toBe(1000);
    let s = pool.stats();
    expect(s.live).toEqual({ weights: 512, 'kv-cache': 256, activations: 1024, staging: 256, uniforms: 0 });
    expect(s.cached).toBe(0);
    expect(s.total).toBe(2048);
    expect(s.buffers).toBe(4);
    expect(s.peak).toBe(2048);

    pool.release(act); // reusable: waits in the free list
    pool.release(w); // weights are never recycled: destroyed at once
    s = pool.stats();
    expect(s.live.activations).toBe(0);
    expect(s.live.weights).toBe(0);
    expect(s.cached).toBe(1024);
    expect(s.total).toBe(256 + 256 + 1024);
    expect(s.buffers).toBe(2);
    expect(await isDestroyed(w.buffer)).toBe(true);
    expect(await isDestroyed(act.buffer)).toBe(false);

    expect(pool.trim()).toBe(1024);
    expect(pool.trim()).toBe(0);
    s = pool.stats();
    expect(s.cached).toBe(0);
    expect(s.total).toBe(512);
    expect(s.peak).toBe(2048); // the peak remembers
    expect(await isDestroyed(act.buffer)).toBe(true);

    pool.destroyAll();
    s = pool.stats();
    expect(s.total).toBe(0);
    expect(s.buffers).toBe(0);
    expect(Object.values(s.live).every((v) => v === 0)).toBe(true);
    expect(await isDestroyed(kv.buffer)).toBe(true);
    expect(await isDestroyed(st.buffer)).toBe(true);
  });

  it('destroyAll destroys live and cached buffers alike', async () => {
    const pool = new BufferPool(device);
    const live = await pool.alloc(64, USAGE, 'activations', 'live');
    const cached = await pool.alloc(64, USAGE, 'activations', 'cached');
    pool.release(cached);
    pool.destroyAll();
    expect(await isDestroyed(live.buffer)).toBe(true);
    expect(await isDestroyed(cached.buffer)).toBe(true);
    expect(pool.stats()).toMatchObject({ cached: 0, total: 0, buffers: 0 });
  });

  it('refuses to release a buffer twice', async () => {
    const pool = new BufferPool(device);
    const b = await pool.alloc(16, USAGE, 'activations', 'twice');
    pool.release(b);
    expect(() => pool.release(b)).toThrow(/"twice" released twice/);
    expect(pool.stats().cached).toBe(256); // the failed release changed nothing
    pool.destroyAll();
  });

  it('rejects a negative or non-finite size with the label', async () => {
    const pool = new BufferPool(device);
    await expect(pool.alloc(-4, USAGE, 'activations', 'neg')).rejects.toThrow(/bad size -4 for "neg"/);
    await expect(pool.alloc(NaN, USAGE, 'activations', 'nan')).rejects.toThrow(/"nan"/);
  });
});

describe('BufferPool reuse', () => {
  it('hands a released buffer out again for the same usage and a similar size', async () => {
    const pool = new BufferPool(device);
    const a = await pool.alloc(1000, USAGE, 'activations', 'a');
    pool.release(a);
    const b = await pool.alloc(900, USAGE, 'activations', 'b');
    expect(b.buffer).toBe(a.buffer);
    expect(b.size).toBe(900);
    expect(b.capacity).toBe(1024);
    expect(pool.stats().cached).toBe(0);
    expect(pool.stats().live.activations).toBe(1024);
    pool.destroyAll();
  });

  it('does not reuse across usages, for larger requests, or for requests under half the capacity', async () => {
    const pool = new BufferPool(device);
    const a = await pool.alloc(1024, USAGE, 'activations', 'a');
    pool.release(a);
    const otherUsage = await pool.alloc(1024, USAGE | GPUBufferUsage.INDIRECT, 'activations', 'other-usage');
    const bigger = await pool.alloc(1025, USAGE, 'activations', 'bigger');
    const tiny = await pool.alloc(256, USAGE, 'activations', 'tiny');
    for (const b of [otherUsage, bigger, tiny]) expect(b.buffer).not.toBe(a.buffer);
    expect(pool.stats().cached).toBe(1024); // still waiting
    const fits = await pool.alloc(600, USAGE, 'activations', 'fits');
    expect(fits.buffer).toBe(a.buffer);
    pool.destroyAll();
  });

  it('picks the smallest free buffer that fits', async () => {
    const pool = new BufferPool(device);
    const big = await pool.alloc(2048, USAGE, 'staging', 'big');
    const small = await pool.alloc(1024, USAGE, 'staging', 'small');
    pool.release(big);
    pool.release(small);
    const got = await pool.alloc(1024, USAGE, 'staging', 'want-1k');
    expect(got.buffer).toBe(small.buffer);
    const next = await pool.alloc(1024, USAGE, 'staging', 'want-1k-again');
    expect(next.buffer).toBe(big.buffer);
    pool.destroyAll();
  });

  it('never recycles weights or the KV cache by default', async () => {
    const pool = new BufferPool(device);
    for (const cat of ['weights', 'kv-cache'] as const) {
      const a = await pool.alloc(512, USAGE, cat, `${cat}-a`);
      pool.release(a);
      const b = await pool.alloc(512, USAGE, cat, `${cat}-b`);
      expect(b.buffer).not.toBe(a.buffer);
      expect(await isDestroyed(a.buffer)).toBe(true);
    }
    expect(pool.stats().cached).toBe(0);
    pool.destroyAll();
  });

  it('with reuse off, every release destroys and nothing is cached (the aliasing debug switch)', async () => {
    const pool = new BufferPool(device, { reuse: false });
    expect(pool.reuse).toBe(false);
    const a = await pool.alloc(1000, USAGE, 'activations', 'a');
    const u = pool.allocSync(64, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'uniforms', 'u');
    pool.release(a);
    pool.release(u);
    expect(await isDestroyed(a.buffer)).toBe(true);
    expect(pool.stats()).toMatchObject({ cached: 0, total: 0 });
    const b = await pool.alloc(1000, USAGE, 'activations', 'b');
    expect(b.buffer).not.toBe(a.buffer);
    pool.destroyAll();
  });

  it('recycles allocSync buffers too', async () => {
    const pool = new BufferPool(device);
    const usage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const a = pool.allocSync(40, usage, 'staging', 'readback');
    pool.release(a);
    const b = pool.allocSync(200, usage, 'staging', 'readback');
    expect(b.buffer).toBe(a.buffer);
    pool.destroyAll();
  });
});

describe('BufferPool labels', () => {
  it('labels the GPU buffer "category:label" and keeps the label on the handle', async () => {
    const pool = new BufferPool(device);
    const a = await pool.alloc(64, USAGE, 'activations', 'layer0.attn_out');
    expect(a.label).toBe('layer0.attn_out');
    expect(a.category).toBe('activations');
    expect(a.buffer.label).toBe('activations:layer0.attn_out');
    const s = pool.allocSync(64, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging', 'token-id');
    expect(s.buffer.label).toBe('staging:token-id');
    pool.destroyAll();
  });

  it('a recycled buffer carries its new owner\'s label, on the handle and on the GPU buffer', async () => {
    const pool = new BufferPool(device);
    const a = await pool.alloc(64, USAGE, 'activations', 'first-owner');
    pool.release(a);
    const b = await pool.alloc(64, USAGE, 'activations', 'second-owner');
    expect(b.buffer).toBe(a.buffer);
    expect(b.label).toBe('second-owner');
    // Validation errors name buffers by their GPU label: a stale one points at the wrong tensor.
    expect(b.buffer.label).toBe('activations:second-owner');
    pool.release(b);
    const c = pool.allocSync(64, USAGE, 'staging', 'third-owner');
    expect(c.buffer).toBe(a.buffer);
    expect(c.buffer.label).toBe('staging:third-owner');
    expect(pool.stats().live).toMatchObject({ activations: 0, staging: 256 });
    pool.destroyAll();
  });
});

describe('BufferPool out of memory', () => {
  it('a buffer over maxBufferSize is OutOfMemory with a hint, and nothing held is lost', async () => {
    const pool = new BufferPool(device);
    const keep = await pool.alloc(1024, USAGE, 'weights', 'keep');
    const want = await fill(keep, 7);
    const spare = await pool.alloc(512, USAGE, 'activations', 'spare');
    pool.release(spare);
    const before = pool.stats();
    const max = device.limits.maxBufferSize;
    let err: unknown;
    try {
      await pool.alloc(max + 256, USAGE, 'weights', 'token_embd.weight');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    const e = err as EngineError;
    expect(e.name).toBe('OutOfMemory');
    expect(e.message).toContain('"token_embd.weight"');
    expect(e.message).toMatch(/at most .*per buffer/);
    expect(e.hint).toMatch(/smaller model|shorter context/);
    expect(pool.stats()).toEqual(before);
    expect(await contents(keep)).toEqual(want);
    const again = await pool.alloc(512, USAGE, 'activations', 'after-oom');
    expect(again.buffer).toBe(spare.buffer); // the free list survived too
    pool.destroyAll();
  });

  it('when the driver refuses an allocation: trims the free lists, retries, then reports OutOfMemory', async () => {
    // SwiftShader refuses a single maxBufferSize (1 GiB) allocation with VK_ERROR_OUT_OF_DEVICE_MEMORY.
    // Where the driver accepts it (lavapipe allocates lazily) there is no real OOM to drive.
    const max = device.limits.maxBufferSize;
    device.pushErrorScope('out-of-memory');
    const probe = device.createBuffer({ size: max, usage: USAGE, label: 'probe' });
    const refused = (await device.popErrorScope()) !== null;
    probe.destroy();
    if (!refused) return;

    const pool = new BufferPool(device);
    const keep = await pool.alloc(4096, USAGE, 'kv-cache', 'kv');
    const want = await fill(keep, 3);
    const cached = await pool.alloc(2048, USAGE, 'activations', 'cached');
    pool.release(cached);
    expect(pool.stats().cached).toBe(2048);
    let err: unknown;
    try {
      await pool.alloc(max, USAGE, 'weights', 'huge');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    const e = err as EngineError;
    expect(e.name).toBe('OutOfMemory');
    expect(e.message).toContain('"huge"');
    expect(e.message).toContain('1.00 GiB');
    expect(e.hint).toMatch(/already holds 4.0 KiB/); // counted after the trim: only what is live
    expect(e.detail).toBeTruthy(); // the driver's own message
    // The retry trimmed the free list; live buffers and their contents are untouched.
    const s = pool.stats();
    expect(s.cached).toBe(0);
    expect(s.live['kv-cache']).toBe(4096);
    expect(s.live.weights).toBe(0);
    expect(s.buffers).toBe(1);
    expect(await isDestroyed(cached.buffer)).toBe(true);
    expect(await contents(keep)).toEqual(want);
    pool.destroyAll();
  });

  it('a retry after trimming succeeds when the trim freed enough (one refusal injected)', async () => {
    // The real device, except that the first out-of-memory scope reports a refusal, as a driver
    // near its limit would; everything else (buffers, labels, destroy) is real.
    let refusals = 0;
    let creates = 0;
    const flaky = new Proxy(device, {
      get(target, key) {
        if (key === 'popErrorScope') {
          return async () => {
            const real = await target.popErrorScope();
            if (refusals > 0) {
              refusals--;
              return new GPUOutOfMemoryError('injected: out of device memory');
            }
            return real;
          };
        }
        if (key === 'createBuffer') {
          return (d: GPUBufferDescriptor) => {
            creates++;
            return target.createBuffer(d);
          };
        }
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const pool = new BufferPool(flaky);
    const held = await pool.alloc(256, USAGE, 'activations', 'cached');
    pool.release(held);
    refusals = 1;
    creates = 0;
    const b = await pool.alloc(4096, USAGE, 'activations', 'needs-room');
    expect(creates).toBe(2); // refused once, trimmed, created again
    expect(pool.stats().cached).toBe(0);
    expect(await isDestroyed(held.buffer)).toBe(true);
    expect(await isDestroyed(b.buffer)).toBe(false);
    expect(b.buffer.label).toBe('activations:needs-room');

    // With nothing cached to trim, a refusal is reported at once (no pointless retry).
    refusals = 1;
    creates = 0;
    await expect(pool.alloc(4096, USAGE, 'activations', 'no-room')).rejects.toMatchObject({
      name: 'OutOfMemory',
      detail: 'injected: out of device memory',
    });
    expect(creates).toBe(1);
    expect(pool.stats().live.activations).toBe(4096);
    pool.destroyAll();
  });
});
