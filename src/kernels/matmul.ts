// Tiled matmul for prefill and batched work: out[M, N] = a[M, K] · w[N, K]ᵀ with dense weights.
// Shader: shaders/matmul.wgsl (64x64 output tiles, 4x4 per invocation).
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';
import { weightBytes, weightDefines, weightStorage, type DenseWeightType, type WeightStorage } from './weights';

const TILE = 64;

export interface MatmulArgs {
  a: Binding;
  w: Binding;
  out: Binding;
  M: number;
  N: number;
  K: number;
}

export interface MatmulKernel {
  readonly label: string;
  readonly storage: WeightStorage;
  encode(rec: Recorder, args: MatmulArgs): void;
}

export async function matmul(rt: GpuRuntime, opts: { weights: DenseWeightType; forcePacked?: boolean }): Promise<MatmulKernel> {
  const storage = weightStorage(rt, opts.weights, opts.forcePacked);
  const label = `matmul.tile64-${storage}`;
  const pipeline = await rt.pipelines.get({ shader: 'matmul', label, defines: weightDefines(storage, rt) });
  return {
    label,
    storage,
    encode(rec, { a, w, out, M, N, K }) {
      guardDim(label, 'M', M);
      guardDim(label, 'N', N);
      guardDim(label, 'K', K);
      guardIndex(label, 'w', N * K);
      guardIndex(label, 'a', M * K);
      guardIndex(label, 'out', M * N);
      guardBytes(label, 'a', a, M * K * 4);
      guardBytes(label, 'w', w, weightBytes(storage, N * K));
      guardBytes(label, 'out', out, M * N * 4);
      const workgroups = [Math.ceil(N / TILE), Math.ceil(M / TILE)] as const;
      if (workgroups[0] > rt.limits.maxComputeWorkgroupsPerDimension) {
        throw new Error(`${label}: N=${N} needs ${workgroups[0]} workgroups in x, more than this device allows; split the weight`);
      }
      rec.dispatch({ pipeline, label, bindings: [a, w, out], workgroups, uniforms: packUniforms([M, N, K]) });
    },
  };
}
