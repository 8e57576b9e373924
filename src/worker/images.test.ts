// Bad inputs to the image tools get named errors with what to do, and the engine keeps working.
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../formats/safetensors/parse';
import { writeSafetensors } from '../formats/safetensors/write';
import { bufferSource } from '../formats/source';
import { Params } from '../models/unet/params';
import { acquireDevice } from '../runtime/device';
import { GpuRuntime } from '../runtime/runtime';
import { nodeGpu } from '../test/node-gpu';
import { Engine } from './engine';

const gpu = await nodeGpu('swiftshader');

describe('image tools refuse bad input clearly', () => {
  it('a malformed image, an unknown scale and out-of-range sampling settings', async () => {
    const e = new Engine({ gpu: () => gpu });
    await e.init(1);
    const image = { width: 4, height: 4, data: new Uint8Array(10) };
    await expect(e.upscale(2, { image, scale: 2, modelBase: 'http://127.0.0.1:9/' })).rejects.toMatchObject({ name: 'Unsupported', message: expect.stringContaining('malformed: 4x4 with 10 bytes') });
    await expect(e.upscale(3, { image: { ...image, data: new Uint8Array(64) }, scale: 5 as 2, modelBase: 'x/' })).rejects.toMatchObject({ message: expect.stringContaining('2x, 3x and 4x') });
    await expect(e.generateImage(4, { prompt: 'cat', steps: 0, guidance: 3, seed: 1, modelBase: 'x/' })).rejects.toMatchObject({ name: 'Unsupported', message: expect.stringContaining('Steps must be') });
    await expect(e.generateImage(5, { prompt: 'cat', steps: 4, guidance: 99, seed: 1, modelBase: 'x/' })).rejects.toMatchObject({ message: expect.stringContaining('Guidance must be') });
    // An unreachable model location is a ModelLoad error that names the file.
    await expect(e.generateImage(6, { prompt: 'cat', steps: 2, guidance: 3, seed: 1, modelBase: 'http://127.0.0.1:9/m/' })).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringContaining('config.json') });
    expect((await e.memory())?.live.weights).toBe(0);
    await e.dispose();
  });

  it('a weights file without a tensor the config needs names the tensor', async () => {
    const bytes = writeSafetensors([{ name: 'conv_in.weight', shape: [2, 3, 3, 3], dtype: 'F32', values: new Float32Array(54) }]);
    const src = bufferSource(bytes, 'small.safetensors');
    const runtime = new GpuRuntime(await acquireDevice(gpu, {}));
    const p = await Params.load(runtime, await parseSafetensors(src), src);
    expect(() => p.get('conv_in.bias')).toThrow(/Tensor "conv_in.bias" is missing from small\.safetensors/);
    p.release();
    runtime.destroy();
  });
});
