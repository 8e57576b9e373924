// The esrgan-slim graph read from its model.json, run by the CPU reference on the package's
// fixture, against the package's own golden outputs: this checks the graph was read right
// (weight layout, padding, concat order, upsampling) before any GPU kernel is involved.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePng, psnrRgb } from '../../formats/png';
import { parseLayersModel, weightPaths } from '../../formats/tfjs-layers';
import { chwToRgba, rgbaToChw } from './image';
import { runLayersRef } from './ref';

const pkg = 'node_modules/@upscalerjs/esrgan-slim';

function load(scale: number) {
  const dir = `${pkg}/models/x${scale}`;
  const json = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));
  return parseLayersModel(json, weightPaths(json).map((p) => new Uint8Array(readFileSync(`${dir}/${p}`))), `x${scale}/model.json`);
}

describe('esrgan-slim on the CPU reference', () => {
  it('reads the x2 graph: 12 convolutions (one 5x5), 3 concats, 3 adds, a 2x nearest upsample', () => {
    const g = load(2);
    const count = (op: string) => g.ops.filter((o) => o.op === op).length;
    expect([count('conv'), count('concat'), count('add'), count('upsample'), count('relu')]).toEqual([12, 3, 3, 1, 4]);
    expect(g.ops.filter((o) => o.op === 'conv').map((o) => (o.op === 'conv' ? o.k : 0))).toContain(5);
    expect(g.channels.get(g.output)).toBe(3);
  });

  // x2 only: the CPU reference takes ~15 s per image here; the GPU upscaler test covers 2x, 3x, 4x.
  for (const scale of [2]) {
    it(`x${scale} turns the fixture into the golden result (PSNR >= 30 dB)`, async () => {
      const g = load(scale);
      const fixture = await decodePng(readFileSync(`${pkg}/assets/fixture.png`));
      const gold = await decodePng(readFileSync(`${pkg}/assets/samples/${scale}x/result.png`));
      const out = chwToRgba(runLayersRef(g, rgbaToChw(fixture)));
      const psnr = psnrRgb(out, gold);
      console.log(`[esrgan ref] x${scale}: PSNR ${psnr.toFixed(2)} dB against the golden`);
      expect(psnr).toBeGreaterThanOrEqual(30);
    }, 120_000);
  }

  it('refuses layers it cannot run, by name', () => {
    const dir = `${pkg}/models/x2`;
    const json = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));
    const shards = weightPaths(json).map((p) => new Uint8Array(readFileSync(`${dir}/${p}`)));
    json.modelTopology.model_config.config.layers[3].class_name = 'BatchNormalization';
    expect(() => parseLayersModel(json, shards, 'odd.json')).toThrow(/odd\.json: layer "F_1_1" is a BatchNormalization/);
    expect(() => parseLayersModel(JSON.parse(readFileSync(`${dir}/model.json`, 'utf8')), [shards[0].subarray(0, 1000)], 'cut.json')).toThrow(/cut\.json: the weight files end inside/);
  });
});
