// The comparison every kernel test rests on. If it passed everything, every kernel test would be
// worthless, so it is tested at the tolerance boundary, with NaN/Inf, and through checkOp on a real
// kernel with a deliberately wrong reference (the negative control) next to the right one.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareAllClose, describeClose, expectAllClose } from './allclose';
import { checkOp, type OpCheck } from './cases';
import { randn } from './data';
import { elementwise } from '../elementwise';
import { elementwiseRef } from '../ref/elementwise';
import { EngineError } from '../../util/errors';
import type { GpuRuntime } from '../../runtime/runtime';
import { nodeSubstrates } from '../../test/node-gpu';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('compareAllClose at the boundary |gpu - ref| <= atol + rtol * |ref|', () => {
  it('passes exactly at the bound and fails just past it (all values exact in binary)', () => {
    const tol = { atol: 0.25, rtol: 0.25 };
    expect(compareAllClose([1.5], [1], tol).pass).toBe(true); // err 0.5 == 0.25 + 0.25 * 1
    expect(compareAllClose([0.5], [1], tol).pass).toBe(true);
    expect(compareAllClose([1.5 + 2 ** -40], [1], tol).pass).toBe(false);
    expect(compareAllClose([0.5 - 2 ** -40], [1], tol).pass).toBe(false);
  });

  it('atol alone governs near zero, rtol scales with |ref| (negative refs too)', () => {
    expect(compareAllClose([0.25], [0], { atol: 0.25, rtol: 0 }).pass).toBe(true);
    expect(compareAllClose([0.25 + 2 ** -30], [0], { atol: 0.25, rtol: 0 }).pass).toBe(false);
    expect(compareAllClose([-5], [-4], { atol: 0, rtol: 0.25 }).pass).toBe(true);
    expect(compareAllClose([-5 - 2 ** -30], [-4], { atol: 0, rtol: 0.25 }).pass).toBe(false);
    // The tolerance follows the reference, not the GPU value.
    expect(compareAllClose([4], [5], { atol: 0, rtol: 0.2 }).pass).toBe(true);
    expect(compareAllClose([5], [4], { atol: 0, rtol: 0.2 }).pass).toBe(false);
  });

  it('zero tolerance demands exact equality', () => {
    expect(compareAllClose(new Float32Array([1, 2, 3]), new Float32Array([1, 2, 3]), { atol: 0, rtol: 0 }).pass).toBe(true);
    expect(compareAllClose(new Float32Array([1, 2, 3]), new Float32Array([1, 2, Math.fround(3 + 2 ** -22)]), { atol: 0, rtol: 0 }).pass).toBe(false);
  });
});

describe('compareAllClose with NaN and Inf', () => {
  const tol = { atol: 1e-6, rtol: 1e-6 };

  it('NaN matches only NaN', () => {
    expect(compareAllClose(f64([NaN, 1]), f64([NaN, 1]), tol).pass).toBe(true);
    const gpuNaN = compareAllClose(f64([1, NaN]), f64([1, 2]), tol);
    expect(gpuNaN.pass).toBe(false);
    expect(gpuNaN.maxAbsErr).toBe(Infinity);
    expect(gpuNaN.worstIndex).toBe(1);
    expect(gpuNaN.mismatches[0]).toMatch(/^i=1 gpu=NaN ref=2/);
    expect(compareAllClose(f64([1, 2]), f64([1, NaN]), tol).pass).toBe(false);
  });

  it('an infinity matches only the same infinity', () => {
    expect(compareAllClose(f64([Infinity, -Infinity]), f64([Infinity, -Infinity]), tol).pass).toBe(true);
    expect(compareAllClose(f64([Infinity]), f64([-Infinity]), tol).pass).toBe(false);
    expect(compareAllClose(f64([Infinity]), f64([3e38]), tol).pass).toBe(false);
    expect(compareAllClose(f64([3e38]), f64([Infinity]), tol).pass).toBe(false);
    expect(compareAllClose(f64([Infinity]), f64([NaN]), tol).pass).toBe(false);
  });

  it('matching NaN/Inf contribute no error, so the report points at the real worst element', () => {
    const ok = compareAllClose(f64([NaN, Infinity, -Infinity, 1]), f64([NaN, Infinity, -Infinity, 1]), tol);
    expect(ok.pass).toBe(true);
    expect(ok.maxAbsErr).toBe(0);
    const r = compareAllClose(f64([NaN, Infinity, 1, 2.5]), f64([NaN, Infinity, 1, 2]), tol);
    expect(r.pass).toBe(false);
    expect(r.worstIndex).toBe(3);
    expect(r.maxAbsErr).toBe(0.5);
    expect(r.mismatchCount).toBe(1);
    expect(describeClose(r)).toContain('max abs err 5.000e-1 at i=3');
  });
});

