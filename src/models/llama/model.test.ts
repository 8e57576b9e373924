// The GPU llama forward pass against the plain-TS reference on random-weight models: prefill in
// several chunks, then token-by-token decode, for llama and qwen2 shapes and quantized weights,
// with an f32 and an f16 KV cache (held against a reference whose cache rounds K/V to halves).
import { describe, expect, it } from 'vitest';
import { GgmlType } from '../../formats/gguf/types';
import { compareAllClose, describeClose } from '../../kernels/check/allclose';
import type { KvDtype } from '../../kernels/kv-cache';
import { nodeSubstrates } from '../../test/node-gpu';
import { RefLlama } from './ref';
import { syntheticLlama, type SyntheticOptions } from './synthetic';
import { gpuGreedy, loadInMemory, refGreedy, refWeights } from './testing';

// `chunk` > 8 sends the 9-token prefill through the tiled matmul; 4 through the batched matvec.
const CASES: { name: string; opts: SyntheticOptions; tol: number; tolF16?: number; chunk?: number; kvType?: KvDtype }[] = [
  { name: 'llama f32 GQA', opts: { dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 64 }, tol: 2e-4 },
  // Rounding K/V to halves moves these logits by ~1.5e-4 of their max (reference against
  // reference), under the 2e-4 above; the GPU is within 7e-6 of the rounded reference, so 3e-5 here
  // tells a cache rounded like the reference's from one that is not.
  { name: 'llama f32 GQA, f16 KV cache', opts: { dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 64 }, tol: 3e-5, kvType: 'f16' },
  { name: 'llama f32 GQA, tiled-matmul prefill', opts: { dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 64 }, tol: 2e-4, chunk: 16 },
  {
    name: 'qwen2 f32 (bias, NeoX, tied)',
    opts: { arch: 'qwen2', dim: 64, layers: 2, heads: 4, kvHeads: 1, ffn: 96, vocab: 300, context: 64, bias: true, tied: true, seed: 2 },
    tol: 2e-4,
  },
  { name: 'llama q8_0 + llama3 freqs', opts: { dim: 64, layers: 2, heads: 2, kvHeads: 2, ffn: 128, vocab: 320, context: 64, type: GgmlType.Q8_0, ropeFreqs: true, seed: 3 }, tol: 2e-4 },
  // Quantized weights take the f16 weight tile on shader-f16 devices (lavapipe here), f32 elsewhere.
  // The f16 tile rounds each dequantized weight (d * q) to 11 bits: ~2^-12 relative per weight,
  // measured 1.3e-3 abs at a logit scale of 2.5 (5e-4 of scale) on lavapipe; 2e-3 there, 2e-4 elsewhere.
  { name: 'llama q8_0, tiled-matmul prefill (f16 tile with shader-f16)', opts: { dim: 64, layers: 2, heads: 2, kvHeads: 2, ffn: 128, vocab: 320, context: 64, type: GgmlType.Q8_0, seed: 6 }, tol: 2e-4, tolF16: 2e-3, chunk: 16 },
  { name: 'llama q4_k', opts: { dim: 256, layers: 1, heads: 4, kvHeads: 2, ffn: 256, vocab: 300, context: 32, type: GgmlType.Q4_K, embdType: GgmlType.Q6_K, seed: 4 }, tol: 3e-4 },
];

const TOKENS = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];

