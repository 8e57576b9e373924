// What the headless runner (scripts/cli.mjs) and the browser benches (scripts/bench.mjs) share: the
// cross-origin-isolation headers, sending a file with HTTP Range (a-b, a-, and the suffix form -n),
// and launching Debian's Chromium with WebGPU.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.map': 'application/json', '.txt': 'text/plain',
};

/** Answer `req` with `file` (404 when there is none), honouring Range and HEAD. */
export function sendFile(req, res, file, headers) {
  if (!existsSync(file) || !statSync(file).isFile()) return res.writeHead(404, headers).end('not found');
  const size = statSync(file).size;
  const h = { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (m && (m[1] || m[2])) {
    const start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
    const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start >= size || start > end) return res.writeHead(416, { ...h, 'Content-Range': `bytes */${size}` }).end();
    res.writeHead(206, { ...h, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    if (req.method === 'HEAD') return res.end();
    return createReadStream(file, { start, end }).pipe(res);
  }
  res.writeHead(200, { ...h, 'Content-Length': size });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

/** Headless Debian Chromium with WebGPU (SwiftShader here) and the background traffic off. */
export async function launchChromium() {
  const { chromium } = await import('@playwright/test');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
