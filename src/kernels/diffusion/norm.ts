// Group norm over NCHW activations (with an optional fused SiLU, as every resnet block begins) and
// layer norm over token rows. One shader serves both: shaders/diffusion/norm.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots } from '../quant/format';
import { rowVariant, type RowKernelOptions } from '../rmsnorm';

export interface GroupNormArgs {
  /** [N, C, H, W] */
  x: Binding;
  /** [C] f32 */
  gamma: Binding;
  /** [C] f32 */
  beta: Binding;
  out: Binding;
  N: number;
  C: number;
  /** H * W */
  HW: number;
  groups: number;
  /** diffusers: 1e-5 in the UNet's resnets (1e-6 in the VAE and in SD's transformer blocks). */
  eps: number;
}

export interface LayerNormArgs {
  /** [rows, C] */
  x: Binding;
  /** [C] f32; both or neither */
  gamma?: Binding;
  beta?: Binding;
  out: Binding;
  rows: number;
  C: number;
  eps: number;
}

export interface NormKernel<A> {
  readonly label: string;
  encode(rec: Recorder, args: A): void;
}

interface NormDispatch {
  x: Binding;
  gamma?: Binding;
  beta?: Binding;
  out: Binding;
  groupsTotal: number;
  G: number;
  groupLen: number;
  inner: number;
  cpg: number;
  eps: number;
}

async function normPipeline(rt: GpuRuntime, name: string, opts: RowKernelOptions, affine: boolean, silu: boolean, defaultWg: number) {
  const v = rowVariant(rt, { subgroups: opts.subgroups, workgroupSize: opts.workgroupSize ?? defaultWg });
  const label = `${name}.${v.suffix}${affine ? '' : '-noaffine'}${silu ? '-silu' : ''}`;
  const pipeline = await rt.pipelines.get({
    shader: 'diffusion/norm',
    label,
    defines: {
      WG_SIZE: v.wg,
      SUBGROUPS: v.subgroups,
      AFFINE: affine,
      SILU: silu,
      ...bindingSlots(['x', ...(affine ? ['gamma', 'beta'] : []), 'out']),
    },
  });
  const dispatch = (rec: Recorder, d: NormDispatch) => {
    const total = d.groupsTotal * d.groupLen;
    guardIndex(label, 'x', total);
    guardBytes(label, 'x', d.x, total * 4);
    guardBytes(label, 'out', d.out, total * 4);
    if (affine) {
      guardBytes(label, 'gamma', d.gamma!, d.G * d.cpg * 4);
      guardBytes(label, 'beta', d.beta!, d.G * d.cpg * 4);
    }
    guard(Number.isFinite(d.eps) && d.eps >= 0, label, `eps must be a finite number >= 0 (got ${d.eps})`);
    rec.dispatch({
      pipeline,
      label,
      bindings: [d.x, ...(affine ? [d.gamma!, d.beta!] : []), d.out],
      workgroups: foldGroups(d.groupsTotal),
      uniforms: packUniforms([d.groupsTotal, d.G, d.groupLen, d.inner, d.cpg, { f32: d.eps }]),
    });
  };
  return { label, dispatch };
}

/** GroupNorm(groups, C, eps, affine) on x [N, C, H, W], then SiLU with `silu`. Default 256 invocations per group. */
export async function groupNorm(rt: GpuRuntime, opts: RowKernelOptions & { silu?: boolean } = {}): Promise<NormKernel<GroupNormArgs>> {
  const { label, dispatch } = await normPipeline(rt, 'groupnorm', opts, true, opts.silu ?? false, 256);
  return {
    label,
    encode(rec, { x, gamma, beta, out, N, C, HW, groups, eps }) {
      for (const [name, v] of Object.entries({ N, C, HW, groups })) guardDim(label, name, v);
      guard(C % groups === 0, label, `C must be a multiple of groups (C=${C}, groups=${groups})`);
      const cpg = C / groups;
      dispatch(rec, { x, gamma, beta, out, groupsTotal: N * groups, G: groups, groupLen: cpg * HW, inner: HW, cpg, eps });
    },
  };
}

/** LayerNorm over the last dimension of x [rows, C] (affine unless `affine: false`). Default 64 invocations per row. */
export async function layerNorm(rt: GpuRuntime, opts: RowKernelOptions & { affine?: boolean } = {}): Promise<NormKernel<LayerNormArgs>> {
  const affine = opts.affine ?? true;
  const { label, dispatch } = await normPipeline(rt, 'layernorm', opts, affine, false, 64);
  return {
    label,
    encode(rec, { x, gamma, beta, out, rows, C, eps }) {
      guardDim(label, 'rows', rows);
      guardDim(label, 'C', C);
      guard(affine === (gamma !== undefined && beta !== undefined), label, affine ? 'needs gamma and beta' : 'compiled without affine: pass no gamma/beta');
      dispatch(rec, { x, gamma, beta, out, groupsTotal: rows, G: 1, groupLen: C, inner: 1, cpg: C, eps });
    },
  };
}
