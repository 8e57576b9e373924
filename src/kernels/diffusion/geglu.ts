// GEGLU, the gated activation of diffusers' feed-forward: x [rows, 2F] -> x[:, :F] * gelu(x[:, F:])
// with the exact (erf) GELU. Shader: shaders/diffusion/geglu.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';

const WG = 256;

export interface GegluArgs {
  /** [rows, 2F]: the projection's output, hidden half first, gate half second. */
  x: Binding;
  /** [rows, F] */
  out: Binding;
  rows: number;
  F: number;
}

export interface GegluKernel {
  readonly label: string;
  encode(rec: Recorder, args: GegluArgs): void;
}

export async function geglu(rt: GpuRuntime): Promise<GegluKernel> {
  const label = 'geglu.erf';
  const pipeline = await rt.pipelines.get({ shader: 'diffusion/geglu', label, defines: { WG_SIZE: WG } });
  return {
    label,
    encode(rec, { x, out, rows, F }) {
      guardDim(label, 'rows', rows);
      guardDim(label, 'F', F);
      guardIndex(label, 'x', rows * 2 * F);
      guardBytes(label, 'x', x, rows * 2 * F * 4);
      guardBytes(label, 'out', out, rows * F * 4);
      const total = rows * F;
      rec.dispatch({ pipeline, label, bindings: [x, out], workgroups: foldGroups(Math.ceil(total / WG)), uniforms: packUniforms([total, F]) });
    },
  };
}
