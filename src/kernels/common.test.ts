// The shared kernel helpers: guard messages that name the kernel and the argument (checked
// directly and through real kernels' encode on a real device), uniform packing, and workgroup
// folding past 65535, including a folded dispatch that must reach its last row.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../util/errors';
import { bindingSize, foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms } from './common';
import { elementwise } from './elementwise';
import { matvec } from './matvec';
import { rmsnorm } from './rmsnorm';
import { softmax } from './softmax';
import { rmsnormRef } from './ref/rmsnorm';
import { compareAllClose, describeClose } from './check/allclose';
import type { GpuRuntime } from '../runtime/runtime';
import { nodeSubstrates } from '../test/node-gpu';

let rt: GpuRuntime;
beforeAll(async () => {
  rt = await nodeSubstrates()[0].runtime();
});

function thrown(f: () => void): EngineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected a throw');
}

describe('guards', () => {
  it('guardDim accepts positive integers and names op, argument and value otherwise', () => {
    expect(() => guardDim('matvec.rows-f32', 'K', 1)).not.toThrow();
    for (const bad of [0, -3, 2.5, NaN, Infinity]) {
      const e = thrown(() => guardDim('matvec.rows-f32', 'K', bad));
      expect(e.message).toBe(`matvec.rows-f32: K must be a positive integer (got ${bad})`);
    }
  });

  it('guardBytes compares the bound range, honouring offset and size', async () => {
    const buf = rt.device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE, label: 'guard-bytes' });
    expect(bindingSize(buf)).toBe(256);
    expect(bindingSize({ buffer: buf, offset: 64 })).toBe(192);
    expect(bindingSize({ buffer: buf, offset: 64, size: 32 })).toBe(32);
    expect(() => guardBytes('softmax.wg128', 'x', buf, 256)).not.toThrow();
    expect(thrown(() => guardBytes('softmax.wg128', 'x', buf, 260)).message).toBe(
      'softmax.wg128: x holds 256 bytes but the shape needs 260',
    );
    expect(thrown(() => guardBytes('softmax.wg128', 'out', { buffer: buf, offset: 128 }, 132)).message).toBe(
      'softmax.wg128: out holds 128 bytes but the shape needs 132',
    );
    buf.destroy();
  });

  it('guardIndex refuses more elements than a u32 index can address', () => {
    expect(() => guardIndex('rmsnorm.wg64', 'x', 0xffffffff)).not.toThrow();
    const e = thrown(() => guardIndex('rmsnorm.wg64', 'x', 2 ** 32));
    expect(e.message).toContain('rmsnorm.wg64: x has 4294967296 elements');
    expect(e.message).toContain('u32');
  });

  it('guard throws Internal with "op: message" and passes through when true', () => {
    expect(() => guard(true, 'op', 'never')).not.toThrow();
    const e = thrown(() => guard(false, 'elementwise.add', 'bLen must divide n'));
    expect(e.name).toBe('Internal');
    expect(e.message).toBe('elementwise.add: bLen must divide n');
  });
});

describe('guards inside real kernels (encode refuses before recording anything)', () => {
  it('rmsnorm: bad dims, short buffers and index overflow name the variant and the argument', async () => {
    const k = await rmsnorm(rt, { subgroups: false });
    const x = await rt.storage(40, 'activations', 'g-x');
    const w = await rt.storage(8, 'activations', 'g-w');
    const out = await rt.storage(40, 'activations', 'g-out');
    const rec = rt.recorder();
    const args = { x: x.buffer, w: w.buffer, out: out.buffer, rows: 5, cols: 2, eps: 1e-5 };
    expect(() => k.encode(rec, args)).not.toThrow();
    expect(thrown(() => k.encode(rec, { ...args, rows: 0 })).message).toBe(`${k.label}: rows must be a positive integer (got 0)`);
    expect(thrown(() => k.encode(rec, { ...args, cols: 1.5 })).message).toContain(`${k.label}: cols must be a positive integer`);
    // x is padded by the pool to 256 bytes: a shape needing more than that is refused.
    expect(thrown(() => k.encode(rec, { ...args, rows: 100, cols: 1 })).message).toBe(`${k.label}: x holds 256 bytes but the shape needs 400`);
    expect(thrown(() => k.encode(rec, { ...args, w: { buffer: w.buffer, size: 4 } })).message).toBe(
      `${k.label}: w holds 4 bytes but the shape needs 8`,
    );
    expect(thrown(() => k.encode(rec, { ...args, rows: 65536, cols: 65536 })).message).toMatch(
      new RegExp(`^${k.label.replace('.', '\\.')}: x has 4294967296 elements`),
    );
    expect(rec.dispatches).toBe(1); // only the good call recorded
    await rec.submit();
    for (const b of [x, w, out]) rt.pool.release(b);
  });

  it('softmax, matvec and elementwise name their own label and argument', async () => {
    const sm = await softmax(rt, { subgroups: false });
    const mv = await matvec(rt, { weights: 'f32', variant: 'rows' });
    const add = await elementwise(rt, 'add');
    const buf = await rt.storage(256, 'activations', 'g-buf');
    const rec = rt.recorder();
    expect(thrown(() => sm.encode(rec, { x: buf.buffer, out: buf.buffer, rows: 1, cols: -1 })).message).toBe(
      `${sm.label}: cols must be a positive integer (got -1)`,
    );
    expect(thrown(() => mv.encode(rec, { x: buf.buffer, w: buf.buffer, y: buf.buffer, N: 8, K: 16 })).message).toBe(
      `${mv.label}: w holds 256 bytes but the shape needs 512`,
    );
    expect(thrown(() => mv.encode(rec, { x: buf.buffer, w: buf.buffer, y: buf.buffer, N: 70000, K: 70000 })).message).toContain(
      `${mv.label}: w has 4900000000 elements`,
    );
    expect(thrown(() => add.encode(rec, { a: buf.buffer, out: buf.buffer, n: 8 })).message).toBe(`${add.label}: binary op needs b`);
    expect(thrown(() => add.encode(rec, { a: buf.buffer, b: buf.buffer, out: buf.buffer, n: 8, bLen: 3 })).message).toBe(
      `${add.label}: bLen must divide n (n=8, bLen=3)`,
    );
    expect(thrown(() => add.encode(rec, { a: buf.buffer, b: buf.buffer, n: 8 })).message).toBe(`${add.label}: needs out`);
    expect(rec.dispatches).toBe(0);
    await rec.submit();
    rt.pool.release(buf);
  });
});

