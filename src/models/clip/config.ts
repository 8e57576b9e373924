// A Hugging Face CLIPTextModel config.json (an SD repo's text_encoder/config.json), read and checked:
// the sizes the encoder needs, the MLP activation (quick_gelu in SD 1.x's OpenAI ViT-L/14, gelu in
// SD 2.x's and sd-turbo's OpenCLIP ViT-H/14), and named errors for anything it cannot run.
import { loadError } from '../../formats/errors';
import { MAX_HEAD_DIM } from '../../kernels/diffusion/attention';

export type ClipActivation = 'quick_gelu' | 'gelu';

export interface ClipTextConfig {
  /** Width of every token's hidden state (768 in SD 1.x, 1024 in SD 2.x). */
  hidden: number;
  /** MLP width (fc1's output). */
  intermediate: number;
  heads: number;
  headDim: number;
  layers: number;
  /** Longest token sequence (rows of position_embedding; 77). */
  maxPositions: number;
  vocabSize: number;
  act: ClipActivation;
  eps: number;
}

const ARCHITECTURES = ['CLIPTextModel', 'CLIPTextModelWithProjection'];

export function readClipConfig(json: unknown, source = 'text_encoder/config.json'): ClipTextConfig {
  const bad = (what: string) => loadError('ModelLoad', `${source}: ${what}.`, { hint: "Pick the text_encoder/config.json of a diffusers Stable Diffusion repo." });
  const unsupported = (what: string) =>
    loadError('Unsupported', `${source}: ${what}.`, { hint: 'The playground runs the CLIP text encoders of SD 1.x, SD 2.x and sd-turbo.' });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('it is not a JSON object');
  const c = json as Record<string, unknown>;
  if (c.model_type !== undefined && c.model_type !== 'clip_text_model') throw unsupported(`the model type is ${String(c.model_type)}, not clip_text_model`);
  const arch = c.architectures;
  if (Array.isArray(arch) && !arch.some((a) => ARCHITECTURES.includes(a as string))) throw unsupported(`the architecture is ${arch.join(', ')}, not CLIPTextModel`);
  const int = (k: string): number => {
    const v = c[k];
    if (v === undefined) throw bad(`"${k}" is missing`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(`"${k}" must be a positive integer (got ${JSON.stringify(v)})`);
    return v;
  };
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  if (hidden % heads !== 0) throw bad(`hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`);
  const headDim = hidden / heads;
  if (headDim > MAX_HEAD_DIM) throw unsupported(`heads of ${headDim} channels (the attention kernel takes up to ${MAX_HEAD_DIM})`);
  // transformers' CLIPTextConfig defaults, used when a config leaves these two out.
  const act = c.hidden_act ?? 'quick_gelu';
  if (act !== 'quick_gelu' && act !== 'gelu') throw unsupported(`hidden_act ${JSON.stringify(act)} (quick_gelu and gelu are implemented)`);
  const eps = c.layer_norm_eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw bad(`"layer_norm_eps" must be a number >= 0 (got ${JSON.stringify(eps)})`);
  return {
    hidden,
    intermediate: int('intermediate_size'),
    heads,
    headDim,
    layers: int('num_hidden_layers'),
    maxPositions: int('max_position_embeddings'),
    vocabSize: int('vocab_size'),
    act,
    eps,
  };
}
