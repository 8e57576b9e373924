import { describe, expect, it } from 'vitest';
import { parseGguf } from '../../formats/gguf/parse';
import { bufferSource } from '../../formats/source';
import { writeGguf } from '../../formats/gguf/writer';
import { GgmlType } from '../../formats/gguf/types';
import { readLlamaConfig, kvCacheBytes } from './config';
import { syntheticLlama, type SyntheticOptions } from './synthetic';

const base: SyntheticOptions = { dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 128 };
const parse = (u8: Uint8Array) => parseGguf(bufferSource(u8));

describe('readLlamaConfig', () => {
  it('reads a llama file with GQA', async () => {
    const c = readLlamaConfig(await parse(syntheticLlama(base).gguf));
    expect(c).toMatchObject({ arch: 'llama', dim: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ffn: 96, vocab: 300, contextLength: 128 });
    expect(c.rope).toMatchObject({ ordering: 'normal', base: 10000, dims: 16, freqScale: 1 });
    expect(c.qkvBias).toBe(false);
    expect(c.tiedEmbeddings).toBe(false);
    expect(kvCacheBytes(c, 128)).toBe(2 * 2 * 128 * 2 * 16 * 4);
  });

  it('reads qwen2: NeoX RoPE, QKV bias, tied embeddings', async () => {
    const c = readLlamaConfig(await parse(syntheticLlama({ ...base, arch: 'qwen2', bias: true, tied: true }).gguf));
    expect(c).toMatchObject({ arch: 'qwen2', qkvBias: true, tiedEmbeddings: true });
    expect(c.rope.ordering).toBe('neox');
  });

  it('finds llama3 frequency factors', async () => {
    const c = readLlamaConfig(await parse(syntheticLlama({ ...base, ropeFreqs: true }).gguf));
    expect(c.rope.freqFactorsTensor).toBe('rope_freqs.weight');
  });

  it('names an unsupported architecture', async () => {
    const file = await parse(writeGguf({ metadata: [['general.architecture', 'mamba']], tensors: [] }));
    expect(() => readLlamaConfig(file)).toThrow(expect.objectContaining({ name: 'Unsupported', message: expect.stringContaining('"mamba"') }));
  });

  it('names a missing tensor and a shape that disagrees with the metadata', async () => {
    const file = await parse(syntheticLlama(base).gguf);
    const missing = { ...file, tensors: file.tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight') };
    expect(() => readLlamaConfig(missing)).toThrow(/blk\.1\.ffn_up\.weight" is missing/);
    const wrong = { ...file, tensors: file.tensors.map((t) => (t.name === 'blk.0.attn_k.weight' ? { ...t, dims: [64, 64] } : t)) };
    expect(() => readLlamaConfig(wrong)).toThrow(/blk\.0\.attn_k\.weight" has shape \[64, 64\], expected \[64, 32\]/);
  });

  it('rejects a tensor type the kernels cannot run, naming it', async () => {
    const file = await parse(syntheticLlama(base).gguf);
    const q2 = { ...file, tensors: file.tensors.map((t) => (t.name === 'blk.0.ffn_down.weight' ? { ...t, type: GgmlType.Q2_K } : t)) };
    expect(() => readLlamaConfig(q2)).toThrow(expect.objectContaining({ name: 'Unsupported', message: expect.stringContaining('Q2_K') }));
  });

  it('rejects heads that do not divide', async () => {
    const file = await parse(syntheticLlama(base).gguf);
    file.metadata.set('llama.attention.head_count_kv', 3);
    expect(() => readLlamaConfig(file)).toThrow(/not a multiple of 3 KV heads/);
  });
});
