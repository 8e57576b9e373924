// The worker's image tools. Now: the upscaler (esrgan-slim's real TF.js weights on the playground's
// conv kernels), one GPU model per scale kept once loaded.
import type { UpscaleRequest, UpscaleResult } from '../engine/protocol';
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

export class ImageHost {
  private readonly upscalers = new Map<number, Promise<GpuUpscaler>>();

  constructor(private readonly rt: GpuRuntime) {}

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

  release(): void {
    for (const p of this.upscalers.values()) void p.then((u) => u.release()).catch(() => {});
    this.upscalers.clear();
  }
}