describe('compareAllClose reports', () => {
  it('a length mismatch fails and says both lengths', () => {
    const r = compareAllClose(new Float32Array(3), new Float32Array(4), { atol: 1, rtol: 1 });
    expect(r.pass).toBe(false);
    expect(r.mismatches[0]).toBe('length mismatch: gpu has 3 elements, reference has 4');
    expect(describeClose(r)).toContain('length mismatch');
    expect(compareAllClose(new Float32Array(5), new Float32Array(4), { atol: 1, rtol: 1 }).pass).toBe(false);
  });

  it('names the max error, where it is, and the first mismatches in index order', () => {
    const n = 100;
    const ref = Float64Array.from({ length: n }, (_, i) => i);
    const gpu = Float64Array.from(ref);
    const bad = [7, 13, 20, 21, 40, 55, 90];
    for (const i of bad) gpu[i] += 0.5;
    gpu[55] = ref[55] + 3; // the worst one
    const r = compareAllClose(gpu, ref, { atol: 1e-3, rtol: 0 });
    expect(r.pass).toBe(false);
    expect(r.count).toBe(n);
    expect(r.mismatchCount).toBe(bad.length);
    expect(r.maxAbsErr).toBe(3);
    expect(r.worstIndex).toBe(55);
    expect(r.maxRelErr).toBeCloseTo(0.5 / 7, 12); // relative error peaks at i=7, not at the worst absolute
    expect(r.mismatches).toEqual([
      'i=7 gpu=7.5 ref=7 err=5.000e-1',
      'i=13 gpu=13.5 ref=13 err=5.000e-1',
      'i=20 gpu=20.5 ref=20 err=5.000e-1',
      'i=21 gpu=21.5 ref=21 err=5.000e-1',
      'i=40 gpu=40.5 ref=40 err=5.000e-1',
    ]);
    const text = describeClose(r);
    expect(text.split('\n')[0]).toBe(
      'MISMATCH: 7/100 outside atol=0.001 rtol=0; max abs err 3.000e+0 at i=55, max rel err 7.143e-2',
    );
    expect(text).toContain('\n  i=7 gpu=7.5');
  });

  it('a pass still reports the largest error', () => {
    const r = compareAllClose(f64([1, 2, 3]), f64([1, 2.0001, 3]), { atol: 1e-3, rtol: 0 });
    expect(r.pass).toBe(true);
    expect(r.worstIndex).toBe(1);
    expect(r.maxAbsErr).toBeCloseTo(1e-4, 10);
    expect(describeClose(r)).toMatch(/^ok: 0\/3 outside/);
  });

  it('expectAllClose throws the whole report under the caller\'s name, or returns it', () => {
    expect(() => expectAllClose([1, 2], [1, 3], { atol: 0.1, rtol: 0 }, 'logits')).toThrow(/^logits: MISMATCH: 1\/2 .*\n {2}i=1 gpu=2 ref=3/);
    expect(expectAllClose([1, 2], [1, 2.05], { atol: 0.1, rtol: 0 }).pass).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Negative control: the same real GPU result held against a right and a wrong reference.

describe('checkOp negative control (elementwise add on a real device)', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await nodeSubstrates()[0].runtime();
  });

  const n = 257;
  const a = randn(n, 11, { scale: 3 });
  const b = randn(n, 12);
  function addCheck(reference: () => Float32Array): OpCheck {
    return {
      kernel: 'elementwise',
      name: `add n=${n} (control)`,
      inputs: { a, b },
      outputs: { out: n * 4 },
      async prepare(rt) {
        const k = await elementwise(rt, 'add');
        return { variant: k.label, encode: (rec, buf) => k.encode(rec, { a: buf.a.buffer, b: buf.b.buffer, out: buf.out.buffer, n }) };
      },
      reference,
      tolerance: { atol: 1e-7, rtol: 1e-6 },
    };
  }
  const right = () => elementwiseRef('add', a, b);
  const mismatched = (summary: string) => Number(/MISMATCH: (\d+)\//.exec(summary)?.[1] ?? -1);

  it('the right reference passes, timed by timestamps, and checkOp gives its buffers back', async () => {
    const before = rt.pool.stats().live.activations;
    const r = await checkOp(rt, addCheck(right));
    expect(r.pass, r.summary).toBe(true);
    expect(r.variant).toBe('elementwise.add');
    expect(r.summary).toMatch(/^ok: 0\/257 /);
    expect(r.maxAbsErr).toBeLessThanOrEqual(1e-6 * 100);
    expect(r.timing).toBe('timestamp');
    expect(r.gpuMs).not.toBeNull();
    expect(rt.pool.stats().live.activations).toBe(before);
  });

  it('a reference scaled by 1.001 fails, nearly everywhere', async () => {
    const r = await checkOp(rt, addCheck(() => right().map((v) => v * 1.001)));
    expect(r.pass).toBe(false);
    expect(r.error).toBeUndefined(); // a numeric failure, not a crash
    expect(mismatched(r.summary)).toBeGreaterThan(n * 0.9);
    expect(r.summary).toMatch(/\n {2}i=0 gpu=/);
    expect(r.maxRelErr).toBeGreaterThan(5e-4);
  });

  it('one flipped element fails and is named', async () => {
    const r = await checkOp(
      rt,
      addCheck(() => {
        const ref = right();
        ref[101] = -ref[101];
        return ref;
      }),
    );
    expect(r.pass).toBe(false);
    expect(mismatched(r.summary)).toBe(1);
    expect(r.summary).toContain(`at i=101`);
    expect(r.summary).toContain('\n  i=101 gpu=');
  });

  it('a failure to prepare is a failed case carrying the error, not a throw', async () => {
    const spec = addCheck(right);
    spec.prepare = async () => {
      throw new EngineError('Unsupported', 'no such variant here', { detail: 'needs shader-f16' });
    };
    const r = await checkOp(rt, spec);
    expect(r.pass).toBe(false);
    expect(r.timing).toBe('none');
    expect(r.summary).toBe('error: no such variant here');
    expect(r.error).toBe('Unsupported: no such variant here\nneeds shader-f16');
  });
});
