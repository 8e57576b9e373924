// The typed boundary between the UI thread and the engine worker. Everything here is plain data
// (structured-clone safe). The worker implements EngineApi; the client (client.ts) wraps it with
// Comlink and is the only thing the store talks to. Events of every kind come back through the one
// sink passed to `connect`.
import type { ErrorName, WireError } from '../util/errors';

export type { ErrorName, WireError };

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallback: boolean;
  /** CPU-backed adapter (SwiftShader, llvmpipe, WARP): correct, but far slower than a GPU. */
  isSoftware: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface DeviceInfo {
  adapter: AdapterInfo;
  features: string[];
  limits: Record<string, number>;
  caps: { f16: boolean; subgroups: boolean; timestamps: boolean };
}

export type MemoryCategory = 'weights' | 'kv-cache' | 'activations' | 'staging' | 'uniforms';

export interface MemorySnapshot {
  /** Bytes held by live buffers, per category (the pool is the only source of truth). */
  live: Record<MemoryCategory, number>;
  /** Bytes in the pool's free lists. */
  cached: number;
  total: number;
  peak: number;
  buffers: number;
  /** The device limits the gauge compares against. */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface SelfTestCase {
  kernel: string;
  name: string;
  variant: string;
  pass: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  summary: string;
  gpuMs: number | null;
  /** 'timestamp': GPU timestamp queries; 'cpu': the whole submit timed on the CPU. */
  timing: 'timestamp' | 'cpu' | 'none';
  error?: string;
}

export interface SelfTestOptions {
  /** Kernel families to run (default: all). */
  kernels?: string[];
}

export interface SelfTestSummary {
  total: number;
  passed: number;
  failed: number;
  /** Cases the device cannot run (e.g. native f16 without shader-f16), listed by name. */
  notApplicable: string[];
  wallMs: number;
}

export interface InitOptions {
  /** Features to leave off even when the adapter has them, to exercise fallbacks. */
  disableFeatures?: string[];
  /** Debug switch: destroy buffers on release instead of reusing them. */
  noBufferReuse?: boolean;
}

// ---- LLM ----

/** Where a model comes from. A File keeps working across the worker boundary (structured clone). */
export type ModelSource =
  /** `cache`: keep a copy in the browser's model cache (OPFS) and load from it, so a reload needs
   *  no network. Without it the file is read with HTTP Range requests straight into GPU buffers. */
  | { kind: 'url'; url: string; cache?: boolean }
  | { kind: 'file'; file: File }
  | { kind: 'bytes'; name: string; bytes: ArrayBuffer };

/** A model file kept in the browser's persistent cache. */
export interface CachedModel {
  url: string;
  /** The file name part of the URL. */
  name: string;
  bytes: number;
  /** ms since the epoch. */
  savedAt: number;
}

export interface CacheListing {
  models: CachedModel[];
  /** Where the cache lives ('opfs'), or 'memory' when the browser has no OPFS (lost on reload). */
  backend: 'opfs' | 'memory';
  /** navigator.storage.estimate(), when the browser gives it. */
  usage?: number;
  quota?: number;
}

export type FitVerdict = 'fits' | 'tight' | 'too-big';

/** What a model needs against what the device allows, read from the GGUF header alone. */
export interface ModelFit {
  name: string;
  arch: string;
  source: string;
  fileBytes: number;
  tensorTypes: Record<string, number>;
  params: number;
  contextLength: number;
  weightBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  totalBytes: number;
  largestTensor: { name: string; bytes: number };
  /** The memory the verdict was held against, and where that number came from. */
  budgetBytes: number;
  budgetSource: string;
  /** Is the file already in the browser cache (no download needed)? */
  cached: boolean;
  verdict: FitVerdict;
  /** Plain sentences: why it does not fit, or what is tight. Empty when it fits easily. */
  reasons: string[];
}

/** A decode matvec variant: one invocation per row, or a workgroup per row (optionally with subgroups). */
export interface MatvecChoice {
  variant: 'rows' | 'coop';
  subgroups: boolean;
}

/** Which kernel variants a model runs on this device (src/perf/autotune.ts); carried in share links. */
export interface KernelPlan {
  /** Decode matvec per weight type (q4_0, q8_0, f16, ...). */
  qmatvec: Partial<Record<string, MatvecChoice>>;
  /** default: the device guess; tuned: a trial just now; cache: a trial on an earlier visit; link: from a share link. */
  source: 'default' | 'tuned' | 'cache' | 'link';
  /** The adapter it was chosen on. */
  adapter: string;
  /** Per type: the shape timed and the median ms per dispatch of each candidate. */
  trials?: Partial<Record<string, { shape: [number, number]; ms: Record<string, number> }>>;
}

export interface LoadModelOptions {
  /** Use these kernel variants (a share link's) instead of tuning. */
  kernelPlan?: KernelPlan;
  /** Time the variants on first use (default true); false keeps the device guess. */
  autotune?: boolean;
  /** Positions the KV cache holds (default min(trained context, 2048)). */
  contextLength?: number;
  /** Tokens per prefill step (default 64). */
  prefillChunk?: number;
  /** KV cache element type (f16 halves its memory). */
  kvType?: 'f32' | 'f16';
}

/** The KV cache type a load uses unless told otherwise. */
export const DEFAULT_KV_TYPE: 'f32' | 'f16' = 'f16';

export interface ModelInfo {
  name: string;
  arch: string;
  source: string;
  fileBytes: number;
  /** Tensor type -> number of tensors, e.g. { Q4_K: 154, Q6_K: 16, F32: 49 }. */
  tensorTypes: Record<string, number>;
  params: number;
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  trainedContext: number;
  /** Positions the KV cache was allocated for. */
  contextLength: number;
  weightBytes: number;
  /** Bytes one decode token reads of the weights (the roofline gauge's numerator per token). */
  decodeBytesPerToken: number;
  kvCacheBytes: number;
  kvType: 'f32' | 'f16';
  activationBytes: number;
  /** Was it loaded from the browser's model cache? */
  fromCache: boolean;
  /** The kernel variants it runs with, and where they came from. */
  kernelPlan: KernelPlan;
  tokenizer: string;
  hasChatTemplate: boolean;
  bosId?: number;
  eosIds: number[];
  loadMs: number;
}

export interface SamplingSettings {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP: number;
  /** 1 = off. */
  repetitionPenalty: number;
  /** How many recent tokens the penalty looks at. */
  repeatLastN: number;
  seed: number;
  maxTokens: number;
  /** Extra stop strings (the model's end-of-generation tokens always stop). */
  stop?: string[];
}

export const DEFAULT_SAMPLING: SamplingSettings = {
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repetitionPenalty: 1.1,
  repeatLastN: 64,
  seed: 42,
  maxTokens: 256,
};

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  /** 'chat' renders `messages` with the model's chat template; 'raw' continues `prompt` as is. */
  mode: 'chat' | 'raw';
  prompt?: string;
  messages?: ChatTurn[];
  sampling: SamplingSettings;
  /** Time every kernel of every step with timestamp queries (slower; feeds the per-kernel gauge). */
  profile?: boolean;
  /** Also return the top-K logits of every step (reads the logits back: slow, for debugging). */
  dumpLogits?: number;
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'context' | 'cancelled';

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens whose KV entries were reused from the previous turn. */
  reusedTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  /** Wall time of each decode step (ms), for the latency sparkline. */
  stepMs: number[];
  /** GPU ms per kernel label, summed over decode steps (profile only). */
  kernelMs?: Record<string, number>;
  kernelTiming?: 'timestamp' | 'cpu';
}

