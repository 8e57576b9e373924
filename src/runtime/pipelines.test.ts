// The pipeline cache on a real device, with shader sources injected through `resolve`: compile
// errors become ShaderCompile errors that name the variant and carry the compiler's line:col, the
// cache shares one promise per variant key, and a failed compile does not stick.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../util/errors';
import { PipelineCache, variantKey, type KernelVariant } from './pipelines';
import type { GpuRuntime } from './runtime';
import { nodeSubstrates } from '../test/node-gpu';

const GOOD = `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) g: vec3u) {
  out[g.x] = VALUE;
}
`;

// Line 4 (1-based) uses a name that does not exist.
const BROKEN = `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
  out[0] = no_such_symbol;
}
`;

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected the promise to reject');
}

let rt: GpuRuntime;
beforeAll(async () => {
  rt = await nodeSubstrates()[0].runtime();
});

describe('variantKey', () => {
  it('does not depend on the order the defines were written in', () => {
    const a: KernelVariant = { shader: 's', label: 'x', defines: { WG_SIZE: 64, SUBGROUPS: true, W_ELEM: 'f32' } };
    const b: KernelVariant = { shader: 's', label: 'y', defines: { W_ELEM: 'f32', SUBGROUPS: true, WG_SIZE: 64 } };
    expect(variantKey(a)).toBe(variantKey(b));
  });

  it('differs when the shader, entry point or any define value differs', () => {
    const base: KernelVariant = { shader: 's', label: 'x', defines: { WG_SIZE: 64 } };
    const keys = new Set([
      variantKey(base),
      variantKey({ ...base, shader: 't' }),
      variantKey({ ...base, entryPoint: 'other' }),
      variantKey({ ...base, defines: { WG_SIZE: 128 } }),
      variantKey({ ...base, defines: { WG_SIZE: 64, SUBGROUPS: true } }),
      variantKey({ ...base, defines: {} }),
    ]);
    expect(keys.size).toBe(6);
    // The entry point defaults to main: naming it changes nothing.
    expect(variantKey({ ...base, entryPoint: 'main' })).toBe(variantKey(base));
  });
});

describe('PipelineCache', () => {
  it('compiles an injected shader and preprocesses it with the variant defines', async () => {
    const cache = new PipelineCache(rt.device, { resolve: (n) => (n === 'fill' ? GOOD : undefined) });
    const v: KernelVariant = { shader: 'fill', label: 'fill.wg4', defines: { WG_SIZE: 4, VALUE: '7u' } };
    expect(cache.source(v)).toContain('@workgroup_size(4)');
    expect(cache.source(v)).toContain('out[g.x] = 7u;');
    const p = await cache.get(v);
    expect(p.label).toBe('fill.wg4');
  });

  it('a compile error rejects with ShaderCompile naming the variant key, with line:col in detail', async () => {
    const cache = new PipelineCache(rt.device, { resolve: (n) => (n === 'bad' ? BROKEN : undefined) });
    const v: KernelVariant = { shader: 'bad', label: 'bad.v1', defines: { SOME_FLAG: true } };
    const e = await rejection(cache.get(v));
    expect(e.name).toBe('ShaderCompile');
    expect(e.message).toContain(variantKey(v));
    expect(e.message).toContain('bad.v1');
    expect(e.hint).toBeTruthy();
    // "4:12 unresolved value 'no_such_symbol'" then the offending line of the preprocessed source.
    expect(e.detail).toMatch(/^4:\d+ .*no_such_symbol/m);
    expect(e.detail).toContain('out[0] = no_such_symbol;');
  });

  it('returns the same promise for the same key, whatever the define order', async () => {
    let resolves = 0;
    const cache = new PipelineCache(rt.device, {
      resolve: (n) => {
        resolves++;
        return n === 'fill' ? GOOD : undefined;
      },
    });
    const a = cache.get({ shader: 'fill', label: 'a', defines: { WG_SIZE: 8, VALUE: '1u' } });
    const b = cache.get({ shader: 'fill', label: 'b', defines: { VALUE: '1u', WG_SIZE: 8 } });
    const c = cache.get({ shader: 'fill', label: 'c', defines: { VALUE: '2u', WG_SIZE: 8 } });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(cache.size).toBe(2);
    const [pa, pb, pc] = await Promise.all([a, b, c]);
    expect(pb).toBe(pa);
    expect(pc).not.toBe(pa);
    expect(resolves).toBe(2); // one source per distinct key
    expect(cache.get({ shader: 'fill', label: 'again', defines: { WG_SIZE: 8, VALUE: '1u' } })).toBe(a);
  });

  it('does not cache a failure: the next get compiles again, and succeeds once the source is fixed', async () => {
    let src = BROKEN.replace('@workgroup_size(1)', '@workgroup_size(WG_SIZE)');
    const cache = new PipelineCache(rt.device, { resolve: (n) => (n === 'flaky' ? src : undefined) });
    const v: KernelVariant = { shader: 'flaky', label: 'flaky', defines: { WG_SIZE: 2, VALUE: '3u' } };
    const first = cache.get(v);
    await rejection(first);
    expect(cache.size).toBe(0);
    const second = cache.get(v);
    expect(second).not.toBe(first);
    await rejection(second);
    src = GOOD;
    const third = cache.get(v);
    await expect(third).resolves.toBeDefined();
    expect(cache.get(v)).toBe(third);
  });

  it('a broken shader compiled alongside good ones fails alone', async () => {
    const cache = new PipelineCache(rt.device, { resolve: (n) => ({ fill: GOOD, bad: BROKEN })[n] });
    const results = await Promise.allSettled([
      cache.get({ shader: 'fill', label: 'good-1', defines: { WG_SIZE: 1, VALUE: '1u' } }),
      cache.get({ shader: 'bad', label: 'bad' }),
      cache.get({ shader: 'fill', label: 'good-2', defines: { WG_SIZE: 2, VALUE: '2u' } }),
      cache.get({ shader: 'fill', label: 'good-3', defines: { WG_SIZE: 4, VALUE: '3u' } }),
    ]);
    const why = results.map((r) => (r.status === 'rejected' ? `${(r.reason as Error).message} ${(r.reason as EngineError).detail}` : 'ok'));
    expect(results.map((r) => r.status), why.join('\n')).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });

  it('a missing shader or a preprocessor error rejects (never throws synchronously) as ShaderCompile', async () => {
    const cache = new PipelineCache(rt.device, { resolve: (n) => (n === 'inc' ? '#include "lib/none.wgsl"\n' : undefined) });
    let missing!: Promise<GPUComputePipeline>;
    expect(() => (missing = cache.get({ shader: 'absent', label: 'absent' }))).not.toThrow();
    const e1 = await rejection(missing);
    expect(e1.name).toBe('ShaderCompile');
    expect(e1.message).toContain('absent.wgsl');
    const e2 = await rejection(cache.get({ shader: 'inc', label: 'inc' }));
    expect(e2.name).toBe('ShaderCompile');
    expect(e2.message).toContain('inc:1');
    expect(e2.message).toContain('lib/none.wgsl');
  });

  it('a missing entry point is a ShaderCompile error from pipeline creation, naming the key', async () => {
    const cache = new PipelineCache(rt.device, { resolve: () => GOOD });
    const v: KernelVariant = { shader: 'fill', label: 'fill.other', entryPoint: 'not_there', defines: { WG_SIZE: 1, VALUE: '0u' } };
    const e = await rejection(cache.get(v));
    expect(e.name).toBe('ShaderCompile');
    expect(e.message).toContain(variantKey(v));
  });
});
