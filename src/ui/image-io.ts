// Pixels in and out of the page: any image the browser decodes (PNG, JPEG, WebP...) to RGBA bytes,
// RGBA bytes onto a canvas, and a canvas to a PNG download.
import type { ImageRgba } from '../engine/protocol';

export async function decodeImage(blob: Blob): Promise<ImageRgba> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error('The browser could not decode this file as an image: pick a PNG, JPEG or WebP.');
  }
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { colorSpace: 'srgb' });
  if (!ctx) throw new Error('This browser has no 2D canvas to read pixels with.');
  ctx.drawImage(bmp, 0, 0);
  const d = ctx.getImageData(0, 0, bmp.width, bmp.height);
  bmp.close();
  return { width: d.width, height: d.height, data: new Uint8Array(d.data.buffer) };
}

export function drawImage(canvas: HTMLCanvasElement, img: ImageRgba): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data.buffer as ArrayBuffer, img.data.byteOffset, img.data.length), img.width, img.height), 0, 0);
}

/** Save an image as a PNG file through a temporary link. */
export function downloadPng(img: ImageRgba, name: string): void {
  const c = document.createElement('canvas');
  drawImage(c, img);
  c.toBlob((b) => {
    if (!b) return;
    const url = URL.createObjectURL(b);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }, 'image/png');
}
