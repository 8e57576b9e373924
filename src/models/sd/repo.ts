// A diffusers Stable Diffusion repository (SD 1.x / 2.x / SD-Turbo layout) as the pipeline reads it:
// model_index.json names the pipeline and its parts; each part is a folder with a config and one
// safetensors file (the `.fp16` variant when asked for and present). Files come through RepoFiles,
// so the same code reads a hub repo (cached downloads in the worker), a local server in tests, or
// a folder on disk in Node.
import { loadError } from '../../formats/errors';
import type { ByteSource } from '../../formats/source';

export interface RepoFiles {
  /** What a person would call it: "owner/repo" or a folder name. */
  readonly label: string;
  json(path: string): Promise<unknown>;
  text(path: string): Promise<string>;
  /** The file's bytes, or null when the repo has no such file. */
  source(path: string): Promise<ByteSource | null>;
}

/** Pipelines whose parts and loop are the SD 1.x/2.x text-to-image ones. */
const PIPELINES = new Set(['StableDiffusionPipeline', 'LatentConsistencyModelPipeline', 'StableDiffusionXLPipeline']);

export interface SdRepoIndex {
  pipeline: string;
  /** Weight file per part, chosen from what the repo has. */
  weights: { unet: string; text_encoder: string; vae: string };
}

const WEIGHT_BASE = { unet: 'diffusion_pytorch_model', text_encoder: 'model', vae: 'diffusion_pytorch_model' } as const;

/** Read model_index.json and find each part's weights (preferring the fp16 variant when `fp16`). */
export async function readSdRepo(files: RepoFiles, opts: { fp16?: boolean } = {}): Promise<SdRepoIndex> {
  let index: Record<string, unknown>;
  try {
    index = (await files.json('model_index.json')) as Record<string, unknown>;
  } catch (e) {
    throw loadError('ModelLoad', `${files.label} has no readable model_index.json: ${(e as Error).message}`, {
      hint: 'Pick a diffusers-format repository (e.g. stabilityai/sd-turbo), not a single checkpoint file.',
      cause: e,
    });
  }
  if (typeof index !== 'object' || index === null) throw loadError('ModelLoad', `${files.label}/model_index.json is not a JSON object.`);
  const pipeline = String(index._class_name ?? '');
  if (!PIPELINES.has(pipeline)) {
    throw loadError('Unsupported', `${files.label} is a ${pipeline || 'pipeline of unknown type'}; the playground runs Stable Diffusion 1.x/2.x text-to-image pipelines.`, {
      hint: 'Try stabilityai/sd-turbo or another StableDiffusionPipeline repository.',
    });
  }
  if (pipeline === 'StableDiffusionXLPipeline') {
    throw loadError('Unsupported', `${files.label} is SDXL (two text encoders, added conditioning), which the playground does not run yet.`, {
      hint: 'Try an SD 1.x / 2.x model such as stabilityai/sd-turbo.',
    });
  }
  for (const part of ['unet', 'vae', 'text_encoder', 'tokenizer', 'scheduler']) {
    if (!(part in index)) throw loadError('ModelLoad', `${files.label}/model_index.json lists no "${part}".`, { hint: 'The repository is incomplete; pick a full diffusers pipeline.' });
  }
  const weights = {} as SdRepoIndex['weights'];
  for (const part of ['unet', 'text_encoder', 'vae'] as const) {
    const names = [`${part}/${WEIGHT_BASE[part]}.safetensors`];
    if (opts.fp16) names.unshift(`${part}/${WEIGHT_BASE[part]}.fp16.safetensors`);
    let found: string | null = null;
    for (const n of names) {
      if (await files.source(n)) {
        found = n;
        break;
      }
    }
    if (!found) {
      throw loadError('ModelLoad', `${files.label} has no ${names.join(' or ')}.`, {
        hint: 'The playground reads safetensors weights (not PyTorch .bin pickles); pick a repository that ships them.',
      });
    }
    weights[part] = found;
  }
  return { pipeline, weights };
}

/** Bytes of the largest activation buffers an image of this size needs (f32), per batch item. */
export function sdActivationPeaks(o: { width: number; height: number; unetChannels: number[]; vaeChannels: number[] }): { unet: number; vae: number } {
  const lh = o.height / 8;
  const lw = o.width / 8;
  // UNet: the widest concatenation of the up path at full latent size (stream + skip, then resnet).
  const c0 = o.unetChannels[0];
  const c1 = o.unetChannels.length > 1 ? o.unetChannels[1] : c0;
  const unet = (c0 + c1) * lh * lw * 4;
  // VAE decoder: the block before the last ends with a 2x upsample to full image size at its own
  // (wider) channel count; the last block then runs at full size with the first channel count.
  const v = o.vaeChannels;
  const widest = Math.max(v[0], v.length > 1 ? v[1] : v[0]);
  return { unet, vae: widest * o.width * o.height * 4 };
}

/**
 * The size limits of an image on this device: width and height multiples of `multiple` (8 x the
 * UNet's downsampling), and no activation larger than one storage binding. Returns a message that
 * says what to pick instead, or null when the size fits.
 */
export function checkImageSize(
  o: { width: number; height: number; unetChannels: number[]; vaeChannels: number[]; maxBinding: number; decoder: 'vae' | 'taesd' },
): string | null {
  const multiple = 8 * 2 ** (o.unetChannels.length - 1);
  for (const [what, v] of [['Width', o.width], ['Height', o.height]] as const) {
    if (!Number.isInteger(v) || v < multiple || v % multiple !== 0) return `${what} ${v} must be a positive multiple of ${multiple} (the latent is 1/8 of the image and the UNet halves it ${o.unetChannels.length - 1} times).`;
  }
  const peaks = sdActivationPeaks(o);
  const need = Math.max(peaks.unet, o.decoder === 'vae' ? peaks.vae : 0);
  if (need > o.maxBinding) {
    // Scale the area down to fit, keeping the aspect, snapped to the multiple.
    const k = Math.sqrt(o.maxBinding / need);
    const w = Math.max(multiple, Math.floor((o.width * k) / multiple) * multiple);
    const h = Math.max(multiple, Math.floor((o.height * k) / multiple) * multiple);
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    return `${o.width}x${o.height} needs a ${mb(need)} buffer (the ${need === peaks.unet ? "UNet's widest layer" : "VAE decoder's full-size layers"}); this GPU allows ${mb(o.maxBinding)} per buffer. Pick at most ${w}x${h}${o.decoder === 'vae' && need !== peaks.unet ? ', or decode with TAESD' : ''}.`;
  }
  return null;
}
