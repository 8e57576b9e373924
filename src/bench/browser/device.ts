// The page's WebGPU runtime for browser benches and a description of where the numbers came from
// (browser, isolation, adapter), to print at the top of a run and return in its JSON.
import { acquireDevice, adapterName, type DeviceReport } from '../../runtime/device';
import { GpuRuntime } from '../../runtime/runtime';

export interface BrowserEnv {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  adapter: string;
  isSoftware: boolean;
  features: string[];
  subgroupSizes?: [number | undefined, number | undefined];
}

/** Our runtime on the page's adapter (timestamp profiling on where the device has it). */
export async function browserRuntime(onError: (message: string) => void = (m) => console.error(m)): Promise<GpuRuntime> {
  const ctx = await acquireDevice(navigator.gpu, { onUncapturedError: (m) => onError(`uncaptured WebGPU error: ${m}`) });
  return new GpuRuntime(ctx, { profiling: true });
}

export function describeEnv(report: DeviceReport): BrowserEnv {
  const a = report.adapter;
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    adapter: adapterName(a),
    isSoftware: a.isSoftware,
    features: report.features,
    subgroupSizes: a.subgroupMinSize !== undefined ? [a.subgroupMinSize, a.subgroupMaxSize] : undefined,
  };
}

/** Lines for the top of a bench's output. */
export function envLines(env: BrowserEnv): string[] {
  const chrome = /Chrom(e|ium)\/[\d.]+/.exec(env.userAgent)?.[0] ?? env.userAgent;
  return [
    `browser: ${chrome}, crossOriginIsolated=${env.crossOriginIsolated}, ${env.hardwareConcurrency} logical cores`,
    `adapter: ${env.adapter}${env.isSoftware ? ' (software: absolute times say nothing about a real GPU; read ratios)' : ''}`,
    `features: ${env.features.join(', ')}`,
  ];
}
