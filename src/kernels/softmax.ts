// Row softmax with an optional input scale, stable for long rows and fully masked rows.
// Shader: shaders/softmax.wgsl.
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';
import { rowVariant, type RowKernelOptions } from './rmsnorm';

export interface SoftmaxArgs {
  x: Binding;
  out: Binding;
  rows: number;
  cols: number;
  /** Multiplies x before the softmax (1/sqrt(head_dim) for attention scores). Default 1. */
  scale?: number;
}

export interface SoftmaxKernel {
  readonly label: string;
  encode(rec: Recorder, args: SoftmaxArgs): void;
}

export async function softmax(rt: GpuRuntime, opts: RowKernelOptions = {}): Promise<SoftmaxKernel> {
  const v = rowVariant(rt, { workgroupSize: 128, ...opts });
  const label = `softmax.${v.suffix}`;
  const pipeline = await rt.pipelines.get({ shader: 'softmax', label, defines: { WG_SIZE: v.wg, SUBGROUPS: v.subgroups } });
  return {
    label,
    encode(rec, { x, out, rows, cols, scale = 1 }) {
      guardDim(label, 'rows', rows);
      guardDim(label, 'cols', cols);
      guardIndex(label, 'x', rows * cols);
      guardBytes(label, 'x', x, rows * cols * 4);
      guardBytes(label, 'out', out, rows * cols * 4);
      rec.dispatch({
        pipeline,
        label,
        bindings: [x, out],
        workgroups: foldGroups(rows),
        uniforms: packUniforms([rows, cols, { f32: scale }]),
      });
    },
  };
}
