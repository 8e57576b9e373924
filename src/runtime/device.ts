// Device acquisition: ask the adapter for everything it has (limits and the features the kernels
// can use), describe it for the device panel, and turn loss and uncaptured errors into typed events.
import { EngineError } from '../util/errors';

/** Features the kernels know how to use; requested when the adapter has them. */
export const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'subgroup-size-control'] as const;
export type WantedFeature = (typeof WANTED_FEATURES)[number];

/** Limit names reported to the UI and requested at the adapter's maximum. */
export const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface Caps {
  f16: boolean;
  subgroups: boolean;
  timestamps: boolean;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallback: boolean;
  /** True for CPU-backed adapters (SwiftShader, llvmpipe/lavapipe, WARP): numbers mean little there. */
  isSoftware: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface DeviceReport {
  adapter: AdapterSummary;
  features: string[];
  limits: Record<LimitName, number>;
  caps: Caps;
}

export interface DeviceEvents {
  /** The device is gone (driver reset, tab backgrounded too long, destroy()). */
  onLost?: (error: EngineError, reason: GPUDeviceLostReason) => void;
  /** A validation or out-of-memory error nobody caught with an error scope. */
  onUncapturedError?: (message: string) => void;
}

export interface AcquireOptions extends DeviceEvents {
  powerPreference?: GPUPowerPreference;
  /** Features to leave off even if the adapter has them (tests force fallback paths this way). */
  disableFeatures?: readonly WantedFeature[];
}

export interface GpuContext {
  device: GPUDevice;
  report: DeviceReport;
  caps: Caps;
}

const SOFTWARE_HINTS = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

export function describeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const legacy = adapter as unknown as { isFallbackAdapter?: boolean };
  const infoFallback = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const isFallback = Boolean(infoFallback ?? legacy.isFallbackAdapter ?? false);
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const sub = info as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallback,
    isSoftware: isFallback || SOFTWARE_HINTS.test(text),
    subgroupMinSize: sub.subgroupMinSize,
    subgroupMaxSize: sub.subgroupMaxSize,
  };
}

/** A short human name for the adapter, e.g. "google swiftshader" or "nvidia ampere". */
export function adapterName(a: AdapterSummary): string {
  return [a.vendor, a.architecture, a.description].filter((s) => s).join(' ').trim() || 'unknown adapter';
}

export async function acquireDevice(gpu: GPU | undefined, opts: AcquireOptions = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new EngineError('WebGPUUnavailable', 'This browser does not expose WebGPU (navigator.gpu is missing).', {
      hint: 'Use Chrome or Edge 113+ (or another browser with WebGPU enabled) on https:// or localhost.',
    });
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new EngineError('WebGPUUnavailable', 'WebGPU is present but no GPU adapter was returned.', {
      hint:
        'The GPU may be blocklisted or WebGPU disabled: check chrome://gpu, enable chrome://flags/#enable-unsafe-webgpu ' +
        '(on Linux start Chrome with --enable-unsafe-webgpu), and update the GPU driver.',
    });
  }
  const disabled = new Set<string>(opts.disableFeatures ?? []);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'playground' });
  } catch (e) {
    throw new EngineError('WebGPUUnavailable', `The GPU adapter refused to create a device: ${(e as Error).message}`, {
      hint: 'Close other tabs using the GPU and reload; if it persists, update the browser or GPU driver.',
      cause: e,
    });
  }
  const limits = {} as Record<LimitName, number>;
  for (const name of LIMIT_NAMES) {
    limits[name] = (device.limits as unknown as Record<string, number>)[name] ?? 0;
  }
  const has = (f: string) => device.features.has(f);
  const caps: Caps = { f16: has('shader-f16'), subgroups: has('subgroups'), timestamps: has('timestamp-query') };
  const report: DeviceReport = {
    adapter: describeAdapter(adapter),
    features: [...device.features].map(String).sort(),
    limits,
    caps,
  };
  watchDevice(device, opts);
  return { device, report, caps };
}

function watchDevice(device: GPUDevice, events: DeviceEvents): void {
  void device.lost.then((info) => {
    const intentional = info.reason === 'destroyed';
    const error = new EngineError('DeviceLost', `The GPU device was lost${info.message ? `: ${info.message}` : '.'}`, {
      hint: intentional
        ? 'The engine released the device; start it again to continue.'
        : 'The GPU driver reset or the browser reclaimed the GPU. Restart the engine; your conversation is kept.',
    });
    events.onLost?.(error, info.reason);
  });
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    events.onUncapturedError?.(`${err.constructor?.name ?? 'GPUError'}: ${err.message}`);
  });
}
