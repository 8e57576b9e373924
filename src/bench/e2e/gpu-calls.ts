// Counts the WebGPU calls every engine in the page makes (ours, ORT's JSEP written in JS, ORT's
// native EP calling through emscripten's WebGPU bindings): queue submits, compute dispatches and
// buffer maps (readbacks). The prototypes are wrapped once, so an engine cannot route around the
// count by holding its own device; wllama runs on the CPU in a worker and makes none.

export interface GpuCalls {
  submits: number;
  dispatches: number;
  maps: number;
}

const counts: GpuCalls = { submits: 0, dispatches: 0, maps: 0 };
let installed = false;

function wrap<T extends object>(proto: T, method: keyof T & string, bump: () => void): void {
  const original = proto[method] as unknown as (...args: unknown[]) => unknown;
  if (typeof original !== 'function') return;
  Object.defineProperty(proto, method, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      bump();
      return original.apply(this, args);
    },
  });
}

/** Wrap the counted methods (idempotent). Call before any engine creates its device. */
export function installGpuCallCounter(): void {
  if (installed || typeof GPUQueue === 'undefined') return;
  installed = true;
  wrap(GPUQueue.prototype, 'submit', () => counts.submits++);
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => counts.dispatches++);
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => counts.dispatches++);
  wrap(GPUBuffer.prototype, 'mapAsync', () => counts.maps++);
}

export function gpuCalls(): GpuCalls {
  return { ...counts };
}

/** Calls made between two snapshots. */
export function callsSince(before: GpuCalls): GpuCalls {
  return { submits: counts.submits - before.submits, dispatches: counts.dispatches - before.dispatches, maps: counts.maps - before.maps };
}
