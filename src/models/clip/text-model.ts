// CLIP's text encoder (transformers CLIPTextModel, an SD repo's text_encoder/) on the GPU, as
// transformers runs it with input ids and no attention mask (what diffusers' SD pipelines do):
//
//   x = token_embedding[ids] + position_embedding[0 .. S-1]                         [N, S, D]
//   per layer:  x = x + out_proj(causal_attention(q_proj, k_proj, v_proj of layer_norm1(x)))
//               x = x + fc2(act(fc1(layer_norm2(x))))         act: quick_gelu (SD 1.x) | gelu (SD 2.x)
//   last_hidden_state = final_layer_norm(x)                                           [N, S, D]
//
// Attention scale 1/sqrt(head_dim); query i sees tokens 0..i. One recording and one submit per call;
// the residual stream ping-pongs between two buffers and every other scratch buffer is reused by
// every layer (dispatches run in recording order), so activations stay ~8 [N, S, D]-sized buffers
// whatever the depth.
//
// The embeddings are gathered and added on the CPU: the token table is 49408 x 768 (SD 1.x) or
// x 1024 (SD 2.x) f32, 150-200 MB, past the 128 MiB storage binding of some adapters, while a
// forward reads only N x 77 of its rows; a GPU gather would need the table split across bindings
// to save microseconds. The 77-row position table is read once at create (a few hundred KB) and
// added in f32 as PyTorch does (one rounding).
import { loadError } from '../../formats/errors';
import { diffusionAttention, type DiffusionAttentionKernel } from '../../kernels/diffusion/attention';
import { linear, type LinearKernel } from '../../kernels/diffusion/linear';
import { layerNorm, type LayerNormArgs, type NormKernel } from '../../kernels/diffusion/norm';
import { pointwise, type PointwiseKernel } from '../../kernels/diffusion/pointwise';
import type { GpuRuntime } from '../../runtime/runtime';
import { f16BitsToF32 } from '../../util/f16';
import { Arena } from '../unet/blocks';
import { isMatrix, type Params } from '../unet/params';
import type { ClipTextConfig } from './config';

const P = 'text_model';
const TOKEN = `${P}.embeddings.token_embedding.weight`;
const POSITION = `${P}.embeddings.position_embedding.weight`;
const layerName = (i: number) => `${P}.encoder.layers.${i}`;

interface Kernels {
  ln: NormKernel<LayerNormArgs>;
  linBias: LinearKernel;
  linBiasRes: LinearKernel;
  act: PointwiseKernel;
  attention: DiffusionAttentionKernel;
}

/** Every tensor the encoder reads, with the shape the config implies (token table excepted: it may live on the CPU only). */
function expectedShapes(c: ClipTextConfig): [string, number[]][] {
  const { hidden: D, intermediate: I } = c;
  const out: [string, number[]][] = [[POSITION, [c.maxPositions, D]]];
  for (let i = 0; i < c.layers; i++) {
    const l = layerName(i);
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) out.push([`${l}.self_attn.${p}.weight`, [D, D]], [`${l}.self_attn.${p}.bias`, [D]]);
    for (const n of ['layer_norm1', 'layer_norm2']) out.push([`${l}.${n}.weight`, [D]], [`${l}.${n}.bias`, [D]]);
    out.push([`${l}.mlp.fc1.weight`, [I, D]], [`${l}.mlp.fc1.bias`, [I]], [`${l}.mlp.fc2.weight`, [D, I]], [`${l}.mlp.fc2.bias`, [D]]);
  }
  out.push([`${P}.final_layer_norm.weight`, [D]], [`${P}.final_layer_norm.bias`, [D]]);
  return out;
}

/** The position table as f32: params' CPU copy when it kept one, else read back once (f16 matrices decoded). */
async function positions(rt: GpuRuntime, params: Params, cfg: ClipTextConfig): Promise<Float32Array> {
  try {
    return params.cpu(POSITION);
  } catch {
    // Not kept on the CPU: fall through to the GPU copy.
  }
  const count = cfg.maxPositions * cfg.hidden;
  const half = params.matrixType === 'f16' && isMatrix({ name: POSITION, shape: params.shape(POSITION) });
  const bytes = half ? 2 * (count + (count & 1)) : 4 * count;
  const raw = await rt.download(params.get(POSITION), bytes);
  return half ? Float32Array.from(new Uint16Array(raw, 0, count), f16BitsToF32) : new Float32Array(raw);
}

export class ClipTextModel {
  private constructor(
    private readonly rt: GpuRuntime,
    readonly cfg: ClipTextConfig,
    readonly params: Params,
    /** [vocabSize, hidden] f32 */
    private readonly tokenTable: Float32Array,
    /** [maxPositions, hidden] f32 */
    private readonly positionTable: Float32Array,
    private readonly k: Kernels,
  ) {}

