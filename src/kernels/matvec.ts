// Decode-time matvec: y[N] = w[N, K] · x[K] with dense weights. Shader: shaders/matvec.wgsl.
// Two variants, chosen per device: `rows` (one invocation per row, no barriers: best on CPU-backed
// adapters) and `coop` (a workgroup per row with a reduction: best on real GPUs).
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';
import { weightBytes, weightDefines, weightStorage, type DenseWeightType, type WeightStorage } from './weights';

export type MatvecVariant = 'rows' | 'coop';

export interface MatvecOptions {
  weights: DenseWeightType;
  variant?: MatvecVariant;
  subgroups?: boolean;
  forcePacked?: boolean;
}

export interface MatvecArgs {
  x: Binding;
  w: Binding;
  y: Binding;
  N: number;
  K: number;
}

export interface MatvecKernel {
  readonly label: string;
  readonly storage: WeightStorage;
  encode(rec: Recorder, args: MatvecArgs): void;
}

/** Default variant for a device; the autotuner may override it later. */
export function defaultMatvecVariant(rt: GpuRuntime): MatvecVariant {
  return rt.report.adapter.isSoftware ? 'rows' : 'coop';
}

export async function matvec(rt: GpuRuntime, opts: MatvecOptions): Promise<MatvecKernel> {
  const storage = weightStorage(rt, opts.weights, opts.forcePacked);
  const variant = opts.variant ?? defaultMatvecVariant(rt);
  const subgroups = variant === 'coop' && (opts.subgroups ?? rt.caps.subgroups) && rt.caps.subgroups;
  const wg = variant === 'rows' ? 64 : 128;
  const label = `matvec.${variant}${subgroups ? '-sg' : ''}-${storage}`;
  const pipeline = await rt.pipelines.get({
    shader: 'matvec',
    label,
    defines: { ...weightDefines(storage, rt), WG_SIZE: wg, ROWS: variant === 'rows', COOP: variant === 'coop', SUBGROUPS: subgroups },
  });
  return {
    label,
    storage,
    encode(rec, { x, w, y, N, K }) {
      guardDim(label, 'N', N);
      guardDim(label, 'K', K);
      guardIndex(label, 'w', N * K);
      guardBytes(label, 'x', x, K * 4);
      guardBytes(label, 'w', w, weightBytes(storage, N * K));
      guardBytes(label, 'y', y, N * 4);
      const groups = variant === 'rows' ? Math.ceil(N / wg) : N;
      rec.dispatch({ pipeline, label, bindings: [x, w, y], workgroups: foldGroups(groups), uniforms: packUniforms([N, K]) });
    },
  };
}
