// Small pieces every kernel module shares: dispatch folding, uniform packing, and the guards that
// turn a bad shape into a message naming the op and the value.
import { EngineError } from '../util/errors';
import type { Binding } from '../runtime/bind-groups';

export type { Binding };

const MAX_GROUPS = 65535;

/** Fold a 1-D workgroup count into (x, y) so counts beyond 65535 still dispatch. Shaders compute
 *  the linear index as wid.x + wid.y * nwg.x and guard the overshoot. */
export function foldGroups(count: number): [number, number] {
  if (count <= MAX_GROUPS) return [count, 1];
  const y = Math.ceil(count / MAX_GROUPS);
  return [Math.ceil(count / y), y];
}

/** Pack a uniform struct: plain numbers are u32, {f32: v} are floats. Padded to 16 bytes. */
export function packUniforms(values: ReadonlyArray<number | { f32: number }>): Uint32Array {
  const out = new Uint32Array(Math.max(4, Math.ceil(values.length / 4) * 4));
  const f = new Float32Array(out.buffer);
  values.forEach((v, i) => {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EngineError('Internal', `uniform ${i}: ${v} is not a u32`);
      out[i] = v;
    } else {
      f[i] = v.f32;
    }
  });
  return out;
}

export function bindingSize(b: Binding): number {
  return 'buffer' in b ? (b.size ?? b.buffer.size - (b.offset ?? 0)) : b.size;
}

export function guard(cond: boolean, op: string, message: string): asserts cond {
  if (!cond) throw new EngineError('Internal', `${op}: ${message}`);
}

export function guardDim(op: string, name: string, v: number): void {
  guard(Number.isInteger(v) && v > 0, op, `${name} must be a positive integer (got ${v})`);
}

export function guardBytes(op: string, name: string, b: Binding, need: number): void {
  const have = bindingSize(b);
  guard(have >= need, op, `${name} holds ${have} bytes but the shape needs ${need}`);
}

/** Index math in the shaders is u32: refuse shapes whose flat index would overflow. */
export function guardIndex(op: string, what: string, elements: number): void {
  guard(elements <= 0xffffffff, op, `${what} has ${elements} elements, more than a u32 index can address; split it`);
}
