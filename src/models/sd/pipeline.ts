// Stable Diffusion text-to-image on our kernels, as diffusers' StableDiffusionPipeline runs it:
//   prompt -> CLIP BPE ids (77) -> CLIPTextModel last_hidden_state [S, D] (and the empty prompt's, for
//   guidance > 1) -> seeded latents [4, H/8, W/8] -> the sampler's UNet steps -> VAE decoder (latents /
//   scaling_factor) or TAESD -> RGB in [-1, 1].
// A preview after every step: TAESD's decode of the predicted clean latents when TAESD is loaded,
// else the latent's first three channels at latent size (labelled as latents in the UI).
import type { ByteSource } from '../../formats/source';
import { loadError } from '../../formats/errors';
import { parseSafetensors } from '../../formats/safetensors/parse';
import type { DenseWeightType } from '../../kernels/weights';
import type { GpuRuntime } from '../../runtime/runtime';
import { throwIfAborted } from '../../util/errors';
import { clipTokenizer, type ClipTokenizer } from '../clip/tokenizer';
import { readClipConfig } from '../clip/config';
import { ClipTextModel } from '../clip/text-model';
import { readUnetConfig } from '../unet/config';
import { denoise } from '../unet/denoise';
import { Params } from '../unet/params';
import { readSchedulerConfig, type SamplerKind, type SchedulerConfig } from '../unet/scheduler';
import { Unet } from '../unet/unet';
import { isTaesdDecoderTensor, isVaeDecoderTensor, readTaesdConfig, readVaeConfig } from '../vae/config';
import { VaeDecoder } from '../vae/decoder';
import { TaesdDecoder } from '../vae/taesd';
import { checkImageSize } from './repo';
import { readSdRepo, type RepoFiles } from './repo';

export interface SdModel {
  label: string;
  unet: Unet;
  text: ClipTextModel;
  tokenizer: ClipTokenizer;
  vae: VaeDecoder;
  taesd: TaesdDecoder | null;
  scheduler: SchedulerConfig;
  /** Weight bytes on the GPU per part. */
  bytes: { unet: number; text: number; vae: number; taesd: number };
  release(): void;
}

export interface SdLoadOptions {
  /** Prefer the repo's `.fp16` weight files (half the download). */
  fp16?: boolean;
  /** How weight matrices sit on the GPU (f16 halves the memory; default f16). */
  matrixType?: DenseWeightType;
  /** A TAESD repo (config.json + diffusion_pytorch_model.safetensors) for previews and fast decode. */
  taesd?: RepoFiles;
  signal?: AbortSignal;
  onProgress?: (what: string, done: number, total: number) => void;
}

async function loadParams(
  rt: GpuRuntime,
  files: RepoFiles,
  path: string,
  o: SdLoadOptions,
  extra: { keep?: (n: string) => boolean; cpuCopy?: (n: string) => boolean } = {},
): Promise<Params> {
  const src: ByteSource | null = await files.source(path);
  if (!src) throw loadError('ModelLoad', `${files.label} has no ${path}.`, { hint: 'The repository is incomplete.' });
  const file = await parseSafetensors(src, { signal: o.signal });
  return Params.load(rt, file, src, { ...extra, matrixType: o.matrixType ?? 'f16', signal: o.signal, onProgress: (d, t) => o.onProgress?.(`${files.label}/${path}`, d, t) });
}

export async function loadSd(rt: GpuRuntime, files: RepoFiles, o: SdLoadOptions = {}): Promise<SdModel> {
  const index = await readSdRepo(files, { fp16: o.fp16 });
  const [unetJson, textJson, vaeJson, schedJson, vocab, merges] = await Promise.all([
    files.json('unet/config.json'),
    files.json('text_encoder/config.json'),
    files.json('vae/config.json'),
    files.json('scheduler/scheduler_config.json'),
    files.json('tokenizer/vocab.json'),
    files.text('tokenizer/merges.txt'),
  ]);
  const tokConfig = await files.json('tokenizer/tokenizer_config.json').catch(() => ({}));
  // Read every config before any weight moves: a bad config fails in milliseconds.
  const unetCfg = readUnetConfig(unetJson, `${files.label}/unet/config.json`);
  const textCfg = readClipConfig(textJson, `${files.label}/text_encoder/config.json`);
  const vaeCfg = readVaeConfig(vaeJson, `${files.label}/vae/config.json`);
  const scheduler = readSchedulerConfig(schedJson, `${files.label}/scheduler/scheduler_config.json`);
  const tokenizer = clipTokenizer(vocab, merges, tokConfig as Record<string, unknown>);
  if (textCfg.hidden !== unetCfg.crossDim) {
    throw loadError('ModelLoad', `${files.label}: the text encoder's width ${textCfg.hidden} is not the UNet's cross_attention_dim ${unetCfg.crossDim}.`, { hint: 'The parts come from different models.' });
  }
  const taesdCfg = o.taesd ? readTaesdConfig(await o.taesd.json('config.json'), `${o.taesd.label}/config.json`) : null;
  const held: Params[] = [];
  const track = (p: Params) => {
    held.push(p);
    return p;
  };
  try {
    throwIfAborted(o.signal, 'Loading the model');
    const textParams = track(await loadParams(rt, files, index.weights.text_encoder, o, { cpuCopy: (n) => n.endsWith('token_embedding.weight') }));
    const text = await ClipTextModel.create(rt, textCfg, textParams);
    const unetParams = track(await loadParams(rt, files, index.weights.unet, o));
    const unet = await Unet.create(rt, unetCfg, unetParams);
    const vaeParams = track(await loadParams(rt, files, index.weights.vae, o, { keep: isVaeDecoderTensor }));
    const vae = await VaeDecoder.create(rt, vaeCfg, vaeParams);
    let taesd: TaesdDecoder | null = null;
    if (o.taesd && taesdCfg) {
      const tp = track(await loadParams(rt, o.taesd, 'diffusion_pytorch_model.safetensors', o, { keep: isTaesdDecoderTensor }));
      taesd = await TaesdDecoder.create(rt, taesdCfg, tp);
    }
    return {
      label: files.label,
      unet,
      text,
      tokenizer,
      vae,
      taesd,
      scheduler,
      bytes: { text: textParams.bytes, unet: unetParams.bytes, vae: vaeParams.bytes, taesd: held.length > 3 ? held[3].bytes : 0 },
      release: () => held.forEach((p) => p.release()),
    };
  } catch (e) {
    held.forEach((p) => p.release());
    throw e;
  }
}