export interface GenerationResult {
  text: string;
  promptTokenIds: number[];
  tokenIds: number[];
  finish: FinishReason;
  stats: GenerationStats;
  /** dumpLogits: per generated token, the top-K (id, logit) before sampling. */
  logits?: [number, number][][];
}

// ---- Images ----

/** RGBA bytes, row-major (what ImageData holds). Crosses the boundary transferred, not copied. */
export interface ImageRgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface UpscaleRequest {
  image: ImageRgba;
  scale: 2 | 3 | 4;
  /** Where the upscaler's model files are served: <base>x<scale>/model.json (the app serves esrgan-slim's). */
  modelBase: string;
  /** Input pixels per tile (default 128). */
  tile?: number;
}

export interface UpscaleResult {
  image: ImageRgba;
  scale: number;
  ms: number;
  tiles: number;
}

/** A Stable Diffusion pipeline in diffusers layout on a hub (stabilityai/sd-turbo and the like). */
export interface SdModelRef {
  hub: string;
  repo: string;
  revision?: string;
  /** A TAESD repo for per-step previews and fast decoding (madebyollin/taesd); none: no TAESD. */
  taesd?: string;
  /** Prefer the repo's `.fp16` weight files. */
  fp16?: boolean;
  /** Weight matrices on the GPU: f16 (half the memory, default), f32, or i8 (int8 blocks, a quarter). */
  weights?: 'f16' | 'f32' | 'i8';
}

export type ImageSampler = 'ddim' | 'euler' | 'euler_ancestral' | 'lcm';

export interface ImageGenRequest {
  prompt: string;
  steps: number;
  guidance: number;
  seed: number;
  /** Where the embedded image model's files are served (config.json, safetensors, vocab, scheduler). */
  modelBase: string;
  /** A hub SD model instead of the embedded emoji model. */
  sd?: SdModelRef;
  /** SD only: size in pixels, negative prompt, sampler (default: the repo's), decoder. */
  width?: number;
  height?: number;
  negativePrompt?: string;
  sampler?: ImageSampler;
  decoder?: 'vae' | 'taesd';
}

