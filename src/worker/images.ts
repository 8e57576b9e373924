// The worker's image tools: the upscaler (esrgan-slim's real TF.js weights on the playground's conv
// kernels, one GPU model per scale kept once loaded), the embedded emoji model, and Stable Diffusion
// pipelines from a hub (one kept loaded; a different repo or weight option replaces it once loaded).
import type { ImageGenRequest, ImageGenResult, ImageRgba, SdModelRef, UpscaleRequest, UpscaleResult } from '../engine/protocol';
import { generateSd, loadSd, type SdModel } from '../models/sd/pipeline';
import type { ModelStore } from './model-store';
import { hubRepoFiles } from './repo-files';
import { parseSafetensors } from '../formats/safetensors/parse';
import { bufferSource } from '../formats/source';
import { readUnetConfig } from '../models/unet/config';
import { denoise } from '../models/unet/denoise';
import { readSchedulerConfig, type SchedulerConfig } from '../models/unet/scheduler';
import { embedIds, emojiTokenizer, toRgba, tokenizePrompt, type EmojiTokenizer } from '../models/unet/emoji';
import { Params } from '../models/unet/params';
import { Unet } from '../models/unet/unet';
import { loadError } from '../formats/errors';
import { parseLayersModel, weightPaths } from '../formats/tfjs-layers';
import { GpuUpscaler } from '../models/esrgan/gpu';
import type { GpuRuntime } from '../runtime/runtime';
import { EngineError } from '../util/errors';

const MAX_PIXELS = 4096 * 4096;

async function fetchOk(url: string, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal.aborted) throw new EngineError('Cancelled', 'Loading the upscaler was cancelled.');
    throw loadError('ModelLoad', `Could not fetch ${url}: ${(e as Error).message}.`, { hint: 'The upscaler model ships with the app; reload the page.' });
  }
  if (!res.ok) throw loadError('ModelLoad', `${url} answered ${res.status}.`, { hint: 'The upscaler model ships with the app; reload the page.' });
  return res;
}

interface EmojiModel {
  unet: Unet;
  sched: SchedulerConfig;
  tok: EmojiTokenizer;
  table: Float32Array;
  loadMs: number;
}

export type ImageProgress = (stage: string, done: number, total: number, unit: 'bytes' | 'items') => void;

function sdKey(r: SdModelRef): string {
  return JSON.stringify([r.hub, r.repo, r.revision ?? 'main', r.taesd ?? '', r.fp16 ?? false, r.weights ?? 'f16']);
}

export class ImageHost {
  private readonly upscalers = new Map<number, Promise<GpuUpscaler>>();
  private emoji: Promise<EmojiModel> | null = null;
  private sd: { key: string; model: SdModel; loadMs: number } | null = null;

  constructor(
    private readonly rt: GpuRuntime,
    private readonly store: () => Promise<ModelStore>,
  ) {}

  private upscaler(scale: number, base: string, signal: AbortSignal): Promise<GpuUpscaler> {
    let p = this.upscalers.get(scale);
    if (!p) {
      p = (async () => {
        const dir = `${base.replace(/\/?$/, '/')}x${scale}/`;
        const json = await (await fetchOk(`${dir}model.json`, signal)).json();
        const shards = await Promise.all(weightPaths(json).map(async (f) => new Uint8Array(await (await fetchOk(dir + f, signal)).arrayBuffer())));
        return GpuUpscaler.create(this.rt, parseLayersModel(json, shards, `esrgan-slim x${scale}`));
      })();
      this.upscalers.set(scale, p);
      p.catch(() => this.upscalers.delete(scale));
    }
    return p;
  }

