// The WGSL preprocessor: includes, defines, conditionals and the errors that name file:line; then
// every shader under shaders/ expanded for the define sets the kernels use and compiled on a real
// device, so a directive typo or a variant nobody compiled shows up here rather than at load time.
import { describe, expect, it } from 'vitest';
import { EngineError } from '../util/errors';
import { preprocess, type Defines } from './wgsl';
import { shaderNames, shaderSource } from './shaders';
import { nodeSubstrates } from '../test/node-gpu';

/** A resolver over an in-memory file table that records every path it was asked for. */
function files(table: Record<string, string>) {
  const asked: string[] = [];
  const resolve = (p: string) => {
    asked.push(p);
    return table[p];
  };
  return { resolve, asked };
}

/** Lines of the output with blank lines dropped, for compact comparisons. */
function run(src: string, defines: Defines = {}, table: Record<string, string> = {}): string[] {
  return preprocess('main.wgsl', src, { defines, resolve: files(table).resolve })
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** The EngineError a preprocess call throws (fails the test if it does not throw one). */
function errorOf(src: string, defines: Defines = {}, table: Record<string, string> = {}): EngineError {
  try {
    preprocess('main.wgsl', src, { defines, resolve: files(table).resolve });
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected preprocess to throw');
}

describe('wgsl #include', () => {
  it('inlines nested includes in place, by paths relative to shaders/', () => {
    const { resolve, asked } = files({
      'lib/a.wgsl': 'fn a() {}\n#include "lib/b.wgsl"\nfn a2() {}',
      'lib/b.wgsl': 'fn b() {}',
    });
    const out = preprocess('main.wgsl', 'top\n#include "lib/a.wgsl"\nbottom', { resolve });
    expect(out.split('\n')).toEqual(['top', 'fn a() {}', 'fn b() {}', 'fn a2() {}', 'bottom']);
    // lib/a.wgsl names its sibling as "lib/b.wgsl" (root-relative), never as "b.wgsl".
    expect(asked).toEqual(['lib/a.wgsl', 'lib/b.wgsl']);
  });

  it('includes a file once even when several files ask for it', () => {
    const out = run('#include "lib/x.wgsl"\n#include "lib/y.wgsl"\n#include "lib/x.wgsl"', {}, {
      'lib/x.wgsl': 'fn x() {}',
      'lib/y.wgsl': '#include "lib/x.wgsl"\nfn y() {}',
    });
    expect(out).toEqual(['fn x() {}', 'fn y() {}']);
  });

  it('names the including file, its line and the missing path', () => {
    const e = errorOf('ok\n#include "lib/a.wgsl"', {}, { 'lib/a.wgsl': 'one\ntwo\n#include "lib/nope.wgsl"' });
    expect(e.name).toBe('ShaderCompile');
    expect(e.message).toContain('lib/a.wgsl:3');
    expect(e.message).toContain('"lib/nope.wgsl"');
    expect(errorOf('#include "gone.wgsl"').message).toContain('main.wgsl:1');
  });

  it('rejects an unquoted include path', () => {
    const e = errorOf('\n#include lib/a.wgsl');
    expect(e.message).toMatch(/main\.wgsl:2: .*#include needs a "quoted/);
  });

  it('terminates on include cycles, emitting each file once', () => {
    const table = {
      'lib/a.wgsl': 'fn a() {}\n#include "lib/b.wgsl"',
      'lib/b.wgsl': 'fn b() {}\n#include "lib/a.wgsl"',
    };
    expect(run('#include "lib/a.wgsl"', {}, table)).toEqual(['fn a() {}', 'fn b() {}']);
    // A file that includes itself, directly or through the entry, is not expanded again either.
    expect(run('main\n#include "lib/c.wgsl"', {}, { 'lib/c.wgsl': 'c\n#include "lib/c.wgsl"\n#include "main.wgsl"' })).toEqual([
      'main',
      'c',
    ]);
  });

  it('skips includes inside inactive branches (the file is never resolved)', () => {
    const { resolve, asked } = files({});
    const out = preprocess('main.wgsl', '#ifdef NOPE\n#include "lib/missing.wgsl"\n#endif\nx', { resolve });
    expect(out.trim()).toBe('x');
    expect(asked).toEqual([]);
  });
});

describe('wgsl #define and substitution', () => {
  it('substitutes TypeScript defines as whole words only', () => {
    const out = run('const WG: u32 = WG_SIZE;\nlet WG_SIZE_2 = MY_WG_SIZE + WG_SIZE*2u + aWG_SIZE;', { WG_SIZE: 64 });
    expect(out).toEqual(['const WG: u32 = 64;', 'let WG_SIZE_2 = MY_WG_SIZE + 64*2u + aWG_SIZE;']);
  });

  it('substitutes in-file defines below the #define, with value 1 when none is given', () => {
    expect(run('A\n#define A 7u\nlet x = A;\n#define FLAG\nlet y = FLAG;')).toEqual(['A', 'let x = 7u;', 'let y = 1;']);
  });

  it('lets TypeScript defines win over in-file defaults', () => {
    expect(run('#define WG_SIZE 64\nlet w = WG_SIZE;', { WG_SIZE: 256 })).toEqual(['let w = 256;']);
  });

  it('spells booleans as 1 and treats false as not defined', () => {
    expect(run('#ifdef ON\non ON\n#endif\n#ifdef OFF\noff\n#endif', { ON: true, OFF: false })).toEqual(['on 1']);
    expect(run('W_ELEM', { W_ELEM: 'f16' })).toEqual(['f16']);
  });

  it('leaves comment lines alone', () => {
    expect(run('// WG_SIZE threads\nlet n = WG_SIZE;', { WG_SIZE: 8 })).toEqual(['// WG_SIZE threads', 'let n = 8;']);
  });

  it('ignores #define inside an inactive branch', () => {
    expect(run('#ifdef NOPE\n#define X 5\n#endif\n#ifdef X\nyes\n#endif\nX')).toEqual(['X']);
  });

  it('rejects bad define names from TypeScript and #define without a name', () => {
    const e = errorOf('x', { 'BAD-NAME': 1 });
    expect(e.message).toContain('main.wgsl:0');
    expect(e.message).toContain('"BAD-NAME"');
    expect(errorOf('\n\n#define 9x').message).toMatch(/main\.wgsl:3: #define needs a name/);
  });
});

describe('wgsl conditionals', () => {
  it('#ifdef / #ifndef / #else pick one branch', () => {
    const src = '#ifdef A\na\n#else\nnot-a\n#endif\n#ifndef A\nna\n#else\nnot-na\n#endif';
    expect(run(src, { A: 1 })).toEqual(['a', 'not-na']);
    expect(run(src)).toEqual(['not-a', 'na']);
  });

  it('nests: an inner branch is off whenever its parent is off, #else included', () => {
    const src = [
      '#ifdef A',
      '#ifdef B',
      'ab',
      '#else',
      'a-not-b',
      '#endif',
      '#else',
      '#ifdef B',
      'b-not-a',
      '#else',
      'neither',
      '#endif',
      '#endif',
    ].join('\n');
    expect(run(src, { A: 1, B: 1 })).toEqual(['ab']);
    expect(run(src, { A: 1 })).toEqual(['a-not-b']);
    expect(run(src, { B: 1 })).toEqual(['b-not-a']);
    expect(run(src)).toEqual(['neither']);
  });

  it('#if is true for a defined, non-0/false/empty value', () => {
    const src = '#if X\nyes\n#else\nno\n#endif';
    expect(run(src, { X: 1 })).toEqual(['yes']);
    expect(run(src, { X: true })).toEqual(['yes']);
    expect(run(src, { X: 'f16' })).toEqual(['yes']);
    expect(run(src, { X: 0 })).toEqual(['no']);
    expect(run(src, { X: 'false' })).toEqual(['no']);
    expect(run(src, { X: '' })).toEqual(['no']);
    expect(run(src, { X: false })).toEqual(['no']);
    expect(run(src)).toEqual(['no']);
    // #ifdef only asks whether the name exists: 0 is defined.
    expect(run('#ifdef X\nyes\n#endif', { X: 0 })).toEqual(['yes']);
    expect(run('#define X 0\n#if X\nyes\n#else\nno\n#endif')).toEqual(['no']);
  });

  it('accepts trailing comments after directives', () => {
    expect(run('#ifdef A // the A path\na\n#else // otherwise\nb\n#endif // A', { A: 1 })).toEqual(['a']);
  });

  it('an unterminated #ifdef names the file and the line that opened it', () => {
    const e = errorOf('x\n#ifdef A\n#ifdef B\n#endif\ny');
    expect(e.name).toBe('ShaderCompile');
    expect(e.message).toMatch(/main\.wgsl:2: .*missing #endif/);
  });

  it('an unterminated block inside an include names the included file', () => {
    const e = errorOf('#include "lib/a.wgsl"', {}, { 'lib/a.wgsl': 'ok\n#ifndef Q\nz' });
    expect(e.message).toMatch(/lib\/a\.wgsl:2: /);
  });

  it('stray #endif and #else name their line', () => {
    expect(errorOf('a\nb\n#endif').message).toMatch(/main\.wgsl:3: #endif without #if/);
    expect(errorOf('#else').message).toMatch(/main\.wgsl:1: #else without #if/);
  });

  it('a second #else in one block is an error, not a silently dropped branch', () => {
    const e = errorOf('#ifdef A\na\n#else\nb\n#else\nc\n#endif');
    expect(e.message).toMatch(/main\.wgsl:5: /);
    expect(e.message).toContain('#else');
  });

  it('#ifdef without a name and unknown directives are errors', () => {
    expect(errorOf('#ifdef\n#endif').message).toMatch(/main\.wgsl:1: #ifdef needs a symbol name/);
    expect(errorOf('x\n#elif A').message).toMatch(/main\.wgsl:2: unknown directive #elif/);
  });
});

// ---------------------------------------------------------------------------------------------
// Every shader, for every define set the kernels compile. The sets mirror src/kernels/*.ts (this
// file sits in the runtime layer and may not import kernels); the coverage test below fails when a
// shader appears without an entry here.

interface Variant {
  shader: string;
  defines: Defines;
  /** Needs the shader-f16 feature. */
  f16?: boolean;
  /** Needs the subgroups feature. */
  subgroups?: boolean;
}

const WEIGHTS: { defines: Defines; f16?: boolean }[] = [
  { defines: { W_F32: true, W_ELEM: 'f32' } },
  { defines: { W_F16: true, W_ELEM: 'f16' }, f16: true },
  { defines: { W_F16_PACKED: true, W_ELEM: 'u32' } },
];

function kernelVariants(): Variant[] {
  const out: Variant[] = [];
  for (const op of ['add', 'mul', 'silu_mul', 'silu', 'gelu', 'gelu_tanh']) {
    const binary = ['add', 'mul', 'silu_mul'].includes(op);
    for (const inPlace of [false, true]) {
      out.push({ shader: 'elementwise', defines: { WG_SIZE: 256, [`OP_${op.toUpperCase()}`]: true, BINARY: binary, IN_PLACE: inPlace } });
    }
  }
  for (const w of WEIGHTS) {
    out.push({ shader: 'matmul', defines: w.defines, f16: w.f16 });
    out.push({ shader: 'matvec', defines: { ...w.defines, WG_SIZE: 64, ROWS: true, COOP: false, SUBGROUPS: false }, f16: w.f16 });
    for (const sg of [false, true]) {
      out.push({ shader: 'matvec', defines: { ...w.defines, WG_SIZE: 128, ROWS: false, COOP: true, SUBGROUPS: sg }, f16: w.f16, subgroups: sg });
    }
  }
  // qmatvec and qmatmul: src/kernels/quant/{qmatvec,qmatmul}.ts with quantDefines() and
  // bindingSlots() of quant/format.ts.
  const QTYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q4_k', 'q5_k', 'q6_k', 'q5_0', 'q5_1'];
  for (const type of QTYPES) {
    const dense = ['f32', 'f16', 'bf16'].includes(type);
    for (const native of type === 'f16' ? [false, true] : [false]) {
      const quant: Defines = {
        [`QT_${type.toUpperCase()}`]: true,
        ...(native ? { QT_F16_NATIVE: true, NEEDS_F16: true } : {}),
        DENSE: dense,
        HAS_SCALES: !dense,
        Q_ELEM: type === 'f32' ? 'vec4<f32>' : native ? 'vec4<f16>' : 'u32',
      };
      const slots = (input: string, output: string, bias: boolean, residual: boolean): Defines => {
        const names = [input, 'q', ...(dense ? [] : ['s']), output, ...(bias ? ['bias'] : []), ...(residual ? ['r'] : [])];
        const d: Defines = Object.fromEntries(names.map((n, i) => [`B_${n.toUpperCase()}`, i]));
        d.B_PARAMS = names.length;
        return d;
      };
      const shapes: [string, boolean, boolean, boolean, boolean][] = [
        ['rows', false, false, false, false],
        ['rows', false, true, true, false],
        ['coop', false, true, false, false],
        ['coop', true, false, true, false],
        ['rows', false, true, false, true],
        ['coop', true, false, true, true],
      ];
      for (const [variant, sg, bias, residual, batch] of shapes) {
        out.push({
          shader: 'qmatvec',
          defines: {
            ...quant,
            ...slots('x', 'y', bias, residual),
            WG_SIZE: 64,
            ROWS: variant === 'rows',
            COOP: variant === 'coop',
            SUBGROUPS: sg,
            BIAS: bias,
            RESIDUAL: residual,
            BATCH: batch,
            ...(batch ? { TMAX: 8 } : {}),
          },
          f16: native,
          subgroups: sg,
        });
      }
      for (const [tileF16, bias, residual] of [[false, false, false], [false, true, true], [true, false, false], [true, true, false]]) {
        out.push({
          shader: 'qmatmul',
          defines: {
            ...quant,
            ...slots('a', 'out', bias, residual),
            ...(tileF16 ? { W_TILE_F16: true, NEEDS_F16: true } : {}),
            BIAS: bias,
            RESIDUAL: residual,
          },
          f16: native || tileF16,
        });
      }
    }
  }
  for (const shader of ['rmsnorm', 'softmax']) {
    for (const wg of [64, 128, 256]) {
      for (const sg of [false, true]) out.push({ shader, defines: { WG_SIZE: wg, SUBGROUPS: sg }, subgroups: sg });
    }
  }
  return out;
}

const keyOf = (v: Variant) =>
  `${v.shader}{${Object.entries(v.defines)
    .map(([k, x]) => `${k}=${x}`)
    .join(',')}}`;

describe('shaders/ under the kernels\' define sets', () => {
  const variants = kernelVariants();
  const entries = shaderNames().filter((n) => !n.startsWith('lib/'));

  it('finds the shader files', () => {
    expect(entries.length).toBeGreaterThanOrEqual(5);
    expect(shaderNames()).toContain('lib/reduce');
  });

  // Shaders without a define set here are still compiled by their own kernel suites; this table
  // is the cross-check that the preprocessor output is clean and compiles on every substrate.
  it('covers most shaders and includes every lib/ file somewhere', () => {
    const covered = new Set(variants.map((v) => v.shader));
    expect(entries.filter((n) => covered.has(n)).length).toBeGreaterThanOrEqual(7);
    const includedLibs = new Set<string>();
    for (const v of variants) {
      preprocess(v.shader, shaderSource(v.shader)!, {
        defines: v.defines,
        resolve: (p) => {
          includedLibs.add(p.replace(/\.wgsl$/, ''));
          return shaderSource(p);
        },
      });
    }
    expect(shaderNames().filter((n) => n.startsWith('lib/') && !includedLibs.has(n))).toEqual([]);
  });

  it.each(variants.map((v) => [keyOf(v), v] as const))('%s preprocesses to directive-free WGSL', (_key, v) => {
    const code = preprocess(v.shader, shaderSource(v.shader)!, { defines: v.defines, resolve: shaderSource });
    expect(code).not.toMatch(/^\s*#/m);
    // Every symbol the kernels pass is substituted (no stray WG_SIZE / W_ELEM left for the compiler).
    const codeOnly = code.replace(/\/\/.*$/gm, '');
    for (const k of ['WG_SIZE', 'W_ELEM', 'Q_ELEM', 'B_PARAMS']) if (k in v.defines) expect(codeOnly).not.toMatch(new RegExp(`\\b${k}\\b`));
    expect(code).toContain('fn main');
  });

  for (const sub of nodeSubstrates()) {
    it(`every variant compiles on ${sub.name} with no compiler errors`, async () => {
      const rt = await sub.runtime();
      const runnable = variants.filter((v) => (!v.f16 || rt.caps.f16) && (!v.subgroups || rt.caps.subgroups));
      expect(runnable.length).toBeGreaterThan(variants.length / 2);
      const problems: string[] = [];
      for (const v of runnable) {
        const code = preprocess(v.shader, shaderSource(v.shader)!, { defines: v.defines, resolve: shaderSource });
        rt.device.pushErrorScope('validation');
        const module = rt.device.createShaderModule({ code, label: keyOf(v) });
        const scope = rt.device.popErrorScope();
        const info = await module.getCompilationInfo();
        const scopeErr = await scope;
        for (const m of info.messages.filter((m) => m.type === 'error')) {
          problems.push(`${keyOf(v)} ${m.lineNum}:${m.linePos} ${m.message}`);
        }
        if (scopeErr) problems.push(`${keyOf(v)} validation: ${scopeErr.message}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
