// Downloading into the model cache (the in-memory store; the OPFS one runs in the browser e2e):
// progress in bytes, nothing listed after a cancel, a short body or an HTTP error, each with its
// own message.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKey, downloadToStore, memoryStore } from './model-store';

const FILE = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    if (path === '/ok.gguf' || path === '/slow.gguf') {
      res.writeHead(200, { 'Content-Length': FILE.length });
      const chunk = 50_000;
      let at = 0;
      const push = () => {
        if (at >= FILE.length) return void res.end();
        res.write(Buffer.from(FILE.subarray(at, at + chunk)));
        at += chunk;
        setTimeout(push, path === '/slow.gguf' ? 150 : 1);
      };
      push();
      return;
    }
    if (path === '/short.gguf') {
      res.writeHead(200, { 'Content-Length': FILE.length });
      res.write(Buffer.from(FILE.subarray(0, 1000)));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.writeHead(404).end('Entry not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => server.close());

describe('downloadToStore', () => {
  it('stores the whole file and reports growing byte counts against the total', async () => {
    const store = memoryStore();
    const seen: { done: number; total: number }[] = [];
    const blob = await downloadToStore(store, `${base}/ok.gguf`, { onProgress: (p) => seen.push(p) });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((p) => p.total === FILE.length)).toBe(true);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
    expect(seen.at(-1)?.done).toBe(FILE.length);
    const list = await store.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ url: `${base}/ok.gguf`, name: 'ok.gguf', bytes: FILE.length });
    await store.delete(`${base}/ok.gguf`);
    expect(await store.list()).toEqual([]);
    expect(await store.get(`${base}/ok.gguf`)).toBeNull();
  });

  it('a cancelled download says so and leaves nothing in the cache', async () => {
    const store = memoryStore();
    const ac = new AbortController();
    const p = downloadToStore(store, `${base}/slow.gguf`, {
      signal: ac.signal,
      onProgress: (q) => {
        if (q.done >= 100_000) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'Cancelled', message: 'Downloading slow.gguf was cancelled.' });
    expect(await store.list()).toEqual([]);
  });

  it('an HTTP error and a body cut short are ModelLoad errors that say what happened', async () => {
    const store = memoryStore();
    await expect(downloadToStore(store, `${base}/missing.gguf`)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringContaining('answered 404') });
    await expect(downloadToStore(store, `${base}/short.gguf`)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/short\.gguf/) });
    expect(await store.list()).toEqual([]);
  });

  it('names files by a stable hash of the URL', () => {
    expect(cacheKey('a')).toBe(cacheKey('a'));
    expect(cacheKey('a')).not.toBe(cacheKey('b'));
    expect(cacheKey('https://x/y.gguf')).toMatch(/^[0-9a-f]{16}$/);
  });
});
