// Text generation on a loaded llama model: tokenize, reuse the KV cache for the prefix shared
// with the previous turn, prefill the rest in chunks, then decode one token per submit with
// sampling on the GPU, so each step reads back 4 bytes (the token id). Streams tokens through a
// callback, stops on end-of-generation tokens, stop strings, max tokens, a full context or cancel.
import { createStreamDecoder, type Tokenizer } from '../../formats/tokenizer';
import { sampler as makeSampler, type Sampler } from '../../kernels/sample';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { GpuRuntime } from '../../runtime/runtime';
import { mulberry32 } from '../../util/rng';
import { EngineError, throwIfAborted } from '../../util/errors';
import type { LlamaModel } from './model';

export interface SessionSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  repeatLastN: number;
  seed: number;
  maxTokens: number;
  stop?: string[];
}

export type Finish = 'eos' | 'stop' | 'length' | 'context' | 'cancelled';

export interface SessionStats {
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  stepMs: number[];
  kernelMs?: Record<string, number>;
  kernelTiming?: 'timestamp' | 'cpu';
}

export interface SessionResult {
  text: string;
  tokenIds: number[];
  finish: Finish;
  stats: SessionStats;
  logits?: [number, number][][];
}

export interface SessionToken {
  index: number;
  id: number;
  text: string;
  /** With dumpLogits: the top-K (id, logit) pairs the token was sampled from. */
  top?: [number, number][];
  /** Wall ms of the step that produced it (the whole prefill for index 0). */
  ms: number;
  /** Index 0: prompt tokens prefilled in this call. */
  prefillTokens?: number;
  /** With profile: ms per kernel label of the step that produced it. */
  kernels?: Record<string, number>;
  kernelTiming?: 'timestamp' | 'cpu';
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Called as each token is sampled (see TokenEvent in engine/protocol.ts for the fields). */
  onToken?: (t: SessionToken) => void;
  profile?: boolean;
  dumpLogits?: number;
}

const MAX_HISTORY = 1024;
/** The repetition-penalty history buffer (token ids as u32). */
export const HISTORY_BYTES = MAX_HISTORY * 4;

function topK(logits: Float32Array, k: number): [number, number][] {
  const idx = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  return idx.slice(0, k).map((i) => [i, logits[i]]);
}

export class LlamaSession {
  /** Tokens whose K/V entries are in the cache, in order from position 0. */
  private cached: number[] = [];
  private constructor(
    private readonly rt: GpuRuntime,
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    private readonly sample: Sampler,
    private readonly out: PooledBuffer,
    private readonly history: PooledBuffer,
  ) {}

  static async create(rt: GpuRuntime, model: LlamaModel, tokenizer: Tokenizer): Promise<LlamaSession> {
    const s = await makeSampler(rt, { vocab: model.cfg.vocab });
    const out = await rt.storage(16, 'staging', 'sample.out');
    const history = await rt.storage(HISTORY_BYTES, 'activations', 'sample.history');
    return new LlamaSession(rt, model, tokenizer, s, out, history);
  }

  reset(): void {
    this.cached = [];
  }

  get cachedTokens(): number {
    return this.cached.length;
  }

