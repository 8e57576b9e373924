// Every kernel case, in one list: what the self-test runs in the worker, what e2e runs in Chromium,
// and what the Node tests run on each substrate.
import type { KernelCase } from './check/cases';
import { elementwiseCases } from './elementwise.cases';
import { matmulCases } from './matmul.cases';
import { matvecCases } from './matvec.cases';
import { rmsnormCases } from './rmsnorm.cases';
import { softmaxCases } from './softmax.cases';
import { ropeCases } from './rope.cases';
import { attentionCases } from './attention.cases';
import { kvCacheCases } from './kv-cache.cases';
import { sampleCases } from './sample.cases';
import { embeddingQuickCases } from './quant/embedding.cases';
import { qmatmulQuickCases } from './quant/qmatmul.cases';
import { qmatvecBatchQuickCases, qmatvecQuickCases, qmatvecTileQuickCases } from './quant/qmatvec.cases';
import { diffusionQuickCases } from './diffusion/cases';

export const KERNEL_SUITE: Record<string, KernelCase[]> = {
  elementwise: elementwiseCases,
  rmsnorm: rmsnormCases,
  softmax: softmaxCases,
  matmul: matmulCases,
  matvec: matvecCases,
  rope: ropeCases,
  'kv-cache': kvCacheCases,
  attention: attentionCases,
  sample: sampleCases,
  // Quant families register a subset (every type, both variants, fused epilogue, split weights);
  // the full sweeps run in src/kernels/quant/*.test.ts.
  qmatvec: [...qmatvecQuickCases, ...qmatvecBatchQuickCases, ...qmatvecTileQuickCases],
  qmatmul: qmatmulQuickCases,
  embedding: embeddingQuickCases,
  // Image kernels: the subset without the slow-compiling tiled variants on software adapters (the
  // full lists run in src/kernels/diffusion/*.test.ts).
  diffusion: diffusionQuickCases,
};

export function allKernelCases(): KernelCase[] {
  return Object.values(KERNEL_SUITE).flat();
}
