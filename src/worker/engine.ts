// The engine that lives in the worker: owns the GPU device and the runtime, runs calls, reports
// through the one event sink, and turns every failure into a named EngineError. It takes the GPU
// entry point as a parameter so the same class runs in the browser worker and in Node tests (Dawn).
import type {
  BandwidthReport,
  CacheListing,
  DeviceInfo,
  EngineApi,
  EngineEvent,
  EventSink,
  GenerateRequest,
  GenerationResult,
  InitOptions,
  LoadModelOptions,
  MemorySnapshot,
  ModelFit,
  ModelInfo,
  ModelSource,
  SelfTestOptions,
  SelfTestSummary,
  UpscaleRequest,
  UpscaleResult,
  ImageGenRequest,
  ImageGenResult,
} from '../engine/protocol';
import * as Comlink from 'comlink';
import { ImageHost } from './images';
import { LlmHost, memoryBudget } from './llm';
import { memoryStore, opfsStore, type ModelStore } from './model-store';
import { opfsPlanCache } from './plan-cache';
import type { PlanCache } from '../perf/autotune';
import { copyBandwidth } from '../perf/roofline';
import { acquireDevice, WANTED_FEATURES, type WantedFeature } from '../runtime/device';
import { GpuRuntime } from '../runtime/runtime';
import { applicable } from '../kernels/check/cases';
import { KERNEL_SUITE } from '../kernels/suite';
import { asEngineError, EngineError, throwIfAborted } from '../util/errors';

export interface EngineHost {
  /** navigator.gpu in a browser; a Dawn GPU object in Node. */
  gpu(): GPU | undefined;
}

export class Engine implements EngineApi {
  private sink: EventSink = () => {};
  private rt: GpuRuntime | null = null;
  private info: DeviceInfo | null = null;
  private lost: EngineError | null = null;
  private llm: LlmHost | null = null;
  private images: ImageHost | null = null;
  private readonly aborts = new Map<number, AbortController>();
  private store: Promise<ModelStore> | null = null;
  private plans: Promise<PlanCache> | null = null;
  private bandwidth: BandwidthReport | null = null;

  constructor(private readonly host: EngineHost) {}

  connect(sink: EventSink): void {
    this.sink = sink;
  }