describe('packUniforms', () => {
  it('packs u32s and f32s in order, padded to 16 bytes', () => {
    const u = packUniforms([3, 0xffffffff, { f32: 1.5 }]);
    expect(u.length).toBe(4);
    expect(u[0]).toBe(3);
    expect(u[1]).toBe(0xffffffff);
    expect(new Float32Array(u.buffer)[2]).toBe(1.5);
    expect(u[3]).toBe(0);
    expect(packUniforms([]).length).toBe(4);
    expect(packUniforms([1, 2, 3, 4, 5]).length).toBe(8);
  });

  it('refuses values that are not u32, naming the slot', () => {
    for (const bad of [-1, 1.5, 2 ** 32, NaN]) {
      expect(() => packUniforms([0, bad])).toThrow(`uniform 1: ${bad} is not a u32`);
    }
  });
});

describe('foldGroups', () => {
  it('keeps counts up to 65535 one-dimensional', () => {
    expect(foldGroups(1)).toEqual([1, 1]);
    expect(foldGroups(65535)).toEqual([65535, 1]);
  });

  it('folds larger counts into x, y <= 65535 covering every group with less than one row of overshoot', () => {
    for (const count of [65536, 65535 * 2, 65535 * 2 + 1, 1_000_003, 2 ** 24 + 7, 65535 * 65535]) {
      const [x, y] = foldGroups(count);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(y).toBeGreaterThan(1);
      expect(x * y).toBeGreaterThanOrEqual(count);
      expect(x * y - count).toBeLessThan(y);
    }
    expect(foldGroups(65536)).toEqual([32768, 2]);
  });

  it('a folded dispatch on the device reaches the last row (rmsnorm with 65537 rows)', async () => {
    const rows = 65537;
    const cols = 1;
    // One invocation per workgroup keeps 65537 workgroups cheap on a CPU-backed adapter.
    const k = await rmsnorm(rt, { subgroups: false, workgroupSize: 1 });
    const x = Float32Array.from({ length: rows }, (_, i) => (i % 7) - 3 + (i === rows - 1 ? 4.5 : 0));
    const w = new Float32Array([2]);
    const xb = await rt.upload(x, 'activations', 'fold-x');
    const wb = await rt.upload(w, 'activations', 'fold-w');
    const ob = await rt.upload(new Float32Array(rows).fill(12345), 'activations', 'fold-out');
    const rec = rt.recorder();
    k.encode(rec, { x: xb.buffer, w: wb.buffer, out: ob.buffer, rows, cols, eps: 1e-5 });
    const read = rec.read(ob.buffer, 0, rows * 4);
    await rec.submit();
    const got = new Float32Array(await read);
    const r = compareAllClose(got, rmsnormRef(x, w, rows, cols, 1e-5), { atol: 1e-5, rtol: 1e-5 });
    expect(r.pass, describeClose(r)).toBe(true);
    expect(got[rows - 1]).toBeCloseTo(2, 4); // x = 3.5, so x / |x| * w = 2: the row past 65535 was written
    for (const b of [xb, wb, ob]) rt.pool.release(b);
  });
});