export interface ImageGenResult {
  image: ImageRgba;
  prompt: string;
  tokenIds: number[];
  stepMs: number[];
  /** Model load + compile, first call only. */
  loadMs: number;
  /** Which model ran ("emoji-unet" or the hub repo) and with which sampler. */
  model: string;
  sampler: ImageSampler;
  /** SD: text encoder and image decoder time (ms). */
  textMs?: number;
  decodeMs?: number;
  /** GPU weight bytes of the model that ran. */
  weightBytes: number;
  /** When the repo's scheduler was replaced (e.g. PNDM -> DDIM), what was done. */
  note?: string;
}

/** One sampled token, streamed as it is sampled. */
export interface TokenEvent {
  index: number;
  id: number;
  text: string;
  /** With dumpLogits: the top-K (id, logit) pairs it was sampled from. */
  top?: [number, number][];
  /** Wall ms of the step that produced it: the whole prefill for index 0, one decode step after. */
  ms: number;
  /** Index 0 only: prompt tokens prefilled (not reused from the KV cache). */
  prefillTokens?: number;
  /** With profile: GPU (or CPU-timed) ms per kernel label of the step that produced it. */
  kernels?: Record<string, number>;
  kernelTiming?: 'timestamp' | 'cpu';
}

/** The copy kernel's bandwidth on this device: the roofline gauge's ceiling. */
export interface BandwidthReport {
  bytes: number;
  ms: number;
  /** (read + write) bytes per second / 1e9. */
  gbps: number;
  timing: 'timestamp' | 'cpu';
}

export type EngineEvent =
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; time: number }
  | { type: 'progress'; callId: number; stage: string; done: number; total: number; unit: 'bytes' | 'items' }
  | { type: 'selftest'; callId: number; index: number; total: number; result: SelfTestCase }
  | { type: 'metrics'; memory: MemorySnapshot }
  | { type: 'device-lost'; error: WireError }
  | ({ type: 'token'; callId: number } & TokenEvent)
  | { type: 'generation'; callId: number; stats: GenerationStats }
  /** A diffusion step finished: its predicted clean image (transferred) and how long it took. */
  | { type: 'image-step'; callId: number; step: number; total: number; ms: number; preview: ImageRgba | null; approximate?: boolean };

export type EventSink = (event: EngineEvent) => void;

/** What the worker exposes. Long calls take a callId so the client can cancel them. */
export interface EngineApi {
  /** Register the one event sink (a Comlink proxy). */
  connect(sink: EventSink): void;
  /** Acquire the GPU: throws WebGPUUnavailable with what to do when there is none. */
  init(callId: number, opts?: InitOptions): Promise<DeviceInfo>;
  /** Run the kernel suite against CPU references; one 'selftest' event per case. */
  selfTest(callId: number, opts?: SelfTestOptions): Promise<SelfTestSummary>;
  /** Kernel families the self-test knows, with their case counts. */
  listKernels(): Promise<Record<string, number>>;
  memory(): Promise<MemorySnapshot | null>;
  /** Abort the call with this id (it rejects with Cancelled at its next checkpoint). */
  cancel(callId: number): void;
  /** Load a GGUF (streamed into GPU buffers); replaces the current model. 'progress' events carry bytes. */
  loadModel(callId: number, source: ModelSource, opts?: LoadModelOptions): Promise<ModelInfo>;
  /** Read a model's GGUF header (a Range request for URLs) and say whether it fits this device. */
  inspectModel(callId: number, source: ModelSource, opts?: LoadModelOptions): Promise<ModelFit>;
  listCachedModels(): Promise<CacheListing>;
  deleteCachedModel(url: string): Promise<CacheListing>;
  /** Time a plain copy kernel (the roofline ceiling); cached per device. */
  measureBandwidth(callId: number): Promise<BandwidthReport>;
  /** Upscale an image with esrgan-slim on the playground's conv kernels; 'progress' events count tiles. */
  upscale(callId: number, req: UpscaleRequest): Promise<UpscaleResult>;
  /** Generate an image with the embedded emoji UNet; 'image-step' events carry a preview per step. */
  generateImage(callId: number, req: ImageGenRequest): Promise<ImageGenResult>;
  /** Debugging and tests: destroy the GPU device as a driver reset would (a 'device-lost' event follows). */
  simulateDeviceLoss(): Promise<void>;
  /** Generate, streaming 'token' events; the KV cache is reused across calls that share a prefix. */
  generate(callId: number, req: GenerateRequest): Promise<GenerationResult>;
  /** Forget the conversation's KV cache (the next generate prefills from scratch). */
  resetContext(): Promise<void>;
  unloadModel(): Promise<void>;
  /** Release the device and every buffer. */
  dispose(): Promise<void>;
}
