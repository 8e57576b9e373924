// Random-weight Llama-family GGUF files for tests and benchmarks: any architecture variant
// (llama/qwen2, GQA ratio, bias, tied embeddings, llama3 frequency factors) at any size, in any
// tensor type the quantizers support. The tokenizer is a byte-level BPE over the 256 byte symbols
// plus <|endoftext|>, padded with unused tokens up to the vocabulary size.
import { BYTE_TO_CHAR } from '../../formats/tokenizer/byte-level';
import { typeBytes } from '../../formats/gguf/ggml-types';
import { quantize } from '../../formats/gguf/quantize';
import { writeGguf, type GgufWriteSpec, type GgufWriteTensor } from '../../formats/gguf/writer';
import { GgmlType } from '../../formats/gguf/types';
import { gaussian, mulberry32 } from '../../util/rng';

export interface SyntheticOptions {
  arch?: 'llama' | 'qwen2';
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  /** >= 257 */
  vocab: number;
  context: number;
  /** Type of 2-D weights; norms and biases stay F32. */
  type?: GgmlType;
  /** Type of token_embd (default: `type`). */
  embdType?: GgmlType;
  tied?: boolean;
  bias?: boolean;
  /** Add llama3-style rope_freqs.weight. */
  ropeFreqs?: boolean;
  ropeBase?: number;
  seed?: number;
  /** Per-tensor type of a 2-D weight (default: `embdType` for token_embd, else `type`); e.g. a
   *  fallback where a row is not a whole number of K-quant blocks. */
  typeFor?: (name: string, dims: readonly number[], fallback: GgmlType) => GgmlType;
  /** Keep the f32 values in `values` (default true). false: `values` stays empty and each tensor
   *  is generated and quantized a few rows at a time, so a large model costs only its file bytes.
   *  The random values, and so the file, are the same either way. */
  keepValues?: boolean;
}

export interface SyntheticModel {
  gguf: Uint8Array<ArrayBuffer>;
  /** The f32 values each tensor was quantized from (empty with keepValues: false). */
  values: Map<string, Float32Array>;
}

export function syntheticLlama(o: SyntheticOptions): SyntheticModel {
  const arch = o.arch ?? 'llama';
  const type = o.type ?? GgmlType.F32;
  const rand = mulberry32(o.seed ?? 1);
  const g = gaussian(rand);
  const hd = o.dim / o.heads;
  const values = new Map<string, Float32Array>();
  const tensors: GgufWriteTensor[] = [];
  const keep = o.keepValues ?? true;
  // A fill writes values [start, start + out.length) of a tensor of `total` values, in order, so
  // filling in chunks draws the same random sequence as filling at once.
  type Fill = (out: Float32Array, start: number, total: number) => void;
  const add = (name: string, dims: number[], t0: GgmlType, fill: Fill) => {
    const t = dims.length === 2 && o.typeFor ? o.typeFor(name, dims, t0) : t0;
    const n = dims.reduce((a, b) => a * b, 1);
    if (keep) {
      const v = new Float32Array(n);
      fill(v, 0, n);
      values.set(name, v);
      tensors.push({ name, dims, type: t, data: quantize(t, v) });
      return;
    }
    const row = dims[0];
    const rowsPerChunk = Math.max(1, Math.floor((1 << 20) / row));
    const scratch = new Float32Array(Math.min(n, rowsPerChunk * row));
    const data = new Uint8Array(typeBytes(t, n));
    for (let start = 0, at = 0; start < n; ) {
      const v = scratch.subarray(0, Math.min(scratch.length, n - start));
      fill(v, start, n);
      const q = quantize(t, v);
      data.set(q, at);
      at += q.length;
      start += v.length;
    }
    tensors.push({ name, dims, type: t, data });
  };
  const normal = (scale: number): Fill => (out) => {
    for (let i = 0; i < out.length; i++) out[i] = g() * scale;
  };
  const norm: Fill = (out) => {
    for (let i = 0; i < out.length; i++) out[i] = 1 + 0.2 * g();
  };
  const mat = (cols: number) => normal(1 / Math.sqrt(cols));

  add('token_embd.weight', [o.dim, o.vocab], o.embdType ?? type, normal(1));
  for (let l = 0; l < o.layers; l++) {
    const b = `blk.${l}.`;
    add(b + 'attn_norm.weight', [o.dim], GgmlType.F32, norm);
    add(b + 'attn_q.weight', [o.dim, o.heads * hd], type, mat(o.dim));
    add(b + 'attn_k.weight', [o.dim, o.kvHeads * hd], type, mat(o.dim));
    add(b + 'attn_v.weight', [o.dim, o.kvHeads * hd], type, mat(o.dim));
    if (o.bias) {
      add(b + 'attn_q.bias', [o.heads * hd], GgmlType.F32, normal(0.5));
      add(b + 'attn_k.bias', [o.kvHeads * hd], GgmlType.F32, normal(0.5));
      add(b + 'attn_v.bias', [o.kvHeads * hd], GgmlType.F32, normal(0.5));
    }
    add(b + 'attn_output.weight', [o.heads * hd, o.dim], type, mat(o.heads * hd));
    add(b + 'ffn_norm.weight', [o.dim], GgmlType.F32, norm);
    add(b + 'ffn_gate.weight', [o.dim, o.ffn], type, mat(o.dim));
    add(b + 'ffn_up.weight', [o.dim, o.ffn], type, mat(o.dim));
    add(b + 'ffn_down.weight', [o.ffn, o.dim], type, mat(o.ffn));
  }
  add('output_norm.weight', [o.dim], GgmlType.F32, norm);
  if (!o.tied) add('output.weight', [o.dim, o.vocab], type, mat(o.dim));
  if (o.ropeFreqs) {
    add('rope_freqs.weight', [hd / 2], GgmlType.F32, (out, start, n) => {
      for (let j = 0; j < out.length; j++) out[j] = start + j < n / 2 ? 1 : 1 + (start + j) / 4;
    });
  }

  const tokens = [...BYTE_TO_CHAR, '<|endoftext|>'];
  while (tokens.length < o.vocab) tokens.push(`<unused${tokens.length}>`);
  const eot = 256;
  const metadata: GgufWriteSpec['metadata'] = [
    ['general.architecture', arch],
    ['general.name', `synthetic-${arch}`],
    [`${arch}.context_length`, o.context, 'u32'],
    [`${arch}.embedding_length`, o.dim, 'u32'],
    [`${arch}.block_count`, o.layers, 'u32'],
    [`${arch}.feed_forward_length`, o.ffn, 'u32'],
    [`${arch}.attention.head_count`, o.heads, 'u32'],
    [`${arch}.attention.head_count_kv`, o.kvHeads, 'u32'],
    [`${arch}.attention.layer_norm_rms_epsilon`, 1e-5, 'f32'],
    [`${arch}.rope.freq_base`, o.ropeBase ?? 10000, 'f32'],
    ['tokenizer.ggml.model', 'gpt2'],
    ['tokenizer.ggml.pre', arch === 'qwen2' ? 'qwen2' : 'gpt-2'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', tokens.map((_, i) => (i === eot ? 3 : i > eot ? 5 : 1)), { array: 'i32' }],
    ['tokenizer.ggml.merges', [], { array: 'string' }],
    ['tokenizer.ggml.bos_token_id', eot, 'u32'],
    ['tokenizer.ggml.eos_token_id', eot, 'u32'],
  ];
  return { gguf: writeGguf({ metadata, tensors }), values };
}
