// Every diffusion kernel case in one list, for the kernel suite (self-test, e2e and the Node runs),
// and a quicker subset for places that pay SwiftShader's compile times (the in-app self-test).
import type { KernelCase } from '../check/cases';
import { attentionCases } from './attention.cases';
import { conv2dCases } from './conv2d.cases';
import { pixelShuffleCases, transposeCases, upsampleCases } from './layout.cases';
import { linearCases } from './linear.cases';
import { groupNormCases, layerNormCases } from './norm.cases';
import { gegluCases, pointwiseCases } from './pointwise.cases';
import { timestepCases } from './timestep.cases';

export const diffusionCases: KernelCase[] = [
  ...conv2dCases,
  ...groupNormCases,
  ...layerNormCases,
  ...gegluCases,
  ...attentionCases,
  ...upsampleCases,
  ...pixelShuffleCases,
  ...transposeCases,
  ...pointwiseCases,
  ...timestepCases,
  ...linearCases,
];

// The tiled conv and attention variants compile for 1-12 s each on SwiftShader (their workgroup
// memory); the quick list keeps every direct case and one tiled case per conv shape family and
// the smallest tiled attention, and everything else.
const QUICK_TILED = new Set([
  'tiled 3x3 s1 N=2 Cin=13 9x11 Cout=10 f16-packed bias residual',
  'tiled 3x3 s2 N=2 Cin=9 13x10 Cout=7 f32 bias',
  'tiled 1x1 s1 N=2 Cin=17 6x5 Cout=12 f32 bias residual',
  'tiled self N=1 Lq=5 Lk=5 heads=3 d=7',
]);

export const diffusionQuickCases: KernelCase[] = diffusionCases.filter((c) => !c.name.startsWith('tiled ') || QUICK_TILED.has(c.name));
