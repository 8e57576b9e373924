// A plain-TypeScript llama forward pass on dequantized weights (float64 accumulation): the CPU
// reference the GPU model is held against on random-weight models. The PyTorch fixtures
// (training/fixtures) are the independent anchor; this one covers shapes the trained model lacks
// (qwen2 bias and NeoX RoPE, GQA ratios, llama3 frequency factors).
import type { KvDtype } from '../../kernels/kv-cache';
import { kvRoundF16 } from '../../kernels/ref/attention';
import { ropeInvFreqs } from '../../kernels/rope';
import type { LlamaConfig } from './config';

/** Weights by GGUF tensor name, dequantized; matrices row-major [rows = dims[1], cols = dims[0]]. */
export type RefWeights = Map<string, Float32Array>;

function rmsnorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const s = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * s * w[i]);
}

/** y = W x with W [rows, cols]. */
function matvec(w: Float32Array, x: Float64Array, rows: number, bias?: Float32Array): Float64Array {
  const cols = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc += w[o + c] * x[c];
    y[r] = acc + (bias ? bias[r] : 0);
  }
  return y;
}


/** Rotate one head vector in place at position `pos`. */
export function ropeHead(v: Float64Array, off: number, pos: number, c: LlamaConfig, inv: Float64Array): void {
  const half = c.rope.dims / 2;
  for (let i = 0; i < half; i++) {
    const a = pos * inv[i];
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    const [i0, i1] = c.rope.ordering === 'normal' ? [off + 2 * i, off + 2 * i + 1] : [off + i, off + i + half];
    const x0 = v[i0];
    const x1 = v[i1];
    v[i0] = x0 * cos - x1 * sin;
    v[i1] = x0 * sin + x1 * cos;
  }
}

export interface RefLlamaOptions {
  /** Store K and V as the GPU's cache of this dtype does: 'f16' rounds them to halves (default 'f32': kept in float64). */
  kvType?: KvDtype;
}

/** A reference decoder with its own KV cache: feed tokens one at a time, get logits. */
export class RefLlama {
  private readonly k: Float64Array[][] = [];
  private readonly v: Float64Array[][] = [];
  private readonly inv: Float64Array;
  private readonly kvF16: boolean;
  pos = 0;

  constructor(
    readonly c: LlamaConfig,
    private readonly w: RefWeights,
    opts: RefLlamaOptions = {},
  ) {
    this.kvF16 = opts.kvType === 'f16';
    for (let l = 0; l < c.layers; l++) {
      this.k.push([]);
      this.v.push([]);
    }
    this.inv = ropeInvFreqs({
      base: c.rope.base,
      rotDim: c.rope.dims,
      freqScale: c.rope.freqScale,
      freqFactors: c.rope.freqFactorsTensor ? w.get(c.rope.freqFactorsTensor) : undefined,
    });
  }

  private t(name: string): Float32Array {
    const x = this.w.get(name);
    if (!x) throw new Error(`ref: no weights for ${name}`);
    return x;
  }

  /** Logits after appending `token` at the next position. */
  step(token: number): Float64Array {
    const c = this.c;
    const { dim, headDim: hd, heads, kvHeads } = c;
    const emb = this.t('token_embd.weight');
    let x = Float64Array.from(emb.subarray(token * dim, (token + 1) * dim));
    const pos = this.pos++;
    const group = heads / kvHeads;
    for (let l = 0; l < c.layers; l++) {
      const b = `blk.${l}.`;
      const h = rmsnorm(x, this.t(b + 'attn_norm.weight'), c.normEps);
      const q = matvec(this.t(b + 'attn_q.weight'), h, heads * hd, this.w.get(b + 'attn_q.bias'));
      const k = matvec(this.t(b + 'attn_k.weight'), h, kvHeads * hd, this.w.get(b + 'attn_k.bias'));
      const v = matvec(this.t(b + 'attn_v.weight'), h, kvHeads * hd, this.w.get(b + 'attn_v.bias'));
      for (let i = 0; i < heads; i++) ropeHead(q, i * hd, pos, c, this.inv);
      for (let i = 0; i < kvHeads; i++) ropeHead(k, i * hd, pos, c, this.inv);
      // The GPU writes f32 rows into its cache, so an f16 cache holds f32 values rounded to halves.
      this.k[l].push(this.kvF16 ? Float64Array.from(kvRoundF16(k)) : k);
      this.v[l].push(this.kvF16 ? Float64Array.from(kvRoundF16(v)) : v);
      const att = new Float64Array(heads * hd);
      const scale = 1 / Math.sqrt(hd);
      for (let i = 0; i < heads; i++) {
        const kvh = Math.floor(i / group);
        const scores = this.k[l].map((kp) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i * hd + d] * kp[kvh * hd + d];
          return s * scale;
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const sum = e.reduce((a, b2) => a + b2, 0);
        for (let p = 0; p < e.length; p++) {
          const wgt = e[p] / sum;
          const vp = this.v[l][p];
          for (let d = 0; d < hd; d++) att[i * hd + d] += wgt * vp[kvh * hd + d];
        }
      }
      const o = matvec(this.t(b + 'attn_output.weight'), att, dim);
      x = x.map((xv, i) => xv + o[i]);
      const h2 = rmsnorm(x, this.t(b + 'ffn_norm.weight'), c.normEps);
      const g = matvec(this.t(b + 'ffn_gate.weight'), h2, c.ffn);
      const u = matvec(this.t(b + 'ffn_up.weight'), h2, c.ffn);
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
      const d = matvec(this.t(b + 'ffn_down.weight'), act, dim);
      x = x.map((xv, i) => xv + d[i]);
    }
    const hf = rmsnorm(x, this.t('output_norm.weight'), c.normEps);
    const head = c.tiedEmbeddings ? emb : this.t('output.weight');
    return matvec(head, hf, c.vocab);
  }
}
