// How dense (non-quantized) weights are stored on the GPU, and the shader defines that read them.
import { EngineError } from '../util/errors';
import type { GpuRuntime } from '../runtime/runtime';
import type { Defines } from '../runtime/wgsl';

/** f32, or f16 bytes (read natively with shader-f16, else unpacked from u32 pairs). */
export type DenseWeightType = 'f32' | 'f16';
export type WeightStorage = 'f32' | 'f16' | 'f16-packed';

/** Choose the storage for a weight type: native f16 only where the device has shader-f16. */
export function weightStorage(rt: GpuRuntime, type: DenseWeightType, forcePacked = false): WeightStorage {
  if (type === 'f32') return 'f32';
  if (rt.caps.f16 && !forcePacked) return 'f16';
  return 'f16-packed';
}

export function weightDefines(storage: WeightStorage, rt: GpuRuntime): Defines {
  switch (storage) {
    case 'f32':
      return { W_F32: true, W_ELEM: 'f32' };
    case 'f16':
      if (!rt.caps.f16) throw new EngineError('Unsupported', 'f16 weights need the shader-f16 feature, which this device lacks.');
      return { W_F16: true, W_ELEM: 'f16' };
    case 'f16-packed':
      return { W_F16_PACKED: true, W_ELEM: 'u32' };
  }
}

/** Bytes a [rows, cols] weight occupies in a storage (packed pairs round up to whole words). */
export function weightBytes(storage: WeightStorage, elements: number): number {
  return storage === 'f32' ? elements * 4 : Math.ceil(elements / 2) * 4;
}