export interface SdRequest {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  guidance: number;
  seed: number;
  width: number;
  height: number;
  /** Override the repo's scheduler class (same noise schedule). */
  sampler?: SamplerKind;
  decoder: 'vae' | 'taesd';
  previews: boolean;
  signal?: AbortSignal;
  onStep?: (i: number, total: number, ms: number, preview: { rgb: Float32Array; width: number; height: number; approximate: boolean } | null) => void;
}

export interface SdResult {
  /** [3, height, width] in [-1, 1]. */
  image: Float32Array;
  width: number;
  height: number;
  stepMs: number[];
  textMs: number;
  decodeMs: number;
  timesteps: number[];
  sampler: SamplerKind;
  /** The prompt's CLIP ids (padded to the model's length). */
  tokenIds: number[];
}

/** Without TAESD: the latent's first three channels as RGB, each scaled by its largest magnitude. */
function latentRgb(lat: Float32Array, h: number, w: number): Float32Array {
  const hw = h * w;
  const out = new Float32Array(3 * hw);
  for (let c = 0; c < 3; c++) {
    const ch = lat.subarray(c * hw, (c + 1) * hw);
    let m = 1e-6;
    for (const v of ch) m = Math.max(m, Math.abs(v));
    for (let p = 0; p < hw; p++) out[c * hw + p] = ch[p] / m;
  }
  return out;
}

export async function generateSd(rt: GpuRuntime, m: SdModel, r: SdRequest): Promise<SdResult> {
  const problem = checkImageSize({
    width: r.width,
    height: r.height,
    unetChannels: m.unet.cfg.blockOut,
    vaeChannels: m.vae.cfg.blockOut,
    maxBinding: rt.device.limits.maxStorageBufferBindingSize,
    decoder: r.decoder,
  });
  if (problem) throw loadError('Unsupported', problem);
  if (r.decoder === 'taesd' && !m.taesd) throw loadError('Unsupported', 'TAESD decoding was asked for, but no TAESD model is loaded.', { hint: 'Load TAESD (madebyollin/taesd) with the model, or decode with the VAE.' });
  const scheduler = r.sampler ? { ...m.scheduler, kind: r.sampler } : m.scheduler;
  const lh = r.height / 8;
  const lw = r.width / 8;
  const cfg = r.guidance > 1;
  const t0 = performance.now();
  const ids = [m.tokenizer.encode(r.prompt)];
  if (cfg) ids.unshift(m.tokenizer.encode(r.negativePrompt ?? ''));
  const hidden = await m.text.forward(ids);
  const S = ids[0].length;
  const D = m.text.cfg.hidden;
  const ctxCond = hidden.subarray((ids.length - 1) * S * D);
  const ctxNull = cfg ? hidden.subarray(0, S * D) : new Float32Array(0);
  const textMs = performance.now() - t0;
  const res = await denoise(m.unet, lh, lw, ctxNull, ctxCond, S, {
    steps: r.steps,
    guidance: r.guidance,
    scheduler,
    seed: r.seed,
    signal: r.signal,
    onStep: async (i, total, x0, ms) => {
      if (!r.onStep) return;
      if (!r.previews) return r.onStep(i, total, ms, null);
      if (m.taesd) return r.onStep(i, total, ms, { rgb: await m.taesd.decode(x0, 1, lh, lw), width: r.width, height: r.height, approximate: false });
      r.onStep(i, total, ms, { rgb: latentRgb(x0, lh, lw), width: lw, height: lh, approximate: true });
    },
  });
  throwIfAborted(r.signal, 'Generating the image');
  const d0 = performance.now();
  const image = r.decoder === 'taesd' && m.taesd ? await m.taesd.decode(res.sample, 1, lh, lw) : await m.vae.decode(res.sample, 1, lh, lw);
  return { image, width: r.width, height: r.height, stepMs: res.stepMs, textMs, decodeMs: performance.now() - d0, timesteps: res.timesteps, sampler: scheduler.kind, tokenIds: ids[ids.length - 1] };
}
