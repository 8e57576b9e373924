// A Llama-family model's shape, read from GGUF metadata and checked against its tensors before a
// byte of weights is loaded. Supported: `llama` (Llama 2/3/3.x, TinyLlama, SmolLM/SmolLM2, Mistral)
// and `qwen2` (QKV bias, NeoX RoPE, usually tied embeddings). Anything else is Unsupported, by name.
import { loadError } from '../../formats/errors';
import { GGML_TYPE_INFO, ggmlTypeName } from '../../formats/gguf/ggml-types';
import { metaF32Opt, metaString, metaStringOpt, metaU32, metaU32Opt } from '../../formats/gguf/meta';
import { GgmlType, type GgufFile, type GgufTensorInfo } from '../../formats/gguf/types';

export const SUPPORTED_ARCHITECTURES = ['llama', 'qwen2'] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** Tensor types the kernels can read. */
export const SUPPORTED_TENSOR_TYPES: readonly GgmlType[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
  GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
];

export interface RopeConfig {
  /** 'normal': rotate adjacent pairs (llama); 'neox': rotate (i, i + d/2) (qwen2). */
  ordering: 'normal' | 'neox';
  base: number;
  /** Dimensions rotated per head (<= headDim). */
  dims: number;
  /** Linear position scaling (1 = none). */
  freqScale: number;
  /** llama3-style per-pair frequency factors, from the `rope_freqs.weight` tensor when present. */
  freqFactorsTensor?: string;
}

export interface LlamaConfig {
  arch: Architecture;
  name: string;
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  contextLength: number;
  normEps: number;
  rope: RopeConfig;
  /** q/k/v projections carry a bias (qwen2). */
  qkvBias: boolean;
  /** No output.weight: the LM head reuses token_embd. */
  tiedEmbeddings: boolean;
}

const key = (arch: string, k: string) => `${arch}.${k}`;

/** Read and validate the config; throws ModelLoad/Unsupported naming the key or tensor at fault. */
export function readLlamaConfig(file: GgufFile): LlamaConfig {
  const archRaw = metaString(file, 'general.architecture');
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(archRaw)) {
    throw loadError('Unsupported', `Architecture "${archRaw}" is not supported (general.architecture).`, {
      hint: `This playground runs ${SUPPORTED_ARCHITECTURES.join(' and ')} models (Llama 2/3, TinyLlama, SmolLM, Mistral, Qwen2/2.5). Pick a GGUF of one of those.`,
    });
  }
  const arch = archRaw as Architecture;
  const tensors = new Map(file.tensors.map((t) => [t.name, t]));
  const embd = tensors.get('token_embd.weight');
  const dim = metaU32(file, key(arch, 'embedding_length'));
  const heads = metaU32(file, key(arch, 'attention.head_count'));
  const kvHeads = metaU32Opt(file, key(arch, 'attention.head_count_kv')) ?? heads;
  const headDim = metaU32Opt(file, key(arch, 'attention.key_length')) ?? (heads > 0 ? dim / heads : 0);
  const vocab = metaU32Opt(file, key(arch, 'vocab_size')) ?? embd?.dims[1] ?? 0;
  const scalingType = metaStringOpt(file, key(arch, 'rope.scaling.type')) ?? 'none';
  const scalingFactor = metaF32Opt(file, key(arch, 'rope.scaling.factor')) ?? 1;
  if (!['none', 'linear'].includes(scalingType)) {
    throw loadError('Unsupported', `RoPE scaling "${scalingType}" (${arch}.rope.scaling.type) is not supported.`, {
      hint: 'Supported: none, linear, and llama3 frequency factors (rope_freqs.weight).',
    });
  }
  const cfg: LlamaConfig = {
    arch,
    name: metaStringOpt(file, 'general.name') ?? arch,
    vocab,
    dim,
    layers: metaU32(file, key(arch, 'block_count')),
    heads,
    kvHeads,
    headDim,
    ffn: metaU32(file, key(arch, 'feed_forward_length')),
    contextLength: metaU32(file, key(arch, 'context_length')),
    normEps: metaF32Opt(file, key(arch, 'attention.layer_norm_rms_epsilon')) ?? 1e-5,
    rope: {
      ordering: arch === 'qwen2' ? 'neox' : 'normal',
      base: metaF32Opt(file, key(arch, 'rope.freq_base')) ?? 10000,
      dims: metaU32Opt(file, key(arch, 'rope.dimension_count')) ?? headDim,
      freqScale: scalingType === 'linear' && scalingFactor > 0 ? 1 / scalingFactor : 1,
      freqFactorsTensor: tensors.has('rope_freqs.weight') ? 'rope_freqs.weight' : undefined,
    },
    qkvBias: tensors.has('blk.0.attn_q.bias'),
    tiedEmbeddings: !tensors.has('output.weight'),
  };
  checkShape(cfg);
  checkTensors(cfg, tensors);
  return cfg;
}

