// The worker's LLM: load a GGUF from a URL, a File or bytes (streamed into GPU buffers), keep one
// model and its conversation KV cache, and generate with streamed tokens.
import type { GenerateRequest, GenerationResult, LoadModelOptions, ModelFit, ModelInfo, ModelSource, TokenEvent } from '../engine/protocol';
import { renderChat, fallbackChatTemplate } from '../formats/chat-template';
import { loadError } from '../formats/errors';
import { ggmlTypeName } from '../formats/gguf/ggml-types';
import { parseGguf } from '../formats/gguf/parse';
import type { GgufFile } from '../formats/gguf/types';
import { blobSource, bufferSource, httpSource, type ByteSource } from '../formats/source';
import { createTokenizer, specFromGgufMetadata, type Tokenizer } from '../formats/tokenizer';
import { readLlamaConfig } from '../models/llama/config';
import { LlamaModel } from '../models/llama/model';
import { estimateFit } from '../models/llama/fit';
import { LlamaSession } from '../models/llama/session';
import { decodeWeightBytes } from '../perf/roofline';
import { adapterKey, defaultPlan, planKey, sanitizePlan, trialWeights, tuneMatvec, type KernelPlan, type PlanCache } from '../perf/autotune';
import { loadLlamaWeights, releaseLlamaWeights, weightFileBytes, type LlamaWeights } from '../models/llama/weights';
import type { GpuRuntime } from '../runtime/runtime';
import { EngineError, throwIfAborted } from '../util/errors';
import { fmtBytes } from '../util/format';
import { downloadToStore, type ModelStore } from './model-store';

export interface LlmHooks {
  progress(stage: string, done: number, total: number, unit: 'bytes' | 'items'): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** The memory a model's total is held against (WebGPU does not say how much the GPU has). */
export interface MemoryBudget {
  bytes: number;
  source: string;
}

export function memoryBudget(): MemoryBudget {
  const gb = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory;
  if (gb && gb > 0) return { bytes: (gb * 2 ** 30) / 2, source: `half of the ${gb} GB of memory the browser reports` };
  return { bytes: 4 * 2 ** 30, source: 'an assumed 4 GiB: this browser does not report its memory' };
}

function sourceOf(s: ModelSource): ByteSource {
  switch (s.kind) {
    case 'url':
      return httpSource(s.url);
    case 'file':
      return blobSource(s.file, s.file.name);
    case 'bytes':
      return bufferSource(new Uint8Array(s.bytes), s.name);
  }
}

function paramCount(file: GgufFile): number {
  return file.tensors.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
}

function tensorTypes(file: GgufFile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of file.tensors) {
    const n = ggmlTypeName(t.type);
    out[n] = (out[n] ?? 0) + 1;
  }
  return out;
}

export class LlmHost {
  private session: LlamaSession | null = null;
  private info: ModelInfo | null = null;

  constructor(
    private readonly rt: GpuRuntime,
    private readonly plans: () => Promise<PlanCache>,
  ) {}

  /**
   * The kernel variants for these weights: a share link's plan as given (what this device can run of
   * it), the device guess when tuning is off, else a cached trial for this adapter, else a new trial.
   */
  private async choosePlan(weights: LlamaWeights, opts: LoadModelOptions, hooks: LlmHooks, signal: AbortSignal): Promise<KernelPlan> {
    const trial = trialWeights(weights);
    if (opts.kernelPlan) return { ...sanitizePlan(this.rt, opts.kernelPlan), source: 'link' };
    if (opts.autotune === false) return defaultPlan(this.rt, [...trial.keys()]);
    const cache = await this.plans();
    const key = planKey(trial.keys());
    const hit = await cache.get(adapterKey(this.rt), key);
    if (hit) return { ...sanitizePlan(this.rt, hit), source: 'cache' };
    hooks.progress('tuning kernels', 0, trial.size, 'items');
    const plan = await tuneMatvec(this.rt, trial, { signal });
    await cache.set(adapterKey(this.rt), key, plan);
    const summary = Object.entries(plan.trials ?? {})
      .map(([t, r]) => `${t} ${Object.entries(r!.ms).map(([c, ms]) => `${c} ${ms.toFixed(3)} ms`).join(', ')}`)
      .join('; ');
    hooks.log('info', `Tuned the decode matvec on this device: ${summary}.`);
    return plan;
  }

