// Real model shapes the benchmarks build random-weight models of (browser-safe: no Node imports, so
// both the Node benches and the in-browser ones use the same numbers).
import type { SyntheticOptions } from '../models/llama/synthetic';

export type Shape = Omit<SyntheticOptions, 'type' | 'typeFor' | 'keepValues' | 'seed'>;

export const REAL_SHAPES: Record<'smollm2' | 'qwen2.5', { label: string; shape: Shape; big: boolean }> = {
  smollm2: {
    label: 'smollm2-135m',
    shape: { arch: 'llama', dim: 576, layers: 30, heads: 9, kvHeads: 3, ffn: 1536, vocab: 49152, context: 2048, tied: true },
    big: false,
  },
  'qwen2.5': {
    label: 'qwen2.5-0.5b',
    shape: { arch: 'qwen2', dim: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, context: 2048, tied: true, bias: true, ropeBase: 1e6 },
    big: true,
  },
};