  private emit(e: EngineEvent): void {
    try {
      this.sink(e);
    } catch {
      // A sink that went away (page closed) must not break the engine.
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message, time: Date.now() });
  }

  /** Run a call with its own AbortSignal; errors leave as EngineErrors. */
  private async track<T>(callId: number, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    this.aborts.set(callId, ac);
    try {
      return await body(ac.signal);
    } catch (e) {
      const err = asEngineError(e);
      if (err.name !== 'Cancelled') this.log('error', `${err.name}: ${err.message}${err.detail ? `\n${err.detail}` : ''}`);
      throw err;
    } finally {
      this.aborts.delete(callId);
    }
  }

  cancel(callId: number): void {
    this.aborts.get(callId)?.abort();
  }

  init(callId: number, opts: InitOptions = {}): Promise<DeviceInfo> {
    return this.track(callId, async () => {
      if (this.rt && !this.lost) return this.info as DeviceInfo;
      this.rt?.destroy();
      this.rt = null;
      this.llm = null;
      this.images = null;
      this.lost = null;
      const disable = (opts.disableFeatures ?? []).filter((f): f is WantedFeature =>
        (WANTED_FEATURES as readonly string[]).includes(f),
      );
      let mine: GpuRuntime | null = null;
      const ctx = await acquireDevice(this.host.gpu(), {
        disableFeatures: disable,
        onLost: (error) => {
          // A device the engine released itself (re-init, dispose) is no longer this.rt by the
          // time its loss resolves: nothing to report. Any other loss of the current device is.
          if (mine === null || this.rt !== mine) return;
          this.lost = error;
          for (const ac of this.aborts.values()) ac.abort();
          this.emit({ type: 'device-lost', error: error.toWire() });
        },
        onUncapturedError: (m) => this.log('error', `Uncaught WebGPU error: ${m}`),
      });
      this.rt = mine = new GpuRuntime(ctx, { reuse: !opts.noBufferReuse, profiling: ctx.caps.timestamps });
      this.bandwidth = null;
      this.llm = new LlmHost(this.rt, () => this.planCache());
      this.images = new ImageHost(this.rt, () => this.modelStore());
      this.info = ctx.report;
      const a = ctx.report.adapter;
      this.log('info', `GPU ready: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}`);
      if (a.isSoftware) this.log('warn', 'This is a software (CPU-backed) adapter: results are correct but slow.');
      this.emitMemory();
      return this.info;
    });
  }

  private runtime(): GpuRuntime {
    if (this.lost) {
      throw new EngineError('DeviceLost', this.lost.message, { hint: 'Restart the engine to get a new GPU device.' });
    }
    if (!this.rt) throw new EngineError('Internal', 'The engine is not initialised: call init() first.');
    return this.rt;
  }

  private emitMemory(): void {
    const m = this.snapshot();
    if (m) this.emit({ type: 'metrics', memory: m });
  }

  private snapshot(): MemorySnapshot | null {
    if (!this.rt) return null;
    const s = this.rt.pool.stats();
    return {
      live: { ...s.live },
      cached: s.cached,
      total: s.total,
      peak: s.peak,
      buffers: s.buffers,
      maxBufferSize: this.rt.limits.maxBufferSize,
      maxStorageBufferBindingSize: this.rt.limits.maxStorageBufferBindingSize,
    };
  }

  async memory(): Promise<MemorySnapshot | null> {
    return this.snapshot();
  }

  async listKernels(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(KERNEL_SUITE).map(([k, v]) => [k, v.length]));
  }

  selfTest(callId: number, opts: SelfTestOptions = {}): Promise<SelfTestSummary> {
    return this.track(callId, async (signal) => {
      const rt = this.runtime();
      const families = opts.kernels ?? Object.keys(KERNEL_SUITE);
      const unknown = families.filter((f) => !(f in KERNEL_SUITE));
      if (unknown.length > 0) {
        throw new EngineError('Unsupported', `No kernel family named ${unknown.join(', ')}.`, {
          hint: `Known families: ${Object.keys(KERNEL_SUITE).join(', ')}.`,
        });
      }
      const all = families.flatMap((f) => KERNEL_SUITE[f]);
      const cases = all.filter((c) => applicable(c, rt.caps));
      const notApplicable = all.filter((c) => !applicable(c, rt.caps)).map((c) => `${c.kernel} ${c.name}`);
      const t0 = performance.now();
      let passed = 0;
      for (let i = 0; i < cases.length; i++) {
        throwIfAborted(signal, 'The self-test');
        const result = await cases[i].run(rt);
        if (this.lost) throw this.lost;
        if (result.pass) passed++;
        this.emit({ type: 'selftest', callId, index: i, total: cases.length, result });
        this.emit({ type: 'progress', callId, stage: 'self-test', done: i + 1, total: cases.length, unit: 'items' });
      }
      this.emitMemory();
      const summary = { total: cases.length, passed, failed: cases.length - passed, notApplicable, wallMs: performance.now() - t0 };
      this.log(summary.failed ? 'error' : 'info', `Self-test: ${passed}/${cases.length} kernel cases match their CPU references.`);
      return summary;
    });
  }

  private llmHost(): LlmHost {
    this.runtime();
    return this.llm as LlmHost;
  }

  /** Tuned kernel plans: OPFS in a browser, memory in Node. */
  private planCache(): Promise<PlanCache> {
    this.plans ??= opfsPlanCache();
    return this.plans;
  }

  /** The persistent model cache: OPFS in a browser, memory where there is none (Node tests). */
  private modelStore(): Promise<ModelStore> {
    this.store ??= opfsStore().then((s) => s ?? memoryStore());
    return this.store;
  }

  async listCachedModels(): Promise<CacheListing> {
    const store = await this.modelStore();
    const models = await store.list();
    const est = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.().catch(() => undefined);
    return { models, backend: store.backend, usage: est?.usage, quota: est?.quota };
  }

  async deleteCachedModel(url: string): Promise<CacheListing> {
    await (await this.modelStore()).delete(url);
    this.log('info', `Removed ${url} from the model cache.`);
    return this.listCachedModels();
  }

  inspectModel(callId: number, source: ModelSource, opts: LoadModelOptions = {}): Promise<ModelFit> {
    return this.track(callId, async (signal) => this.llmHost().inspect(source, opts, await this.modelStore(), memoryBudget(), signal));
  }

  measureBandwidth(callId: number): Promise<BandwidthReport> {
    return this.track(callId, async () => {
      const rt = this.runtime();
      this.bandwidth ??= await copyBandwidth(rt, { maxBytes: 16 << 20, runs: 5 });
      this.emitMemory();
      return this.bandwidth;
    });
  }

  upscale(callId: number, req: UpscaleRequest): Promise<UpscaleResult> {
    return this.track(callId, async (signal) => {
      this.runtime();
      const images = this.images as ImageHost;
      const r = await images.upscale(req, signal, (done, total) => this.emit({ type: 'progress', callId, stage: 'upscaling', done, total, unit: 'items' }));
      if (this.lost) throw this.lost;
      this.emitMemory();
      // The pixels go back transferred, not copied.
      return Comlink.transfer(r, [r.image.data.buffer]);
    });
  }

  generateImage(callId: number, req: ImageGenRequest): Promise<ImageGenResult> {
    return this.track(callId, async (signal) => {
      this.runtime();
      const images = this.images as ImageHost;
      const r = await images.generate(
        req,
        signal,
        (step, total, ms, preview, approximate) => {
          this.emit(Comlink.transfer({ type: 'image-step', callId, step, total, ms, preview, approximate }, preview ? [preview.data.buffer] : []));
        },
        (stage, done, total, unit) => this.emit({ type: 'progress', callId, stage, done, total, unit }),
      );
      if (this.lost) throw this.lost;
      this.emitMemory();
      return Comlink.transfer(r, [r.image.data.buffer]);
    });
  }

  async simulateDeviceLoss(): Promise<void> {
    // As a driver reset would: the device goes away under the current runtime.
    this.runtime().device.destroy();
  }

  loadModel(callId: number, source: ModelSource, opts: LoadModelOptions = {}): Promise<ModelInfo> {
    return this.track(callId, async (signal) => {
      const llm = this.llmHost();
      const info = await llm.load(source, opts, {
        progress: (stage, done, total, unit) => this.emit({ type: 'progress', callId, stage, done, total, unit }),
        log: (level, message) => this.log(level, message),
      }, signal, await this.modelStore());
      this.emitMemory();
      return info;
    });
  }

  generate(callId: number, req: GenerateRequest): Promise<GenerationResult> {
    return this.track(callId, async (signal) => {
      const llm = this.llmHost();
      const r = await llm.generate(req, signal, (t) => this.emit({ type: 'token', callId, ...t }));
      if (this.lost) throw this.lost;
      this.emit({ type: 'generation', callId, stats: r.stats });
      this.emitMemory();
      return r;
    });
  }

  async resetContext(): Promise<void> {
    this.llm?.reset();
  }

  async unloadModel(): Promise<void> {
    this.llm?.unload();
    this.emitMemory();
  }

  async dispose(): Promise<void> {
    for (const ac of this.aborts.values()) ac.abort();
    this.llm?.unload();
    this.llm = null;
    this.images?.release();
    this.images = null;
    this.rt?.destroy();
    this.rt = null;
    this.info = null;
  }
}
