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

export type EngineEvent =
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; time: number }
  | { type: 'progress'; callId: number; stage: string; done: number; total: number; unit: 'bytes' | 'items' }
  | { type: 'selftest'; callId: number; index: number; total: number; result: SelfTestCase }
  | { type: 'metrics'; memory: MemorySnapshot }
  | { type: 'device-lost'; error: WireError };

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
  /** Release the device and every buffer. */
  dispose(): Promise<void>;
}