// Real head sizes and GQA ratios, every tensor type the kernels read, bias and tying both ways:
// greedy tokens must equal the CPU reference's for 16 steps, with either KV cache dtype (for f16
// the reference rounds its cached K/V to halves as the GPU cache does).
const GREEDY: { name: string; opts: SyntheticOptions }[] = [
  { name: 'llama hd64 GQA4 q4_0 untied', opts: { dim: 256, layers: 1, heads: 4, kvHeads: 1, ffn: 256, vocab: 300, context: 40, type: GgmlType.Q4_0, seed: 11 } },
  { name: 'llama hd128 GQA1 q5_k', opts: { dim: 256, layers: 1, heads: 2, kvHeads: 2, ffn: 512, vocab: 300, context: 40, type: GgmlType.Q5_K, embdType: GgmlType.Q8_0, seed: 12 } },
  { name: 'qwen2 hd64 GQA4 q6_k bias tied', opts: { arch: 'qwen2', dim: 256, layers: 1, heads: 4, kvHeads: 1, ffn: 256, vocab: 300, context: 40, type: GgmlType.Q6_K, bias: true, tied: true, seed: 13 } },
  { name: 'qwen2 hd128 q4_1 bias untied', opts: { arch: 'qwen2', dim: 256, layers: 1, heads: 2, kvHeads: 1, ffn: 256, vocab: 300, context: 40, type: GgmlType.Q4_1, bias: true, seed: 14 } },
  // dim 192 / ffn 320 / 288: rows that are not whole 256-blocks, which llama.cpp's K-quant files store as Q5_0 / Q5_1.
  { name: 'llama hd64 GQA3 q5_0 dim 192', opts: { dim: 192, layers: 1, heads: 3, kvHeads: 1, ffn: 320, vocab: 300, context: 40, type: GgmlType.Q5_0, seed: 16 } },
  { name: 'qwen2 hd64 q5_1 bias tied dim 192', opts: { arch: 'qwen2', dim: 192, layers: 1, heads: 3, kvHeads: 3, ffn: 288, vocab: 300, context: 40, type: GgmlType.Q5_1, bias: true, tied: true, seed: 17 } },
  { name: 'llama hd64 f16 + bf16 embeddings', opts: { dim: 128, layers: 2, heads: 2, kvHeads: 1, ffn: 160, vocab: 300, context: 40, type: GgmlType.F16, embdType: GgmlType.BF16, seed: 15 } },
];

const KV_TYPES: KvDtype[] = ['f32', 'f16'];

for (const sub of nodeSubstrates()) {
  describe(`llama forward on ${sub.name}`, () => {
    for (const c of GREEDY) for (const kvType of KV_TYPES) {
      it(`${c.name}, ${kvType} KV: 16 greedy tokens equal the CPU reference's`, async () => {
        const rt = await sub.runtime();
        const { gguf } = syntheticLlama(c.opts);
        const { model } = await loadInMemory(rt, gguf, { prefillChunk: 8, contextLength: 40, kvType });
        expect(model.kv.dtype).toBe(kvType);
        const prompt = TOKENS.slice(0, 10);
        const want = await refGreedy(gguf, prompt, 16, new Set(), { kvType });
        expect(await gpuGreedy(model, prompt, 16)).toEqual(want);
        model.release();
      });
    }
    for (const c of CASES) {
      it(`${c.name}: chunked prefill then decode match the CPU reference`, async () => {
        const rt = await sub.runtime();
        const { gguf } = syntheticLlama(c.opts);
        const { file, cfg, model } = await loadInMemory(rt, gguf, { prefillChunk: c.chunk ?? 4, contextLength: 32, kvType: c.kvType });
        const ref = new RefLlama(cfg, refWeights(file, gguf), { kvType: c.kvType });
        const prefillLen = 9; // chunks of 4 + 4 + 1, or one of 9 when c.chunk = 16
        let refLogits: Float64Array = new Float64Array();
        for (const t of TOKENS.slice(0, prefillLen)) refLogits = ref.step(t);
        const check = (gpu: Float32Array, want: Float64Array, where: string) => {
          const scale = Math.max(...Array.from(want, Math.abs));
          const tol = rt.caps.f16 && c.tolF16 !== undefined ? c.tolF16 : c.tol;
          const r = compareAllClose(gpu, Float32Array.from(want), { atol: tol * scale, rtol: tol });
          expect(r.pass, `${where}: ${describeClose(r)}`).toBe(true);
        };
        check(await model.logits(TOKENS.slice(0, prefillLen), 0), refLogits, 'prefill');
        for (let p = prefillLen; p < TOKENS.length; p++) {
          check(await model.logits([TOKENS[p]], p), ref.step(TOKENS[p]), `decode at ${p}`);
        }
        model.release();
      });
    }
  });
}