  async upscale(req: UpscaleRequest, signal: AbortSignal, onTile: (done: number, total: number) => void): Promise<UpscaleResult> {
    const { image, scale } = req;
    if (![2, 3, 4].includes(scale)) throw new EngineError('Unsupported', `The upscaler has 2x, 3x and 4x models (asked for ${scale}x).`);
    if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 4) {
      throw new EngineError('Unsupported', `The image is malformed: ${image.width}x${image.height} with ${image.data.length} bytes of RGBA.`, { hint: 'Pick a PNG, JPEG or WebP image.' });
    }
    if (image.width * image.height > MAX_PIXELS) {
      throw new EngineError('Unsupported', `The image is ${image.width}x${image.height}; the upscaler takes up to ${MAX_PIXELS / 2 ** 20} megapixels.`, {
        hint: 'Crop or shrink it first.',
      });
    }
    const up = await this.upscaler(scale, req.modelBase, signal);
    const r = await up.upscale(image, { tile: req.tile, signal, onTile });
    return { image: r.image, scale, ms: r.ms, tiles: r.tiles };
  }

  private emojiModel(base: string, signal: AbortSignal): Promise<EmojiModel> {
    if (!this.emoji) {
      const dir = base.replace(/\/?$/, '/');
      const p = (async () => {
        const t0 = performance.now();
        const [cfgJson, schedJson, vocab, bytes] = await Promise.all([
          fetchOk(`${dir}config.json`, signal).then((r) => r.json()),
          fetchOk(`${dir}scheduler_config.json`, signal).then((r) => r.json()),
          fetchOk(`${dir}vocab.json`, signal).then((r) => r.json()),
          fetchOk(`${dir}diffusion_pytorch_model.safetensors`, signal).then(async (r) => new Uint8Array(await r.arrayBuffer())),
        ]);
        const cfg = readUnetConfig(cfgJson, 'emoji-unet/config.json');
        const src = bufferSource(bytes, 'emoji-unet/diffusion_pytorch_model.safetensors');
        const file = await parseSafetensors(src, { signal });
        const params = await Params.load(this.rt, file, src, { cpuCopy: (n) => n === 'text_embedding.weight', signal });
        const unet = await Unet.create(this.rt, cfg, params);
        const spec = (cfgJson as { emoji_unet?: { tokenizer?: Record<string, number> } }).emoji_unet?.tokenizer ?? {};
        return { unet, sched: readSchedulerConfig(schedJson, 'emoji-unet/scheduler_config.json'), tok: emojiTokenizer(vocab, spec), table: params.cpu('text_embedding.weight'), loadMs: performance.now() - t0 };
      })();
      this.emoji = p;
      p.catch(() => {
        this.emoji = null;
      });
    }
    return this.emoji;
  }

  /** The SD pipeline of `ref`, loading it (and releasing the previous one only once it has loaded). */
  private async sdModel(ref: SdModelRef, signal: AbortSignal, progress: ImageProgress): Promise<{ model: SdModel; loadMs: number; fresh: boolean }> {
    const key = sdKey(ref);
    if (this.sd?.key === key) return { model: this.sd.model, loadMs: this.sd.loadMs, fresh: false };
    const t0 = performance.now();
    const store = await this.store();
    const onDownload = (path: string, done: number, total: number) => progress(`downloading ${path}`, done, total, 'bytes');
    const files = hubRepoFiles(store, { hub: ref.hub, repo: ref.repo, revision: ref.revision, signal, onDownload });
    const taesd = ref.taesd ? hubRepoFiles(store, { hub: ref.hub, repo: ref.taesd, signal, onDownload }) : undefined;
    const model = await loadSd(this.rt, files, {
      fp16: ref.fp16,
      matrixType: ref.weights ?? 'f16',
      taesd,
      signal,
      onProgress: (what, done, total) => progress(`uploading ${what}`, done, total, 'bytes'),
    });
    this.sd?.model.release();
    this.sd = { key, model, loadMs: performance.now() - t0 };
    return { model, loadMs: this.sd.loadMs, fresh: true };
  }

  async generate(req: ImageGenRequest, signal: AbortSignal, onStep: (step: number, total: number, ms: number, preview: ImageRgba | null, approximate: boolean) => void, progress: ImageProgress = () => {}): Promise<ImageGenResult> {
    if (!Number.isInteger(req.steps) || req.steps < 1 || req.steps > 200) throw new EngineError('Unsupported', `Steps must be a whole number from 1 to 200 (got ${req.steps}).`);
    if (!Number.isFinite(req.guidance) || req.guidance < 0 || req.guidance > 30) throw new EngineError('Unsupported', `Guidance must be between 0 and 30 (got ${req.guidance}).`);
    if (req.sd) return this.generateSd(req, req.sd, signal, onStep, progress);
    const first = this.emoji === null;
    const m = await this.emojiModel(req.modelBase, signal);
    const D = m.unet.cfg.crossDim;
    const ids = tokenizePrompt(m.tok, req.prompt);
    const nullIds = tokenizePrompt(m.tok, '');
    const H = m.unet.cfg.sampleSize;
    const r = await denoise(m.unet, H, H, embedIds(m.table, D, nullIds), embedIds(m.table, D, ids), ids.length, {
      scheduler: m.sched,
      steps: req.steps,
      guidance: req.guidance,
      seed: req.seed,
      signal,
      onStep: (i, total, x0, ms) => onStep(i, total, ms, toRgba(x0, H, H), false),
    });
    return {
      image: toRgba(r.sample, H, H),
      prompt: req.prompt,
      tokenIds: ids,
      stepMs: r.stepMs,
      loadMs: first ? m.loadMs : 0,
      model: 'emoji-unet',
      sampler: m.sched.kind,
      weightBytes: m.unet.params.bytes,
    };
  }

  private async generateSd(
    req: ImageGenRequest,
    ref: SdModelRef,
    signal: AbortSignal,
    onStep: (step: number, total: number, ms: number, preview: ImageRgba | null, approximate: boolean) => void,
    progress: ImageProgress,
  ): Promise<ImageGenResult> {
    const { model, loadMs, fresh } = await this.sdModel(ref, signal, progress);
    const width = req.width ?? 512;
    const height = req.height ?? 512;
    const r = await generateSd(this.rt, model, {
      prompt: req.prompt,
      negativePrompt: req.negativePrompt,
      steps: req.steps,
      guidance: req.guidance,
      seed: req.seed,
      width,
      height,
      sampler: req.sampler,
      decoder: req.decoder ?? 'vae',
      previews: true,
      signal,
      onStep: (i, total, ms, p) => onStep(i, total, ms, p ? toRgba(p.rgb, p.height, p.width) : null, p?.approximate ?? false),
    });
    const b = model.bytes;
    return {
      image: toRgba(r.image, height, width),
      prompt: req.prompt,
      tokenIds: r.tokenIds,
      stepMs: r.stepMs,
      loadMs: fresh ? loadMs : 0,
      model: model.label,
      sampler: r.sampler,
      textMs: r.textMs,
      decodeMs: r.decodeMs,
      weightBytes: b.unet + b.text + b.vae + b.taesd,
      note: model.scheduler.note,
    };
  }

  release(): void {
    void this.emoji?.then((m) => m.unet.params.release()).catch(() => {});
    this.emoji = null;
    this.sd?.model.release();
    this.sd = null;
    for (const p of this.upscalers.values()) void p.then((u) => u.release()).catch(() => {});
    this.upscalers.clear();
  }
}
