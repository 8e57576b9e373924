// Loading from a hub-shaped HTTP server (…/<repo>/resolve/main/<file>, redirecting to a content
// URL that honours Range, as Hugging Face does): the model streams in by ranges, never as one
// whole-file request, and a cancelled download leaves the loaded model in place.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLING, type EngineEvent } from '../engine/protocol';
import { parseModelRef } from '../formats/hub';
import { syntheticLlama } from '../models/llama/synthetic';
import { nodeGpu } from '../test/node-gpu';
import { Engine } from './engine';

const gpu = await nodeGpu('swiftshader');
const model = syntheticLlama({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 48, seed: 3 }).gguf;
const requests: { path: string; range?: string }[] = [];
let slow = false;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push({ path, range: req.headers.range });
    if (path === '/owner/tiny-GGUF/resolve/main/tiny-q8.gguf') {
      res.writeHead(302, { Location: '/cdn/blobs/abc123' }).end();
      return;
    }
    if (path !== '/cdn/blobs/abc123') return void res.writeHead(404).end('Entry not found');
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) return void res.writeHead(200, { 'Content-Length': model.length }).end(Buffer.from(model));
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), model.length - 1);
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${model.length}`, 'Content-Length': end - start + 1 });
    const body = Buffer.from(model.subarray(start, end + 1));
    if (slow) setTimeout(() => res.end(body), 300);
    else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => server.close());

describe('models from a hub-shaped server', () => {
  it('follows the resolve redirect and streams the file by Range requests', async () => {
    const events: EngineEvent[] = [];
    const e = new Engine({ gpu: () => gpu });
    e.connect((ev) => events.push(ev));
    await e.init(1);
    const { url } = parseModelRef('owner/tiny-GGUF/tiny-q8.gguf', base);
    const info = await e.loadModel(2, { kind: 'url', url });
    expect(info.source).toContain('tiny-q8.gguf');
    const cdn = requests.filter((r) => r.path.startsWith('/cdn/'));
    expect(cdn.length).toBeGreaterThan(1);
    expect(cdn.every((r) => r.range !== undefined)).toBe(true);
    expect(events.some((x) => x.type === 'progress' && x.unit === 'bytes')).toBe(true);
    const r = await e.generate(3, { mode: 'raw', prompt: 'Hi', sampling: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 3 } });
    expect(r.tokenIds.length).toBeGreaterThan(0);

    // A 404 says what to check.
    await expect(e.loadModel(4, { kind: 'url', url: parseModelRef('owner/tiny-GGUF/missing.gguf', base).url })).rejects.toMatchObject({
      name: 'ModelLoad',
      message: expect.stringContaining('404'),
    });

    // Cancel a slow download: Cancelled, and the model loaded before still answers.
    slow = true;
    const loading = e.loadModel(5, { kind: 'url', url });
    setTimeout(() => e.cancel(5), 500);
    await expect(loading).rejects.toMatchObject({ name: 'Cancelled' });
    slow = false;
    const again = await e.generate(6, { mode: 'raw', prompt: 'Hi', sampling: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 3 } });
    expect(again.tokenIds).toEqual(r.tokenIds.slice(0, again.tokenIds.length));
    await e.dispose();
  });

  it('checks the fit from the header, downloads into the cache once, then loads from it with no request', async () => {
    const events: EngineEvent[] = [];
    const e = new Engine({ gpu: () => gpu });
    e.connect((ev) => events.push(ev));
    await e.init(1);
    const { url } = parseModelRef('owner/tiny-GGUF/tiny-q8.gguf', base);
    requests.length = 0;
    const fit = await e.inspectModel(2, { kind: 'url', url, cache: true });
    expect(fit).toMatchObject({ name: expect.any(String), arch: 'llama', cached: false, verdict: 'fits', fileBytes: model.length });
    expect(fit.totalBytes).toBe(fit.weightBytes + fit.kvCacheBytes + fit.activationBytes);
    const headerReads = requests.filter((r) => r.path.startsWith('/cdn/'));
    expect(headerReads.length).toBeGreaterThan(0);
    expect(headerReads.every((r) => r.range !== undefined)).toBe(true);

    const info = await e.loadModel(3, { kind: 'url', url, cache: true });
    expect(info.fromCache).toBe(false);
    const dl = events.filter((x): x is Extract<EngineEvent, { type: 'progress' }> => x.type === 'progress' && x.stage === 'downloading');
    expect(dl.length).toBeGreaterThan(0);
    expect(dl.at(-1)).toMatchObject({ done: model.length, total: model.length, unit: 'bytes' });
    const listing = await e.listCachedModels();
    expect(listing.models).toEqual([expect.objectContaining({ url, name: 'owner/tiny-GGUF/tiny-q8.gguf', bytes: model.length })]);

    requests.length = 0;
    expect((await e.inspectModel(4, { kind: 'url', url, cache: true })).cached).toBe(true);
    const again = await e.loadModel(5, { kind: 'url', url, cache: true });
    expect(again.fromCache).toBe(true);
    expect(requests).toEqual([]);

    expect((await e.deleteCachedModel(url)).models).toEqual([]);
    await e.dispose();
  });

  it('refuses an unsupported architecture from the header, before any download', async () => {
    const e = new Engine({ gpu: () => gpu });
    await e.init(1);
    const bad = syntheticLlama({ dim: 64, layers: 1, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 48, seed: 4 });
    const bytes = bad.gguf.slice();
    // Rename the architecture key's value in place: "llama" -> "mamba" (same length, so offsets hold).
    const at = Buffer.from(bytes).indexOf('general.architecture');
    const val = Buffer.from(bytes).indexOf('llama', at);
    bytes.set(Buffer.from('mamba'), val);
    await expect(e.inspectModel(2, { kind: 'bytes', name: 'odd.gguf', bytes: bytes.buffer })).rejects.toMatchObject({
      name: 'Unsupported',
      message: expect.stringContaining('mamba'),
    });
    await e.dispose();
  });

  it('reports a simulated device loss as a loss', async () => {
    const events: EngineEvent[] = [];
    const e = new Engine({ gpu: () => gpu });
    e.connect((ev) => events.push(ev));
    await e.init(1);
    await e.simulateDeviceLoss();
    await expect.poll(() => events.some((x) => x.type === 'device-lost')).toBe(true);
    await expect(e.generate(2, { mode: 'raw', prompt: 'Hi', sampling: DEFAULT_SAMPLING })).rejects.toMatchObject({ name: 'DeviceLost' });
    await e.dispose();
  });

  it('says when a download would not fit in the browser storage left to the site', async () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { storage: { estimate: async () => ({ quota: 100_000, usage: 90_000 }) } }, configurable: true });
    try {
      const e = new Engine({ gpu: () => gpu });
      await e.init(1);
      const { url } = parseModelRef('owner/tiny-GGUF/tiny-q8.gguf', base);
      const fit = await e.inspectModel(2, { kind: 'url', url, cache: true });
      expect(fit.reasons.join(' ')).toMatch(/larger than the 9\.8 KiB of browser storage this site may still use/);
      await e.dispose();
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
