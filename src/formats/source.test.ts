// ByteSource implementations against real counterparts: Blob/File from Node, and httpSource against
// a node:http server on 127.0.0.1 that serves Range requests like Hugging Face does, plus routes
// that ignore Range, hide the total size, answer the wrong range, 404, or stall (for abort).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGguf } from './gguf/parse';
import { GgmlType } from './gguf/types';
import { writeGguf } from './gguf/writer';
import { blobSource, bufferSource, httpSource } from './source';

const FILE = writeGguf({
  metadata: [['general.architecture', 'llama'], ['tokenizer.ggml.tokens', Array.from({ length: 3000 }, (_, i) => `tok${i}`)]],
  tensors: [{ name: 'w', dims: [512, 512], type: GgmlType.F32, data: new Uint8Array(512 * 512 * 4).map((_, i) => i) }],
});

let server: Server;
let base = '';
const log: string[] = [];

function serveRange(req: IncomingMessage, res: ServerResponse, opts: { hideTotal?: boolean; shift?: number } = {}) {
  const size = FILE.length;
  if (req.method === 'HEAD') return res.writeHead(200, { 'Content-Length': size, 'Accept-Ranges': 'bytes' }).end();
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!m) return res.writeHead(200, { 'Content-Length': size }).end(FILE);
  const start = Number(m[1]) + (opts.shift ?? 0);
  const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  if (start >= size) return res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${opts.hideTotal ? '*' : size}`, 'Content-Length': end - start + 1 });
  res.end(FILE.subarray(start, end + 1));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    log.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    const path = req.url ?? '';
    if (path === '/repo/resolve/main/model.gguf') return serveRange(req, res);
    if (path === '/hidden-total.gguf') return serveRange(req, res, { hideTotal: true });
    if (path === '/shifted.gguf') return serveRange(req, res, { shift: 1 });
    if (path === '/no-range.gguf') return res.writeHead(200, { 'Content-Length': FILE.length }).end(FILE);
    if (path === '/stall.gguf') return res.writeHead(206, { 'Content-Range': `bytes 0-9/${FILE.length}` }).write(FILE.subarray(0, 2));
    res.writeHead(404, 'Not Found').end('nope');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('bufferSource and blobSource', () => {
  it('read ranges, clamp at the end, and know their size and name', async () => {
    for (const src of [bufferSource(FILE, 'mem.gguf'), blobSource(new File([FILE], 'disk.gguf')), blobSource(new Blob([FILE]))]) {
      expect(src.size).toBe(FILE.length);
      expect(await src.read(10, 5)).toEqual(FILE.subarray(10, 15));
      expect((await src.read(FILE.length - 3, 100)).length).toBe(3);
      expect((await src.read(FILE.length + 10, 100)).length).toBe(0);
      await expect(src.read(-1, 4)).rejects.toThrow(RangeError);
    }
    expect(blobSource(new File([FILE], 'disk.gguf')).name).toBe('disk.gguf');
    expect(blobSource(new Blob([FILE])).name).toBe('blob');
  });

  it('reject as Cancelled once the signal fired', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(blobSource(new Blob([FILE])).read(0, 4, ac.signal)).rejects.toMatchObject({ name: 'Cancelled' });
    await expect(bufferSource(FILE).read(0, 4, ac.signal)).rejects.toMatchObject({ name: 'Cancelled' });
  });
});

describe('httpSource', () => {
  it('reads byte ranges with Range requests and learns the size from Content-Range', async () => {
    log.length = 0;
    const src = httpSource(`${base}/repo/resolve/main/model.gguf`);
    expect(src.name).toBe('model.gguf');
    expect(src.size).toBeUndefined();
    expect(await src.read(100, 50)).toEqual(FILE.subarray(100, 150));
    expect(src.size).toBe(FILE.length);
    expect(log).toEqual([`GET /repo/resolve/main/model.gguf bytes=100-149`]);
    expect(await src.read(FILE.length - 10, 1000)).toEqual(FILE.subarray(FILE.length - 10));
    expect(log[1]).toBe(`GET /repo/resolve/main/model.gguf bytes=${FILE.length - 10}-${FILE.length - 1}`); // clamped
    expect((await src.read(FILE.length, 10)).length).toBe(0);
    expect(log.length).toBe(2); // past the end: no request at all
  });

  it('asks past the end of a file of unknown size and gets nothing (416)', async () => {
    const src = httpSource(`${base}/repo/resolve/main/model.gguf`);
    expect((await src.read(FILE.length + 5, 10)).length).toBe(0);
    expect(src.size).toBe(FILE.length);
  });

  it('parses a GGUF header over HTTP without downloading the tensor data', async () => {
    log.length = 0;
    const src = httpSource(`${base}/repo/resolve/main/model.gguf`);
    const file = await parseGguf(src, { chunkSize: 4096 });
    expect((file.metadata.get('tokenizer.ggml.tokens') as string[])[2999]).toBe('tok2999');
    const t = file.tensors[0];
    expect(await src.read(t.offset, 8)).toEqual(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const ranges = log.map((l) => l.split('bytes=')[1]);
    expect(ranges[0]).toBe('0-4095');
    const lastHeaderByte = Math.max(...ranges.slice(0, -1).map((r) => Number(r.split('-')[1])));
    // Chunks double, so the last one overshoots the header by less than the header's own size.
    expect(lastHeaderByte).toBeLessThan(2 * t.offset);
    expect(lastHeaderByte).toBeLessThan(FILE.length / 4);
  });

  it('learns the size from a HEAD when Content-Range hides the total', async () => {
    log.length = 0;
    const src = httpSource(`${base}/hidden-total.gguf`);
    expect(await src.read(0, 4)).toEqual(FILE.subarray(0, 4));
    expect(src.size).toBe(FILE.length);
    expect(log).toEqual(['GET /hidden-total.gguf bytes=0-3', 'HEAD /hidden-total.gguf']);
  });

  it('keeps a small file whose server ignores Range, and serves later reads from memory', async () => {
    log.length = 0;
    const src = httpSource(`${base}/no-range.gguf`);
    expect(await src.read(8, 8)).toEqual(FILE.subarray(8, 16));
    expect(await src.read(100, 3)).toEqual(FILE.subarray(100, 103));
    expect(src.size).toBe(FILE.length);
    expect(log.length).toBe(1);
  });

  it('refuses a large file whose server ignores Range, saying what to do', async () => {
    const src = httpSource(`${base}/no-range.gguf`, { wholeFileLimit: 1000 });
    const e = await src.read(0, 16).catch((x: Error) => x);
    expect(e).toMatchObject({ name: 'Unsupported' });
    expect((e as Error).message).toMatch(new RegExp(`The server at ${base}/no-range.gguf ignored the Range request and sent the whole file \\(${FILE.length} bytes\\)`));
    expect((e as Error).message).toMatch(/supports HTTP Range requests/);
  });

  it('names HTTP errors, wrong ranges and unreachable servers as ModelLoad', async () => {
    const missing = await httpSource(`${base}/nothing.gguf`).read(0, 4).catch((x: Error) => x);
    expect(missing).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/answered 404 Not Found\. Check the URL/) });
    const shifted = await httpSource(`${base}/shifted.gguf`).read(0, 4).catch((x: Error) => x);
    expect(shifted).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/request for bytes 0-3 with bytes 1-3/) });
    const down = await httpSource('http://127.0.0.1:1/x.gguf').read(0, 4).catch((x: Error) => x);
    expect(down).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/Could not fetch http:\/\/127\.0\.0\.1:1\/x\.gguf \(bytes 0-3\)/) });
  });

  it('honours AbortSignal while a response stalls', async () => {
    const ac = new AbortController();
    const pending = httpSource(`${base}/stall.gguf`).read(0, 10, ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'Cancelled', message: 'Downloading stall.gguf was cancelled.' });
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (_input, init) => {
      calls.push(String((init?.headers as Record<string, string>).Range));
      return new Response(FILE.slice(0, 4), { status: 206, headers: { 'Content-Range': `bytes 0-3/${FILE.length}` } });
    };
    expect(await httpSource('https://hub.example/m.gguf', { fetch: fake }).read(0, 4)).toEqual(FILE.subarray(0, 4));
    expect(calls).toEqual(['bytes=0-3']);
  });
});