  get loaded(): ModelInfo | null {
    return this.info;
  }

  /** A cached copy of a URL source when there is one: then no byte comes from the network. */
  private async cachedSource(source: ModelSource, store: ModelStore): Promise<ByteSource | null> {
    if (source.kind !== 'url' || !source.cache) return null;
    const blob = await store.get(source.url);
    return blob ? blobSource(blob, sourceOf(source).name) : null;
  }

  /** Read the header (from the cache, or one or two Range requests) and hold the model against this device. */
  async inspect(source: ModelSource, opts: LoadModelOptions, store: ModelStore, budget: MemoryBudget, signal: AbortSignal): Promise<ModelFit> {
    const cached = await this.cachedSource(source, store);
    const src = cached ?? sourceOf(source);
    const file = await parseGguf(src, { signal });
    const cfg = readLlamaConfig(file);
    const reasonsExtra: string[] = [];
    const est = estimateFit(file, cfg, this.rt.limits, {
      contextLength: opts.contextLength,
      prefillChunk: opts.prefillChunk,
      isSoftware: this.rt.report.adapter.isSoftware,
      kvType: opts.kvType,
      budgetBytes: budget.bytes,
      budgetSource: budget.source,
    });
    // A download lands in the browser's storage first: say so when the file will not fit there.
    if (!cached && source.kind === 'url' && source.cache) {
      const storage = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.().catch(() => undefined);
      const free = storage?.quota !== undefined && storage.usage !== undefined ? Math.max(0, storage.quota - storage.usage) : undefined;
      if (free !== undefined && file.byteLength > free) {
        reasonsExtra.push(
          `The file (${fmtBytes(file.byteLength)}) is larger than the ${fmtBytes(free)} of browser storage this site may still use: delete cached models or free disk space first.`,
        );
      }
    }
    return {
      name: cfg.name,
      arch: cfg.arch,
      source: src.name,
      fileBytes: file.byteLength,
      tensorTypes: tensorTypes(file),
      params: paramCount(file),
      budgetBytes: budget.bytes,
      budgetSource: budget.source,
      cached: cached !== null,
      ...est,
      reasons: [...est.reasons, ...reasonsExtra],
    };
  }

