// The models src/bench/llm.ts runs: the embedded model as shipped, and random-weight models of
// real shapes (SmolLM2-135M, Qwen2.5-0.5B) built with syntheticLlama. Q4_K needs rows of whole
// 256-value blocks; a tensor whose row is not (576, 896 are not) falls back the way llama.cpp's
// Q4_K_M does: Q5_0 where the kernels read it, else Q8_0. Only the GGUF bytes are kept.
import { REAL_SHAPES } from './shapes';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ggmlTypeName } from '../formats/gguf/ggml-types';
import { parseGguf } from '../formats/gguf/parse';
import { GgmlType } from '../formats/gguf/types';
import { bufferSource } from '../formats/source';
import { QUANT_TYPES } from '../kernels/quant/format';
import { syntheticLlama, type SyntheticOptions } from '../models/llama/synthetic';

export interface BenchModel {
  /** "smollm2-135m q4_k" */
  name: string;
  family: 'embedded' | 'smollm2' | 'qwen2.5';
  /** Large enough that SwiftShader decode takes ~1 s/token: fewer tokens there. */
  big: boolean;
  /** Built (random weights) rather than read from disk. */
  built: boolean;
  /** The GGUF file (built on first call, then cached). */
  bytes(): Uint8Array;
}

const SHAPES = REAL_SHAPES;

/** Q5_0 once the kernels read it (another change adds it), else Q8_0. */
export const KQUANT_FALLBACK = (QUANT_TYPES as readonly string[]).includes('q5_0') ? GgmlType.Q5_0 : GgmlType.Q8_0;

function cached(make: () => Uint8Array): () => Uint8Array {
  let b: Uint8Array | null = null;
  return () => (b ??= make());
}

function embedded(q: 'q8_0' | 'q4_k'): BenchModel {
  const path = resolve(import.meta.dirname, `../../public/models/embedded-${q}.gguf`);
  return { name: `embedded ${q}`, family: 'embedded', big: false, built: false, bytes: cached(() => new Uint8Array(readFileSync(path))) };
}

function shaped(family: 'smollm2' | 'qwen2.5', q: 'q8_0' | 'q4_k'): BenchModel {
  const s = SHAPES[family];
  const opts: SyntheticOptions = { ...s.shape, seed: 1, keepValues: false };
  if (q === 'q8_0') opts.type = GgmlType.Q8_0;
  else {
    opts.type = GgmlType.Q4_K;
    opts.typeFor = (_name, dims) => (dims[0] % 256 === 0 ? GgmlType.Q4_K : KQUANT_FALLBACK);
  }
  return { name: `${s.label} ${q}`, family, big: s.big, built: true, bytes: cached(() => syntheticLlama(opts).gguf) };
}

/**
 * The models BENCH_MODELS names: a comma list of families (embedded, smollm2, qwen2.5) or of
 * model names ("smollm2-135m q4_k"); "all" is every one. Default: embedded and smollm2.
 */
export function benchModels(sel = 'embedded,smollm2'): BenchModel[] {
  const all = [embedded('q8_0'), embedded('q4_k'), shaped('smollm2', 'q8_0'), shaped('smollm2', 'q4_k'), shaped('qwen2.5', 'q8_0'), shaped('qwen2.5', 'q4_k')];
  if (sel.trim() === 'all') return all;
  const want = sel.split(',').map((x) => x.trim()).filter(Boolean);
  const picked = all.filter((m) => want.includes(m.family) || want.includes(m.name));
  const unknown = want.filter((w) => !all.some((m) => m.family === w || m.name === w));
  if (unknown.length) throw new Error(`BENCH_MODELS: unknown ${unknown.join(', ')} (have all, ${[...new Set(all.map((m) => m.family))].join(', ')}, or a name such as "${all[3].name}")`);
  return picked;
}

/** Which types the 2-D weights ended up with: "Q4_K x30 (ffn_down), Q8_0 x181 (token_embd, attn_q, ...)". */
export async function typeSummary(gguf: Uint8Array): Promise<string> {
  const file = await parseGguf(bufferSource(gguf));
  const byType = new Map<string, { n: number; bytes: number; kinds: Set<string> }>();
  for (const t of file.tensors) {
    if (t.dims.filter((d) => d > 1).length < 2) continue;
    const name = ggmlTypeName(t.type);
    const e = byType.get(name) ?? { n: 0, bytes: 0, kinds: new Set<string>() };
    e.n++;
    e.bytes += t.nbytes;
    e.kinds.add(t.name.replace(/^blk\.\d+\./, '').replace(/\.weight$/, ''));
    byType.set(name, e);
  }
  return [...byType.entries()]
    .map(([name, e]) => `${name} x${e.n} (${[...e.kinds].join(', ')}; ${(e.bytes / 1e6).toFixed(1)} MB)`)
    .join('; ');
}
