// The decoders' PyTorch fixture (training/fixtures/diffusion/vae.*, made by vae_fixtures.py), read
// once for the VAE and TAESD tests. Node only (tests).
import { readFileSync } from 'node:fs';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';

export interface VaeFixtureCase {
  name: string;
  class: string;
  config: Record<string, unknown>;
  param_prefix: string;
  /** AutoencoderKL cases: which attention parameter names the weights use. */
  attention_naming?: 'new' | 'old' | null;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  shapes: Record<string, number[]>;
  atol: number;
  rtol: number;
}

const DIR = 'training/fixtures/diffusion';
export const spec = JSON.parse(readFileSync(`${DIR}/vae.json`, 'utf8')) as { cases: VaeFixtureCase[] };
export const src = bufferSource(new Uint8Array(readFileSync(`${DIR}/vae.safetensors`)), 'vae.safetensors');
export const file = await parseSafetensors(src);
export const tensor = (name: string) => readTensorF32(src, file.tensors.get(name)!);
export const caseOf = (name: string) => spec.cases.find((c) => c.name === name)!;