  /** Continue `prompt` (token ids, BOS included if wanted). */
  async generate(prompt: number[], s: SessionSampling, opts: GenerateOptions = {}): Promise<SessionResult> {
    const m = this.model;
    if (prompt.length === 0) throw new EngineError('Unsupported', 'The prompt is empty: type something first.');
    if (prompt.length >= m.nCtx) {
      throw new EngineError('Unsupported', `The prompt is ${prompt.length} tokens but the context holds ${m.nCtx}.`, {
        hint: 'Shorten the prompt or the conversation (start a new chat), or load the model with a longer context.',
      });
    }
    let reuse = 0;
    while (reuse < this.cached.length && reuse < prompt.length && this.cached[reuse] === prompt[reuse]) reuse++;
    if (reuse === prompt.length) reuse--; // the last prompt token must run again to give logits
    this.cached.length = reuse;

    const rand = mulberry32(s.seed >>> 0);
    const decoder = createStreamDecoder(this.tokenizer);
    const params = {
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      minP: s.minP,
      penalty: s.repetitionPenalty,
    };
    const recent: number[] = prompt.slice(-Math.min(s.repeatLastN, MAX_HISTORY));
    const stops = (s.stop ?? []).filter((x) => x.length > 0);
    const generated: number[] = [];
    const stepMs: number[] = [];
    const logits: [number, number][][] = [];
    const kernelMs: Record<string, number> = {};
    let kernelTiming: 'timestamp' | 'cpu' | undefined;
    let stepKernels: Record<string, number> | undefined;
    let text = '';
    let finish: Finish;
    const t0 = performance.now();

    /** Record one step over `tokens` at `pos`, sample, and read back the id. */
    const step = async (tokens: number[], pos: number, sampleIt: boolean): Promise<number> => {
      const profile = (opts.profile ?? false) && tokens.length === 1;
      const rec = this.rt.recorder({ profile, label: 'llama.step' });
      m.record(rec, tokens, pos);
      let idRead: Promise<ArrayBuffer> | null = null;
      let logitsRead: Promise<ArrayBuffer> | null = null;
      if (sampleIt) {
        if (opts.dumpLogits) logitsRead = rec.read(m.logitsBuffer, 0, m.cfg.vocab * 4);
        const hist = Uint32Array.from(recent.slice(-Math.min(s.repeatLastN, MAX_HISTORY)));
        if (hist.length) this.rt.device.queue.writeBuffer(this.history.buffer, 0, hist);
        const u = rand();
        this.sample.encode(rec, {
          logits: m.logitsBuffer,
          out: this.out.buffer,
          params,
          u,
          history: hist.length ? this.history.buffer : undefined,
          historyLength: hist.length,
        });
        idRead = rec.read(this.out.buffer, 0, 4);
      }
      const timing = await rec.submit();
      stepKernels = undefined;
      if (profile) {
        kernelTiming = timing.source;
        stepKernels = {};
        for (const k of timing.kernels) {
          kernelMs[k.label] = (kernelMs[k.label] ?? 0) + k.ms;
          stepKernels[k.label] = (stepKernels[k.label] ?? 0) + k.ms;
        }
      }
      this.cached.push(...tokens);
      if (logitsRead) logits.push(topK(new Float32Array(await logitsRead), opts.dumpLogits ?? 0));
      return idRead ? new Uint32Array(await idRead)[0] : -1;
    };

    // Prefill the part of the prompt not already in the cache.
    let pos = reuse;
    let next = -1;
    while (pos < prompt.length) {
      throwIfAborted(opts.signal, 'Generation');
      const part = prompt.slice(pos, Math.min(prompt.length, pos + m.chunk));
      const last = pos + part.length === prompt.length;
      next = await step(part, pos, last);
      pos += part.length;
    }
    const tFirst = performance.now();
    const prefillTokens = prompt.length - reuse;

    try {
      while (true) {
        const id = next;
        if (this.tokenizer.isEog(id)) {
          finish = 'eos';
          break;
        }
        generated.push(id);
        recent.push(id);
        const piece = decoder.push(id);
        text += piece;
        const index = generated.length - 1;
        opts.onToken?.({
          index,
          id,
          text: piece,
          top: opts.dumpLogits ? logits[index] : undefined,
          ms: index === 0 ? tFirst - t0 : stepMs[stepMs.length - 1],
          prefillTokens: index === 0 ? prefillTokens : undefined,
          kernels: stepKernels,
          kernelTiming: stepKernels ? kernelTiming : undefined,
        });
        const hit = stops.find((x) => text.includes(x));
        if (hit) {
          text = text.slice(0, text.indexOf(hit));
          finish = 'stop';
          break;
        }
        if (generated.length >= s.maxTokens) {
          finish = 'length';
          break;
        }
        if (pos >= m.nCtx) {
          finish = 'context';
          break;
        }
        if (opts.signal?.aborted) {
          finish = 'cancelled';
          break;
        }
        const ts = performance.now();
        next = await step([id], pos, true);
        pos += 1;
        stepMs.push(performance.now() - ts);
      }
    } finally {
      text += decoder.flush();
    }
    const decodeMs = stepMs.reduce((a, b) => a + b, 0);
    const stats: SessionStats = {
      promptTokens: prompt.length,
      reusedTokens: reuse,
      generatedTokens: generated.length,
      timeToFirstTokenMs: tFirst - t0,
      prefillTokensPerS: prefillTokens / Math.max(1e-9, (tFirst - t0) / 1000),
      decodeTokensPerS: stepMs.length / Math.max(1e-9, decodeMs / 1000),
      stepMs,
      kernelMs: opts.profile ? kernelMs : undefined,
      kernelTiming,
    };
    return { text, tokenIds: generated, finish, stats, logits: opts.dumpLogits ? logits : undefined };
  }

  release(): void {
    this.sample.release();
    this.rt.pool.release(this.out);
    this.rt.pool.release(this.history);
  }
}