  async load(source: ModelSource, opts: LoadModelOptions, hooks: LlmHooks, signal: AbortSignal, store: ModelStore): Promise<ModelInfo> {
    const t0 = performance.now();
    const cachedSrc = await this.cachedSource(source, store);
    const fromCache = cachedSrc !== null;
    let src = cachedSrc ?? sourceOf(source);
    hooks.progress('reading header', 0, 1, 'items');
    let file = await parseGguf(src, { signal });
    let cfg = readLlamaConfig(file);
    if (source.kind === 'url' && source.cache && !fromCache) {
      // The header read by Range said the model is one we can run: now fetch it whole into the
      // cache and load from there.
      const blob = await downloadToStore(store, source.url, {
        signal,
        onProgress: (p) => hooks.progress('downloading', p.done, p.total || file.byteLength, 'bytes'),
      });
      src = blobSource(blob, src.name);
      file = await parseGguf(src, { signal });
      cfg = readLlamaConfig(file);
    }
    const tokenizer = createTokenizer(specFromGgufMetadata(file.metadata));
    if (tokenizer.spec.tokens.length < cfg.vocab) {
      throw loadError('ModelLoad', `The tokenizer has ${tokenizer.spec.tokens.length} tokens but the model's vocabulary is ${cfg.vocab}.`);
    }
    throwIfAborted(signal, 'Loading the model');
    // The new model replaces the old one only once it has loaded: until then the old one stays usable.
    const weights = await loadLlamaWeights(this.rt, file, src, cfg, {
      signal,
      onProgress: (p) => hooks.progress('loading weights', p.done, p.total, 'bytes'),
    });
    let model: LlamaModel;
    let session: LlamaSession;
    let plan: KernelPlan;
    try {
      plan = await this.choosePlan(weights, opts, hooks, signal);
      model = await LlamaModel.create(this.rt, cfg, weights, {
        plan,
        contextLength: opts.contextLength,
        prefillChunk: opts.prefillChunk,
        kvType: opts.kvType,
        onCompile: (d, t) => hooks.progress('compiling shaders', d, t, 'items'),
      });
      session = await LlamaSession.create(this.rt, model, tokenizer);
    } catch (e) {
      releaseLlamaWeights(this.rt, weights);
      throw e;
    }
    this.unload();
    this.session = session;
    const params = paramCount(file);
    this.info = {
      name: cfg.name,
      arch: cfg.arch,
      source: src.name,
      fileBytes: file.byteLength,
      tensorTypes: tensorTypes(file),
      params,
      vocab: cfg.vocab,
      dim: cfg.dim,
      layers: cfg.layers,
      heads: cfg.heads,
      kvHeads: cfg.kvHeads,
      headDim: cfg.headDim,
      trainedContext: cfg.contextLength,
      contextLength: model.nCtx,
      weightBytes: weights.bytes,
      decodeBytesPerToken: decodeWeightBytes(cfg, weights),
      kvCacheBytes: model.kv.bytes,
      kvType: model.kv.dtype,
      activationBytes: model.activationBytes,
      fromCache,
      kernelPlan: plan,
      tokenizer: `${tokenizer.spec.model}${tokenizer.spec.pre ? ` (${tokenizer.spec.pre})` : ''}`,
      hasChatTemplate: Boolean(tokenizer.spec.chatTemplate),
      bosId: tokenizer.bosId,
      eosIds: [...tokenizer.eogIds],
      loadMs: performance.now() - t0,
    };
    hooks.log('info', `Loaded ${cfg.name}: ${cfg.layers} layers, dim ${cfg.dim}, ${weightFileBytes(file, cfg)} weight bytes in ${(this.info.loadMs / 1000).toFixed(1)} s.`);
    return this.info;
  }

  private tokenizer(): Tokenizer {
    return this.requireSession().tokenizer;
  }

  private requireSession(): LlamaSession {
    if (!this.session) throw new EngineError('ModelLoad', 'No model is loaded.', { hint: 'Load a model first (the embedded one works offline).' });
    return this.session;
  }

  /** Token ids of a request: the chat template rendered (or the raw prompt), BOS as the model wants. */
  promptIds(req: GenerateRequest): number[] {
    const tok = this.tokenizer();
    if (req.mode === 'raw') return tok.encode(req.prompt ?? '', { parseSpecial: false });
    const messages = req.messages ?? [];
    if (messages.length === 0) throw new EngineError('Unsupported', 'A chat request needs at least one message.');
    const template = tok.spec.chatTemplate ?? fallbackChatTemplate;
    const text = renderChat(template, messages, {
      addGenerationPrompt: true,
      bosToken: tok.bosId !== undefined ? tok.tokenText(tok.bosId) : '',
      eosToken: tok.eosId !== undefined ? tok.tokenText(tok.eosId) : '',
    });
    return tok.encode(text);
  }

  async generate(
    req: GenerateRequest,
    signal: AbortSignal,
    onToken: (t: TokenEvent) => void,
  ): Promise<GenerationResult> {
    const session = this.requireSession();
    const prompt = this.promptIds(req);
    const r = await session.generate(prompt, req.sampling, { signal, onToken, profile: req.profile, dumpLogits: req.dumpLogits });
    return { text: r.text, promptTokenIds: prompt, tokenIds: r.tokenIds, finish: r.finish, stats: r.stats, logits: r.logits };
  }

  reset(): void {
    this.session?.reset();
  }

  unload(): void {
    if (!this.session) return;
    const m = this.session.model;
    this.session.release();
    m.release();
    releaseLlamaWeights(this.rt, m.weights);
    this.session = null;
    this.info = null;
  }
}