  /**
   * Check every tensor against the config, then compile the kernels. The token embedding table is
   * `opts.tokenEmbedding` when given (so it need not be on the GPU at all), else the CPU copy in
   * `params` (load it with `cpuCopy` for that name).
   */
  static async create(rt: GpuRuntime, cfg: ClipTextConfig, params: Params, opts: { tokenEmbedding?: Float32Array } = {}): Promise<ClipTextModel> {
    const mismatch = (name: string, got: string, want: number[]) =>
      loadError('ModelLoad', `${params.source}: tensor "${name}" is ${got}, but the text encoder's config implies [${want.join(', ')}].`, {
        hint: 'The weights and text_encoder/config.json come from different models.',
      });
    for (const [name, want] of expectedShapes(cfg)) {
      const got = params.shape(name);
      if (got.length !== want.length || got.some((d, i) => d !== want[i])) throw mismatch(name, `[${got.join(', ')}]`, want);
    }
    const tableShape = [cfg.vocabSize, cfg.hidden];
    let tokenTable: Float32Array;
    if (opts.tokenEmbedding) {
      tokenTable = opts.tokenEmbedding;
      if (tokenTable.length !== cfg.vocabSize * cfg.hidden) throw mismatch(TOKEN, `${tokenTable.length} floats`, tableShape);
    } else {
      const got = params.shape(TOKEN);
      if (got.length !== 2 || got[0] !== cfg.vocabSize || got[1] !== cfg.hidden) throw mismatch(TOKEN, `[${got.join(', ')}]`, tableShape);
      tokenTable = params.cpu(TOKEN);
    }
    const positionTable = await positions(rt, params, cfg);
    const weights = params.matrixType;
    const [ln, linBias, linBiasRes, act, attention] = await Promise.all([
      layerNorm(rt, { affine: true }),
      linear(rt, { weights, bias: true }),
      linear(rt, { weights, bias: true, residual: true }),
      pointwise(rt, cfg.act, { inPlace: true }),
      diffusionAttention(rt, { headDim: cfg.headDim, causal: true }),
    ]);
    return new ClipTextModel(rt, cfg, params, tokenTable, positionTable, { ln, linBias, linBiasRes, act, attention });
  }

  /** last_hidden_state [N, S, hidden] (f32, row-major) for N prompts of S token ids each. */
  async forward(ids: number[][]): Promise<Float32Array> {
    const { cfg, rt, params: p, k } = this;
    const N = ids.length;
    const S = ids[0]?.length ?? 0;
    if (N === 0 || S === 0) throw new Error('clip: forward needs at least one prompt of at least one token');
    if (ids.some((r) => r.length !== S)) throw new Error(`clip: every prompt must have the same number of ids (got ${ids.map((r) => r.length).join(', ')})`);
    if (S > cfg.maxPositions) throw new Error(`clip: ${S} tokens, but the text encoder has ${cfg.maxPositions} positions`);
    const D = cfg.hidden;
    const x0 = new Float32Array(N * S * D);
    ids.forEach((row, n) =>
      row.forEach((id, s) => {
        if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) {
          throw loadError('ModelLoad', `Token id ${id} is outside the text encoder's vocabulary of ${cfg.vocabSize}.`, { hint: 'The tokenizer and the text encoder come from different models.' });
        }
        const [t, p, o] = [id * D, s * D, (n * S + s) * D];
        for (let c = 0; c < D; c++) x0[o + c] = this.tokenTable[t + c] + this.positionTable[p + c];
      }),
    );

    const arena = new Arena(rt);
    try {
      const rec = rt.recorder({ label: 'clip.forward' });
      const M = N * S;
      const w = (name: string) => p.get(name);
      let x = await arena.alloc(M * D, 'clip.residual.a');
      let spare = await arena.alloc(M * D, 'clip.residual.b');
      const h = await arena.alloc(M * D, 'clip.normed');
      const q = await arena.alloc(M * D, 'clip.q');
      const kk = await arena.alloc(M * D, 'clip.k');
      const v = await arena.alloc(M * D, 'clip.v');
      const o = await arena.alloc(M * D, 'clip.attn');
      const f = await arena.alloc(M * cfg.intermediate, 'clip.mlp');
      rt.device.queue.writeBuffer(x, 0, x0);

      const norm = (src: GPUBuffer, name: string) =>
        k.ln.encode(rec, { x: src, gamma: w(`${name}.weight`), beta: w(`${name}.bias`), out: h, rows: M, C: D, eps: cfg.eps });
      for (let i = 0; i < cfg.layers; i++) {
        const l = layerName(i);
        norm(x, `${l}.layer_norm1`);
        for (const [proj, out] of [['q_proj', q], ['k_proj', kk], ['v_proj', v]] as const) {
          k.linBias.encode(rec, { a: h, w: w(`${l}.self_attn.${proj}.weight`), bias: w(`${l}.self_attn.${proj}.bias`), out, M, N: D, K: D });
        }
        k.attention.encode(rec, { q, k: kk, v, out: o, N, Lq: S, Lk: S, heads: cfg.heads });
        k.linBiasRes.encode(rec, { a: o, w: w(`${l}.self_attn.out_proj.weight`), bias: w(`${l}.self_attn.out_proj.bias`), residual: x, out: spare, M, N: D, K: D });
        [x, spare] = [spare, x];
        norm(x, `${l}.layer_norm2`);
        k.linBias.encode(rec, { a: h, w: w(`${l}.mlp.fc1.weight`), bias: w(`${l}.mlp.fc1.bias`), out: f, M, N: cfg.intermediate, K: D });
        k.act.encode(rec, { a: f, n: M * cfg.intermediate });
        k.linBiasRes.encode(rec, { a: f, w: w(`${l}.mlp.fc2.weight`), bias: w(`${l}.mlp.fc2.bias`), residual: x, out: spare, M, N: D, K: cfg.intermediate });
        [x, spare] = [spare, x];
      }
      norm(x, `${P}.final_layer_norm`);
      const read = rec.read(h, 0, M * D * 4);
      await rec.submit();
      return new Float32Array(await read);
    } finally {
      arena.release();
    }
  }
}
