// The browser's persistent model cache: whole GGUF files kept in the Origin Private File System
// (OPFS), so a model downloaded once loads again with no network. Files are named by a hash of
// their URL; index.json lists the finished ones (a file is listed only after its last byte was
// written, so a cancelled or crashed download never shows up, and its leftovers are swept).
// Without OPFS (an old browser, Node tests) the same interface keeps files in memory.
import type { CachedModel } from '../engine/protocol';
import { cancelledError, loadError } from '../formats/errors';
import { statusError, urlName } from '../formats/source';
import { fmtBytes } from '../util/format';
import { serialized } from '../util/serial';

export interface StoreWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Make the file visible in the listing. */
  commit(): Promise<void>;
  /** Drop what was written. */
  abort(): Promise<void>;
}

export interface ModelStore {
  readonly backend: 'opfs' | 'memory';
  list(): Promise<CachedModel[]>;
  /** The cached file, or null. */
  get(url: string): Promise<Blob | null>;
  create(url: string, bytes: number): Promise<StoreWriter>;
  delete(url: string): Promise<void>;
}

/** What the cache listing calls a file: `owner/repo/path` for a hub URL, else the URL's file name. */
export function displayName(url: string): string {
  const m = /\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+?)(?:[?#].*)?$/.exec(url);
  if (!m) return urlName(url);
  try {
    return `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
  } catch {
    return urlName(url);
  }
}

/** A short stable file name for a URL (FNV-1a 64 over its UTF-16 code units). */
export function cacheKey(url: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < url.length; i++) {
    h ^= BigInt(url.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

export function memoryStore(): ModelStore {
  const files = new Map<string, { meta: CachedModel; blob: Blob }>();
  return {
    backend: 'memory',
    async list() {
      return [...files.values()].map((f) => f.meta);
    },
    async get(url) {
      return files.get(url)?.blob ?? null;
    },
    async create(url) {
      const parts: Uint8Array[] = [];
      return {
        async write(chunk) {
          parts.push(chunk.slice());
        },
        async commit() {
          const blob = new Blob(parts as BlobPart[]);
          files.set(url, { meta: { url, name: displayName(url), bytes: blob.size, savedAt: Date.now() }, blob });
        },
        async abort() {
          parts.length = 0;
        },
      };
    },
    async delete(url) {
      files.delete(url);
    },
  };
}

interface IndexFile {
  version: 1;
  models: (CachedModel & { file: string })[];
}

/** The OPFS store, or null where the browser has no OPFS. */
export async function opfsStore(): Promise<ModelStore | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.getDirectory) return null;
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await (await storage.getDirectory()).getDirectoryHandle('models', { create: true });
  } catch {
    return null;
  }
  const readIndex = async (): Promise<IndexFile> => {
    try {
      const f = await (await dir.getFileHandle('index.json')).getFile();
      const parsed = JSON.parse(await f.text()) as IndexFile;
      if (parsed?.version === 1 && Array.isArray(parsed.models)) return parsed;
    } catch {
      // No index yet, or an unreadable one: start empty (the sweep below removes orphans).
    }
    return { version: 1, models: [] };
  };
  // Every read-modify-write of the index runs alone: a pipeline downloads several files at once,
  // and two commits interleaving would each drop the other's entry.
  const exclusive = serialized();
  const writeIndex = async (idx: IndexFile) => {
    const w = await (await dir.getFileHandle('index.json', { create: true })).createWritable();
    await w.write(JSON.stringify(idx));
    await w.close();
  };
  const remove = async (name: string) => {
    try {
      await dir.removeEntry(name);
    } catch {
      // already gone
    }
  };
  // Sweep files no index entry names (downloads cut short by a closed tab).
  const idx0 = await readIndex();
  const known = new Set(idx0.models.map((m) => m.file));
  const entries = (dir as unknown as { keys(): AsyncIterable<string> }).keys();
  for await (const name of entries) if (name !== 'index.json' && !known.has(name)) await remove(name);

  return {
    backend: 'opfs',
    async list() {
      return (await readIndex()).models.map(({ file: _file, ...m }) => m);
    },
    async get(url) {
      const entry = (await readIndex()).models.find((m) => m.url === url);
      if (!entry) return null;
      try {
        return await (await dir.getFileHandle(entry.file)).getFile();
      } catch {
        return null;
      }
    },
    async create(url) {
      const file = `${cacheKey(url)}.bin`;
      const handle = await dir.getFileHandle(file, { create: true });
      const w = await handle.createWritable();
      let bytes = 0;
      return {
        async write(chunk) {
          await w.write(chunk as BufferSource);
          bytes += chunk.length;
        },
        async commit() {
          await w.close();
          await exclusive(async () => {
            const idx = await readIndex();
            idx.models = idx.models.filter((m) => m.url !== url);
            idx.models.push({ url, name: displayName(url), bytes, savedAt: Date.now(), file });
            await writeIndex(idx);
          });
        },
        async abort() {
          try {
            await w.abort();
          } catch {
            // closed already
          }
          await remove(file);
        },
      };
    },
    async delete(url) {
      const gone = await exclusive(async () => {
        const idx = await readIndex();
        const g = idx.models.filter((m) => m.url === url);
        idx.models = idx.models.filter((m) => m.url !== url);
        await writeIndex(idx);
        return g;
      });
      for (const m of gone) await remove(m.file);
    },
  };
}

export interface DownloadProgress {
  done: number;
  /** 0 when the server did not say. */
  total: number;
}

function isQuotaError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
}

/**
 * Fetch `url` whole into the store, reporting bytes as they arrive. On cancel, an HTTP error, a
 * short body or a full disk, what was written is dropped and a named error says which it was.
 */
export async function downloadToStore(
  store: ModelStore,
  url: string,
  opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; fetch?: typeof fetch } = {},
): Promise<Blob> {
  const blob = await downloadIfPresent(store, url, opts);
  if (!blob) throw loadError('ModelLoad', `${url} answered 404 Not Found.`, { hint: 'Check the URL (on Hugging Face: https://huggingface.co/<repo>/resolve/<revision>/<file>).' });
  return blob;
}

/** As downloadToStore, but a 404 answer gives null (for optional files, e.g. an `.fp16` variant). */
export async function downloadIfPresent(
  store: ModelStore,
  url: string,
  opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; fetch?: typeof fetch } = {},
): Promise<Blob | null> {
  const name = urlName(url);
  const what = `Downloading ${name}`;
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw cancelledError(what);
    throw loadError('ModelLoad', `Could not reach ${url}: ${(e as Error).message ?? e}.`, {
      hint: 'Check the network connection and the hub address, or download the file and open it from disk.',
      cause: e,
    });
  }
  if (res.status === 404) return null;
  if (!res.ok) throw statusError(url, res);
  const total = Number(res.headers.get('Content-Length') ?? 0) || 0;
  const writer = await store.create(url, total);
  let done = 0;
  try {
    if (!res.body) throw loadError('ModelLoad', `The server sent no body for ${url}.`);
    const reader = res.body.getReader();
    opts.onProgress?.({ done, total });
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      await writer.write(value);
      done += value.length;
      opts.onProgress?.({ done, total });
    }
    if (total && done !== total) {
      throw loadError('ModelLoad', `The download of ${name} stopped at ${fmtBytes(done)} of ${fmtBytes(total)}.`, { hint: 'Try again; the server or the connection dropped it.' });
    }
    await writer.commit();
  } catch (e) {
    await writer.abort();
    if (opts.signal?.aborted) throw cancelledError(what);
    if (isQuotaError(e)) {
      throw loadError('ModelLoad', `The browser's storage is full: ${name} (${fmtBytes(total || done)}) does not fit in the space this site may use.`, {
        hint: 'Delete cached models you no longer need, or load the model without caching it.',
        cause: e,
      });
    }
    if (e instanceof Error && (e.name === 'ModelLoad' || e.name === 'Cancelled')) throw e;
    throw loadError('ModelLoad', `The download of ${name} failed after ${fmtBytes(done)}: ${(e as Error).message ?? e}.`, { hint: 'Try again.', cause: e });
  }
  const blob = await store.get(url);
  if (!blob) throw loadError('ModelLoad', `${name} was downloaded but could not be read back from the browser cache.`, { hint: 'Try again, or load it without caching.' });
  return blob;
}
