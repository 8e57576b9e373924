// The session store's shape: engine status and device, the model (picker, fit check, cache,
// download), the generation (chat/raw, sampling, streaming), share links, errors and the log.
import type {
  CacheListing,
  ChatTurn,
  DeviceInfo,
  GenerationStats,
  ImageRgba,
  LoadModelOptions,
  ModelFit,
  ModelInfo,
  ModelSource,
  SamplingSettings,
  SelfTestCase,
  SelfTestSummary,
} from '../engine/protocol';
import type { SharePayload } from '../share/link';
import type { ImageShareState } from './image-share';
import type { ImageGenState, ImageState } from './images';
import type { ErrorName } from '../util/errors';

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'no-webgpu' | 'lost' | 'failed';

export interface UiError {
  id: number;
  name: ErrorName;
  message: string;
  hint?: string;
  detail?: string;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: number;
}

export interface SelfTestState {
  running: boolean;
  results: SelfTestCase[];
  total: number;
  summary: SelfTestSummary | null;
}

export interface LoadState {
  stage: string;
  done: number;
  total: number;
  unit: 'bytes' | 'items';
  /** Downloads: bytes per second over the last few seconds, and the time left at that rate. */
  rate?: number;
  etaS?: number;
}

/** A finished generation, exactly as it ran (what a share link reproduces). */
export interface FinishedRun {
  mode: 'chat' | 'raw';
  system: string;
  history: ChatTurn[];
  prompt: string;
  sampling: SamplingSettings;
  text: string;
  stats: GenerationStats;
}

export interface GenState {
  running: boolean;
  /** 'raw' continues the prompt; 'chat' renders the conversation with the model's chat template. */
  mode: 'raw' | 'chat';
  /** Finished chat turns (the system prompt is kept apart). */
  messages: ChatTurn[];
  system: string;
  prompt: string;
  output: string;
  stats: GenerationStats | null;
  finish: string | null;
  /** Time every kernel (timestamp queries, or the CPU around each step) for the kernel gauge. */
  profile: boolean;
  last: FinishedRun | null;
}

export interface FitState {
  /** The URL (or file name) the check is for. */
  target: string;
  status: 'checking' | 'done' | 'error';
  result?: ModelFit;
  error?: UiError;
}

export interface ShareState {
  payload: SharePayload;
  status: 'loading' | 'running' | 'done' | 'needs-file' | 'failed';
  note?: string;
  /** After the run: did the text equal the sharer's (by hash)? */
  match?: boolean;
  viewerText?: string;
}

export interface SessionState {
  status: EngineStatus;
  device: DeviceInfo | null;
  /** The error that stopped the engine from starting (shown as a page, not a banner). */
  fatal: UiError | null;
  errors: UiError[];
  log: LogLine[];
  selfTest: SelfTestState;
  boot(): Promise<void>;
  runSelfTest(kernels?: string[]): Promise<void>;
  cancelSelfTest(): void;
  /** A fresh worker and device; the conversation stays and the model loads again. */
  restartEngine(): Promise<void>;
  /** Debugging and tests: make the engine lose its GPU device. */
  simulateDeviceLoss(): Promise<void>;
  dismissError(id: number): void;
  reportError(e: unknown): void;

  model: ModelInfo | null;
  /** Where the loaded model came from (share links and restarts use it). */
  source: ModelSource | null;
  loading: LoadState | null;
  hubBase: string;
  setHubBase(base: string): void;
  fit: FitState | null;
  cache: CacheListing | null;
  /** Options every load (and fit check) uses: context length and KV cache type. */
  loadOptions: LoadModelOptions;
  setLoadOptions(patch: Partial<LoadModelOptions>): void;
  loadModel(source: ModelSource): Promise<void>;
  loadEmbedded(): Promise<void>;
  cancelLoad(): void;
  /** Read the header of a hub model (`owner/repo/file.gguf` or a URL) and say whether it fits. */
  checkFit(input: string): Promise<void>;
  clearFit(): void;
  refreshCache(): Promise<void>;
  deleteCached(url: string): Promise<void>;

  sampling: SamplingSettings;
  gen: GenState;
  setPrompt(prompt: string): void;
  setMode(mode: 'raw' | 'chat'): void;
  setSystem(system: string): void;
  setProfile(on: boolean): void;
  /** Forget the conversation (and its KV cache). */
  newChat(): Promise<void>;
  setSampling(patch: Partial<SamplingSettings>): void;
  generate(): Promise<void>;
  /** Run the last turn again (a new seed when sampling is random). */
  regenerate(): Promise<void>;
  stopGeneration(): void;

  image: ImageState;
  setUpscaleSource(image: ImageRgba, name: string): void;
  setUpscaleScale(scale: 2 | 3 | 4): void;
  upscale(): Promise<void>;
  cancelUpscale(): void;
  /** Settings only; run state (running, step, preview, result) is the store's own. */
  setImageGen(patch: Partial<Omit<ImageGenState, 'running' | 'step' | 'total' | 'stepMs' | 'preview' | 'previewApproximate' | 'loading' | 'result'>>): void;
  generateImage(): Promise<void>;
  cancelImage(): void;
  /** Opened from an image share link: its settings, and whether our image matched. */
  imageShare: ImageShareState | null;
  /** Read an image share link from a location hash (before boot). */
  openImageShare(hash: string): void;
  /** A link reproducing the last generated image, or null when there is none. */
  imageShareLink(base: string): string | null;

  share: ShareState | null;
  /** Read a share link from a location hash (before boot): a bad one becomes an error banner. */
  openShare(hash: string): void;
  /** A link that reproduces the last finished generation, or null when there is none. */
  shareLink(base: string): string | null;
}
