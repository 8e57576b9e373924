// The PNG decoder on the upscaler's own fixture and goldens (RGBA, several filter types), and a
// hand-made palette image; PSNR of an image with itself and with a known error.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, psnrRgb } from './png';

const pkg = 'node_modules/@upscalerjs/esrgan-slim/assets';

function chunk(type: string, body: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32BE(body.length, 0);
  b.write(type, 4, 'ascii');
  Buffer.from(body).copy(b, 8);
  return b; // CRC left zero: the decoder does not check it
}

describe('decodePng', () => {
  it('decodes the upscaler fixture and goldens to the sizes they claim', async () => {
    const img = await decodePng(readFileSync(`${pkg}/fixture.png`), 'fixture.png');
    expect([img.width, img.height, img.data.length]).toEqual([128, 128, 128 * 128 * 4]);
    const gold = await decodePng(readFileSync(`${pkg}/samples/2x/result.png`));
    expect([gold.width, gold.height]).toEqual([256, 256]);
    // Not a flat image: many distinct colours.
    const colours = new Set<number>();
    for (let i = 0; i < img.data.length; i += 4) colours.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
    expect(colours.size).toBeGreaterThan(1000);
    expect(psnrRgb(img, img)).toBe(Infinity);
  });

  it('decodes a palette image with every filter and measures PSNR', async () => {
    const w = 3;
    const h = 5;
    const ihdr = new Uint8Array(13);
    new DataView(ihdr.buffer).setUint32(0, w);
    new DataView(ihdr.buffer).setUint32(4, h);
    ihdr.set([8, 3, 0, 0, 0], 8);
    const plte = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    // Rows of palette indices 0,1,2 with filters None, Sub, Up, Average, Paeth (all decode to 0 1 2).
    const rows = [
      [0, 0, 1, 2],
      [1, 0, 1, 1],
      [2, 0, 0, 0],
      [3, 0, 1, 1],
      [4, 0, 0, 0],
    ];
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('PLTE', plte),
      chunk('IDAT', deflateSync(Buffer.from(rows.flat()))),
      chunk('IEND', new Uint8Array(0)),
    ]);
    const img = await decodePng(png);
    for (let y = 0; y < h; y++) {
      expect(Array.from(img.data.subarray(y * 12, y * 12 + 12)), `row ${y}`).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
    }
    const off = { ...img, data: img.data.map((v, i) => (i % 4 === 3 ? v : Math.max(0, v - 1))) };
    // Every RGB value off by at most 1 (255s drop by one, 0s stay): MSE = 1/3 -> 10 log10(255^2 * 3).
    expect(psnrRgb(img, off)).toBeCloseTo(10 * Math.log10(255 * 255 * 3), 6);
    await expect(decodePng(Buffer.from('not a png'))).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringContaining('signature') });
  });
});