function bad(message: string): Error {
  return loadError('ModelLoad', message, { hint: 'The file is inconsistent with its own metadata; it may be corrupt or converted by a broken tool.' });
}

function checkShape(c: LlamaConfig): void {
  const pos = { dim: c.dim, heads: c.heads, kvHeads: c.kvHeads, layers: c.layers, ffn: c.ffn, vocab: c.vocab, contextLength: c.contextLength };
  for (const [k, v] of Object.entries(pos)) {
    if (!Number.isInteger(v) || v <= 0) throw bad(`Model ${k} is ${v}; it must be a positive integer.`);
  }
  if (!Number.isInteger(c.headDim) || c.headDim <= 0 || c.headDim % 2 !== 0) {
    throw bad(`Head size ${c.headDim} (embedding ${c.dim} / ${c.heads} heads) must be a positive even integer.`);
  }
  if (c.heads % c.kvHeads !== 0) throw bad(`${c.heads} attention heads are not a multiple of ${c.kvHeads} KV heads.`);
  if (c.rope.dims > c.headDim || c.rope.dims % 2 !== 0) throw bad(`RoPE dimension ${c.rope.dims} must be even and <= head size ${c.headDim}.`);
  if (c.headDim > 256) {
    throw loadError('Unsupported', `Head size ${c.headDim} is larger than the attention kernels support (256).`);
  }
}

/** Every tensor a llama forward pass reads, with its GGUF dims (row length first). */
export function expectedTensors(c: LlamaConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  m.set('token_embd.weight', [c.dim, c.vocab]);
  m.set('output_norm.weight', [c.dim]);
  if (!c.tiedEmbeddings) m.set('output.weight', [c.dim, c.vocab]);
  for (let l = 0; l < c.layers; l++) {
    const b = `blk.${l}.`;
    m.set(b + 'attn_norm.weight', [c.dim]);
    m.set(b + 'attn_q.weight', [c.dim, q]);
    m.set(b + 'attn_k.weight', [c.dim, kv]);
    m.set(b + 'attn_v.weight', [c.dim, kv]);
    m.set(b + 'attn_output.weight', [q, c.dim]);
    if (c.qkvBias) {
      m.set(b + 'attn_q.bias', [q]);
      m.set(b + 'attn_k.bias', [kv]);
      m.set(b + 'attn_v.bias', [kv]);
    }
    m.set(b + 'ffn_norm.weight', [c.dim]);
    m.set(b + 'ffn_gate.weight', [c.dim, c.ffn]);
    m.set(b + 'ffn_up.weight', [c.dim, c.ffn]);
    m.set(b + 'ffn_down.weight', [c.ffn, c.dim]);
  }
  if (c.rope.freqFactorsTensor) m.set(c.rope.freqFactorsTensor, [c.rope.dims / 2]);
  return m;
}

function checkTensors(c: LlamaConfig, tensors: Map<string, GgufTensorInfo>): void {
  for (const [name, dims] of expectedTensors(c)) {
    const t = tensors.get(name);
    if (!t) throw bad(`Tensor "${name}" is missing (expected by a ${c.arch} model with ${c.layers} layers).`);
    const got = t.dims.slice(0, Math.max(dims.length, 1));
    const extra = t.dims.slice(dims.length).some((d) => d !== 1);
    if (extra || got.length !== dims.length || got.some((d, i) => d !== dims[i])) {
      throw bad(`Tensor "${name}" has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}] from the metadata.`);
    }
    if (!SUPPORTED_TENSOR_TYPES.includes(t.type)) {
      throw loadError('Unsupported', `Tensor "${name}" is ${ggmlTypeName(t.type)}, a type this playground cannot run yet.`, {
        hint: `Supported: ${SUPPORTED_TENSOR_TYPES.map(ggmlTypeName).join(', ')}. Pick a Q4_K_M, Q4_0, Q8_0 or F16 file of the model.`,
      });
    }
    const blk = GGML_TYPE_INFO[t.type].blockSize;
    if (dims[0] % blk !== 0) {
      throw loadError('Unsupported', `Tensor "${name}" rows of ${dims[0]} are not a whole number of ${ggmlTypeName(t.type)} blocks (${blk}).`);
    }
  }
}

/** Bytes of the KV cache for `ctx` positions at f32. */
export function kvCacheBytes(c: LlamaConfig, ctx: number): number {
  return 2 * c.layers * ctx * c.kvHeads * c.headDim * 4;
}
