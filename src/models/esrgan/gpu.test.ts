// The upscaler on real WebGPU: esrgan-slim's own weights turn the package's fixture into its golden
// outputs (PSNR >= 30 dB, the bar), and tiling with margins gives exactly what one pass
// over the whole image gives (held to the CPU reference on an odd-sized crop).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePng, psnrRgb, type RgbaImage } from '../../formats/png';
import { parseLayersModel, weightPaths } from '../../formats/tfjs-layers';
import { nodeSubstrates } from '../../test/node-gpu';
import { GpuUpscaler, receptiveRadius } from './gpu';
import { chwToRgba, rgbaToChw } from './image';
import { runLayersRef } from './ref';

const pkg = 'node_modules/@upscalerjs/esrgan-slim';

function load(scale: number) {
  const dir = `${pkg}/models/x${scale}`;
  const json = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));
  return parseLayersModel(json, weightPaths(json).map((p) => new Uint8Array(readFileSync(`${dir}/${p}`))), `x${scale}/model.json`);
}

function crop(img: RgbaImage, x0: number, y0: number, w: number, h: number): RgbaImage {
  const data = new Uint8Array(4 * w * h);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(4 * ((y0 + y) * img.width + x0), 4 * ((y0 + y) * img.width + x0 + w)), 4 * y * w);
  return { width: w, height: h, data };
}

describe('esrgan-slim graph facts', () => {
  it('reaches 10 input pixels (9 along the longest conv path, half a pixel for the 3x3 after the 2x upsampling)', () => {
    expect(receptiveRadius(load(2))).toBe(10);
  });
});

for (const sub of nodeSubstrates()) {
  describe(`upscaler on ${sub.name}`, () => {
    // A whole 128x128 run is ~7 GFLOP: about a minute on SwiftShader here, where e2e/image.spec.ts
    // already runs 2x in Chromium; lavapipe runs 2x, 3x and 4x in seconds.
    const scales = sub.name === 'lavapipe' ? [2, 3, 4] : [];
    for (const scale of scales) {
      it(`x${scale}: the fixture becomes the golden result (PSNR >= 30 dB)`, async () => {
        const rt = await sub.runtime();
        const up = await GpuUpscaler.create(rt, load(scale));
        const fixture = await decodePng(readFileSync(`${pkg}/assets/fixture.png`));
        const gold = await decodePng(readFileSync(`${pkg}/assets/samples/${scale}x/result.png`));
        const r = await up.upscale(fixture);
        const psnr = psnrRgb(r.image, gold);
        console.log(`[upscaler ${sub.name}] x${scale}: PSNR ${psnr.toFixed(2)} dB, ${r.ms.toFixed(0)} ms, ${r.tiles} tile(s)`);
        expect([r.image.width, r.image.height]).toEqual([128 * scale, 128 * scale]);
        expect(psnr).toBeGreaterThanOrEqual(30);
        up.release();
      }, 240_000);
    }

    it('tiles with margins give the untiled result (odd 37x29 crop, tiles of 16)', async () => {
      const rt = await sub.runtime();
      const g = load(2);
      const up = await GpuUpscaler.create(rt, g);
      const img = crop(await decodePng(readFileSync(`${pkg}/assets/fixture.png`)), 40, 50, 37, 29);
      const tiled = await up.upscale(img, { tile: 16 });
      expect(tiled.tiles).toBe(3 * 2);
      const whole = chwToRgba(runLayersRef(g, rgbaToChw(img)));
      let maxDiff = 0;
      for (let i = 0; i < whole.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole.data[i] - tiled.image.data[i]));
      // Bytes after rounding: f32 sums in another order may flip a rounding by one level.
      expect(maxDiff).toBeLessThanOrEqual(1);
      expect(psnrRgb(tiled.image, whole)).toBeGreaterThan(60);
      up.release();
    }, 240_000);
  });
}
