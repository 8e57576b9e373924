// The models of the end-to-end bench and where their files come from. Runs in the page and in Node
// (assets.ts writes the built model to .cache/bench-assets/ once, so the page need not build it).
import { REAL_SHAPES } from '../shapes';
import { GgmlType } from '../../formats/gguf/types';
import { syntheticLlama, type SyntheticOptions } from '../../models/llama/synthetic';

export interface E2eModel {
  /** "embedded-f32" */
  name: string;
  /** URL on the bench server. */
  url: string;
  /** Built in the page from `build` when the URL answers 404. */
  build?: () => Uint8Array<ArrayBuffer>;
  /** The exported ONNX of the same weights, for the ORT peers (the embedded f32 model only). */
  onnx?: string;
  /**
   * How its prompt is made from the passage (fixture prompt 5, Moby-Dick chapter 1):
   * 'fixture-ids': the fixture's first PROMPT_TOKENS ids (BOS first), as trained;
   * 'bytes': the passage's first PROMPT_TOKENS characters, em dashes made ASCII, one byte token each
   * (the random-weight models have a byte vocabulary and no merges).
   */
  prompt: 'fixture-ids' | 'bytes';
  about: string;
  /** Minutes per timed round on SwiftShader: one round by default. */
  big?: boolean;
}

export const ASSETS_COMMAND = 'npm run bench -- e2e/assets';

/**
 * SmolLM2-135M's shape with random weights, every matrix Q4_0 (the format llama.cpp's wasm SIMD
 * path is best at; all rows here are whole 32-value blocks).
 */
export const SMOLLM2_Q4_0: SyntheticOptions = { ...REAL_SHAPES.smollm2.shape, type: GgmlType.Q4_0, seed: 1, keepValues: false };
export const SMOLLM2_FILE = 'smollm2-135m-shape-q4_0.gguf';

export const buildSmollm2 = (): Uint8Array<ArrayBuffer> => syntheticLlama(SMOLLM2_Q4_0).gguf;

export const E2E_MODELS: E2eModel[] = [
  {
    name: 'embedded-f32',
    url: '/public/models/embedded-f32.gguf',
    onnx: '/assets/embedded-f32.onnx',
    prompt: 'fixture-ids',
    about: 'the embedded 5.2M-parameter model, f32 weights (the same numbers as the ONNX export)',
  },
  { name: 'embedded-q8_0', url: '/public/models/embedded-q8_0.gguf', prompt: 'fixture-ids', about: "the embedded model as the app ships it (Q8_0)" },
  {
    name: 'smollm2-135m-q4_0',
    url: `/assets/${SMOLLM2_FILE}`,
    build: buildSmollm2,
    prompt: 'bytes',
    big: true,
    about: 'SmolLM2-135M shapes (30 layers, dim 576, GQA 9/3, vocab 49152, tied), random weights, Q4_0',
  },
];

export const PROMPT_TOKENS = 64;
export const DECODE_STEPS = 32;
