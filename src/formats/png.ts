// A small PNG decoder (8-bit, non-interlaced; grey, grey+alpha, RGB, RGBA, palette) to RGBA bytes.
// The browser could decode through createImageBitmap, but the upscaler's golden images must
// decode the same way in Node tests and in the worker, byte for byte. zlib data is inflated with
// DecompressionStream, which both have.
import { loadError } from './errors';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major. */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export async function decodePng(bytes: Uint8Array, name = 'image'): Promise<RgbaImage> {
  const bad = (msg: string) => loadError('ModelLoad', `${name} is not a PNG this decoder reads: ${msg}.`, { hint: 'Use an 8-bit PNG (or a JPEG/WebP, which the page converts).' });
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw bad('the PNG signature is missing');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let p = 8; p + 8 <= bytes.length; ) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (body.length < len) throw bad(`chunk ${type} is cut off`);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      const depth = bytes[p + 16];
      colorType = bytes[p + 17];
      if (depth !== 8) throw bad(`bit depth ${depth} (only 8 is read)`);
      if (!(colorType in CHANNELS)) throw bad(`colour type ${colorType}`);
      if (bytes[p + 20] !== 0) throw bad('it is interlaced');
    } else if (type === 'PLTE') palette = body.slice();
    else if (type === 'tRNS') trns = body.slice();
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!width || !height || idat.length === 0) throw bad('it has no image data');
  const ch = CHANNELS[colorType];
  const stride = width * ch;
  const raw = await inflate(new Uint8Array(await new Blob(idat as BlobPart[]).arrayBuffer()));
  if (raw.length < height * (stride + 1)) throw bad('its image data is shorter than its size says');
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = px.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? px.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= ch ? row[x - ch] : 0;
      const b = up ? up[x] : 0;
      const c = up && x >= ch ? up[x - ch] : 0;
      const v = src[x];
      row[x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : filter === 4 ? v + paeth(a, b, c) : NaN) & 255;
      if (filter > 4) throw bad(`row ${y} has filter type ${filter}`);
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * ch;
    let r: number, g: number, b: number, a = 255;
    if (colorType === 3) {
      if (!palette) throw bad('a palette image has no palette');
      const k = px[s];
      [r, g, b] = [palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]];
      if (trns && k < trns.length) a = trns[k];
    } else if (ch <= 2) {
      r = g = b = px[s];
      if (ch === 2) a = px[s + 1];
    } else {
      [r, g, b] = [px[s], px[s + 1], px[s + 2]];
      if (ch === 4) a = px[s + 3];
    }
    out.set([r, g, b, a], i * 4);
  }
  return { width, height, data: out };
}

/** Peak signal-to-noise ratio over the RGB channels of two same-sized RGBA images (8-bit peak). */
export function psnrRgb(a: RgbaImage, b: RgbaImage): number {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`psnr: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let se = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const d = a.data[4 * i + c] - b.data[4 * i + c];
      se += d * d;
    }
  }
  const mse = se / (3 * n);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
