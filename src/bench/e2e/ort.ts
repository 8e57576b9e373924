// ONNX Runtime Web on the embedded model exported by training/onnx/export_onnx.py, on both of its
// WebGPU paths: the default build (`onnxruntime-web`: JSEP, kernels written in TypeScript) and
// `onnxruntime-web/webgpu` (the native C++ WebGPU EP). Both are loaded from the bench server's
// /ort/ (node_modules/onnxruntime-web/dist) at run time, so nothing is fetched from elsewhere and
// the two builds live side by side in one page.
//
// The loop is the usual one for a KV-cache export: present.* outputs stay on the GPU
// (preferredOutputLocation 'gpu-buffer') and are fed back as the next step's past_key_values.*;
// only the last token's logits ([1, vocab], 16 KB here) come back to the CPU for the argmax.
import type * as OrtModule from 'onnxruntime-web';
import { argmax, timedGreedy, type GenerationSpec, type GenerationTiming, type Runner } from './common';

type Ort = typeof OrtModule;
type Tensor = OrtModule.Tensor;

export type OrtVariant = 'ort-jsep' | 'ort-webgpu';

const BUILDS: Record<OrtVariant, { file: string; about: string }> = {
  'ort-jsep': { file: 'ort.min.mjs', about: "onnxruntime-web default import (JSEP: WebGPU kernels in TypeScript)" },
  'ort-webgpu': { file: 'ort.webgpu.min.mjs', about: 'onnxruntime-web/webgpu (native C++ WebGPU EP)' },
};

/** What the exporter wrote beside the model (embedded-reference.json). */
export interface OnnxMeta {
  inputs: string[];
  outputs: string[];
  n_layers: number;
  n_kv_heads: number;
  head_dim: number;
  vocab: number;
}

const loaded = new Map<OrtVariant, Promise<Ort>>();

async function loadOrt(variant: OrtVariant): Promise<Ort> {
  let p = loaded.get(variant);
  if (!p) {
    const url = `/ort/${BUILDS[variant].file}`;
    p = (import(/* @vite-ignore */ url) as Promise<Ort>).then((ort) => {
      ort.env.wasm.wasmPaths = '/ort/';
      ort.env.logLevel = 'error';
      return ort;
    });
    loaded.set(variant, p);
  }
  return p;
}

export async function loadOrtRunner(variant: OrtVariant, onnx: Uint8Array, meta: OnnxMeta, spec: GenerationSpec): Promise<Runner> {
  const ort = await loadOrt(variant);
  const pastNames = meta.inputs.filter((n) => n.startsWith('past_key_values.'));
  const presentNames = meta.outputs.filter((n) => n.startsWith('present.'));
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    preferredOutputLocation: Object.fromEntries([...presentNames.map((n) => [n, 'gpu-buffer'] as const), ['logits', 'cpu'] as const]),
  });
  const loadMs = performance.now() - t0;

  const ids = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), [1, xs.length]);
  const positions = (from: number, n: number) => ids(Array.from({ length: n }, (_, i) => from + i));

  return {
    loadMs,
    notes: [
      `${BUILDS[variant].about}, wasm threads ${ort.env.wasm.numThreads ?? 'default'}`,
      'prefill in one run of the whole prompt; KV cache kept on the GPU; logits read back per token, argmax on the CPU',
    ],
    extra: { ortVersion: ort.env.versions.web, build: BUILDS[variant].file },

    async generate(decodeSteps: number): Promise<GenerationTiming> {
      let past: Tensor[] = pastNames.map(() => new ort.Tensor('float32', new Float32Array(0), [1, meta.n_kv_heads, 0, meta.head_dim]));
      let onGpu = false;
      /** Run `tokens` at `pos`, swap present in as past, return the argmax of the logits. */
      const step = async (tokens: number[], pos: number): Promise<number> => {
        const feeds: Record<string, Tensor> = { input_ids: ids(tokens), position_ids: positions(pos, tokens.length) };
        pastNames.forEach((n, i) => (feeds[n] = past[i]));
        const out = await session.run(feeds);
        const logits = (await out.logits.getData()) as Float32Array;
        if (onGpu) for (const t of past) t.dispose();
        past = presentNames.map((n) => out[n]);
        onGpu = true;
        return argmax(logits);
      };
      try {
        const p = spec.prompt;
        return await timedGreedy(p, decodeSteps, () => step(p, 0), (id, pos) => step([id], pos));
      } finally {
        if (onGpu) for (const t of past) t.dispose();
      }
    },

    release: () => session.release(),
  };
}
