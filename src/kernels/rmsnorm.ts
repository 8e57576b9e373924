// rmsnorm over the last dimension with a learned scale. Shader: shaders/rmsnorm.wgsl.
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';

export interface RowKernelOptions {
  /** Use subgroup reductions (default: when the device has subgroups). */
  subgroups?: boolean;
  /** Invocations per row (power of two, default 64). */
  workgroupSize?: number;
}

export interface RmsNormArgs {
  x: Binding;
  w: Binding;
  out: Binding;
  rows: number;
  cols: number;
  eps: number;
}

export interface RmsNormKernel {
  readonly label: string;
  encode(rec: Recorder, args: RmsNormArgs): void;
}

export function rowVariant(rt: GpuRuntime, opts: RowKernelOptions): { wg: number; subgroups: boolean; suffix: string } {
  const wg = opts.workgroupSize ?? 64;
  if (!Number.isInteger(Math.log2(wg)) || wg > rt.limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`row kernels: workgroupSize must be a power of two <= ${rt.limits.maxComputeInvocationsPerWorkgroup} (got ${wg})`);
  }
  const subgroups = (opts.subgroups ?? rt.caps.subgroups) && rt.caps.subgroups;
  return { wg, subgroups, suffix: `wg${wg}${subgroups ? '-sg' : ''}` };
}

export async function rmsnorm(rt: GpuRuntime, opts: RowKernelOptions = {}): Promise<RmsNormKernel> {
  const v = rowVariant(rt, opts);
  const label = `rmsnorm.${v.suffix}`;
  const pipeline = await rt.pipelines.get({ shader: 'rmsnorm', label, defines: { WG_SIZE: v.wg, SUBGROUPS: v.subgroups } });
  return {
    label,
    encode(rec, { x, w, out, rows, cols, eps }) {
      guardDim(label, 'rows', rows);
      guardDim(label, 'cols', cols);
      guardIndex(label, 'x', rows * cols);
      guardBytes(label, 'x', x, rows * cols * 4);
      guardBytes(label, 'w', w, cols * 4);
      guardBytes(label, 'out', out, rows * cols * 4);
      rec.dispatch({
        pipeline,
        label,
        bindings: [x, w, out],
        workgroups: foldGroups(rows),
        uniforms: packUniforms([rows, cols, { f32: eps }]),
      });
    },
  };
}
