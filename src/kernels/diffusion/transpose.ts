// Layout changes between conv and transformer blocks: NCHW <-> tokens [N, H*W, C], as a batch of
// tiled matrix transposes, with the block's closing residual add fused in.
// Shader: shaders/diffusion/transpose.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots } from '../quant/format';

const T = 16;

export interface TransposeArgs {
  /** [B, R, C] */
  x: Binding;
  /** [B, C, R] */
  out: Binding;
  /** [B, C, R], added to the result (residual kernels only). */
  residual?: Binding;
  B: number;
  R: number;
  C: number;
}

export interface TransposeKernel {
  readonly label: string;
  encode(rec: Recorder, args: TransposeArgs): void;
  /** x [N, C, H, W] -> out [N, H*W, C] */
  nchwToTokens(rec: Recorder, a: { x: Binding; out: Binding; residual?: Binding; N: number; C: number; HW: number }): void;
  /** x [N, H*W, C] -> out [N, C, H, W] (+ residual [N, C, H, W]) */
  tokensToNchw(rec: Recorder, a: { x: Binding; out: Binding; residual?: Binding; N: number; C: number; HW: number }): void;
}

export async function transpose(rt: GpuRuntime, opts: { residual?: boolean } = {}): Promise<TransposeKernel> {
  const residual = opts.residual ?? false;
  const label = `transpose.tile16${residual ? '-res' : ''}`;
  const pipeline = await rt.pipelines.get({
    shader: 'diffusion/transpose',
    label,
    defines: { RESIDUAL: residual, ...bindingSlots(['x', ...(residual ? ['res'] : []), 'out']) },
  });
  const maxGroups = rt.limits.maxComputeWorkgroupsPerDimension;
  const encode = (rec: Recorder, { x, out, residual: res, B, R, C }: TransposeArgs) => {
    guardDim(label, 'B', B);
    guardDim(label, 'R', R);
    guardDim(label, 'C', C);
    guardIndex(label, 'x', B * R * C);
    guardBytes(label, 'x', x, B * R * C * 4);
    guardBytes(label, 'out', out, B * R * C * 4);
    guard(residual === (res !== undefined), label, residual ? 'needs a residual' : 'compiled without a residual: pass none');
    if (res) guardBytes(label, 'residual', res, B * R * C * 4);
    const workgroups = [Math.ceil(C / T), Math.ceil(R / T), B] as const;
    guard(workgroups.every((g) => g <= maxGroups), label, `[${B}, ${R}, ${C}] needs workgroups (${workgroups.join(', ')}), past this device's ${maxGroups}`);
    rec.dispatch({ pipeline, label, bindings: [x, ...(res ? [res] : []), out], workgroups, uniforms: packUniforms([R, C]) });
  };
  return {
    label,
    encode,
    nchwToTokens: (rec, a) => encode(rec, { x: a.x, out: a.out, residual: a.residual, B: a.N, R: a.C, C: a.HW }),
    tokensToNchw: (rec, a) => encode(rec, { x: a.x, out: a.out, residual: a.residual, B: a.N, R: a.HW, C: a.C }),
  };
}
