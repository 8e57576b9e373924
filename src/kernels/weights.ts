// How dense (non-quantized) weights are stored on the GPU, and the shader defines that read them
// (shaders/lib/weights.wgsl: load_w(i) -> f32 whatever the storage). `i8` is the diffusion models'
// memory-saving option: blocks of 32 int8 values with one f32 scale (max |w| / 127), 1.125 bytes per
// weight, a quarter of f32.
import { EngineError } from '../util/errors';
import type { GpuRuntime } from '../runtime/runtime';
import type { Defines } from '../runtime/wgsl';

/** f32, or f16 bytes (read natively with shader-f16, else unpacked from u32 pairs). */
export type DenseWeightType = 'f32' | 'f16' | 'i8';
export type WeightStorage = 'f32' | 'f16' | 'f16-packed' | 'i8';

/** Values per int8 block; a block is 9 words: the f32 scale, then 32 int8 packed 4 per word. */
export const I8_BLOCK = 32;
const I8_BLOCK_WORDS = 1 + I8_BLOCK / 4;

/** Choose the storage for a weight type: native f16 only where the device has shader-f16. */
export function weightStorage(rt: GpuRuntime, type: DenseWeightType, forcePacked = false): WeightStorage {
  if (type === 'f32' || type === 'i8') return type;
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
    case 'i8':
      return { W_I8: true, W_ELEM: 'u32' };
  }
}

/** Bytes a [rows, cols] weight occupies in a storage (packed pairs round up to whole words). */
export function weightBytes(storage: WeightStorage, elements: number): number {
  if (storage === 'i8') return Math.ceil(elements / I8_BLOCK) * I8_BLOCK_WORDS * 4;
  return storage === 'f32' ? elements * 4 : Math.ceil(elements / 2) * 4;
}

/** Quantize to int8 blocks (symmetric, scale = max |w| / 127 per 32 consecutive values). */
export function packI8Blocks(values: Float32Array): Uint32Array {
  const blocks = Math.ceil(values.length / I8_BLOCK);
  const out = new Uint32Array(blocks * I8_BLOCK_WORDS);
  const f = new Float32Array(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const start = b * I8_BLOCK;
    const end = Math.min(values.length, start + I8_BLOCK);
    let amax = 0;
    for (let i = start; i < end; i++) amax = Math.max(amax, Math.abs(values[i]));
    const scale = Math.fround(amax / 127);
    f[b * I8_BLOCK_WORDS] = scale;
    for (let i = start; i < end; i++) {
      const q = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
      const j = i - start;
      const w = b * I8_BLOCK_WORDS + 1 + (j >> 2);
      out[w] = (out[w] | ((q & 0xff) << (8 * (j & 3)))) >>> 0;
    }
  }
  return out;
}

/** The values an i8-stored weight holds, as the kernels read them (q * scale in f32). */
export function dequantI8Blocks(packed: Uint32Array, n: number): Float32Array {
  const f = new Float32Array(packed.buffer, packed.byteOffset, packed.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / I8_BLOCK);
    const j = i % I8_BLOCK;
    const word = packed[b * I8_BLOCK_WORDS + 1 + (j >> 2)];
    const q = ((word >>> (8 * (j & 3))) << 24) >> 24;
    out[i] = Math.fround(q * f[b * I8_BLOCK_WORDS]);
  }
  return out;
}
