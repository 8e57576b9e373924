// Byte ranges of model files without loading whole files. A 1 GB GGUF is parsed from its first
// few MB, then its tensors are read one range at a time, from disk through Blob.slice or from a
// server through HTTP Range requests, so memory holds one tensor's bytes, never the whole file.

import { checkAbort, isAbort, loadError, cancelledError } from './errors';

export interface ByteSource {
  /** Total bytes when known; an HTTP source learns it from its first answer (Content-Range or HEAD). */
  readonly size: number | undefined;
  /** A file name or URL, for messages. */
  readonly name: string;
  /**
   * Bytes [offset, offset + length). Fewer only where the range runs past the end of the file.
   * The result may share memory with the source (bufferSource): treat it as read-only.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

function checkRange(name: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`read(${offset}, ${length}) on ${name}: offset and length must be non-negative integers`);
  }
}

/** Reject as Cancelled when the signal fires, even if the underlying work cannot be stopped. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(what));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** An in-memory file, for tests and for files already downloaded. */
export function bufferSource(u8: Uint8Array, name = 'buffer'): ByteSource {
  return {
    size: u8.length,
    name,
    async read(offset, length, signal) {
      checkRange(name, offset, length);
      checkAbort(signal, `Reading ${name}`);
      return u8.subarray(Math.min(offset, u8.length), Math.min(offset + length, u8.length));
    },
  };
}

/** A Blob or a File the person picked: Blob.slice reads only the bytes asked for. */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const label = name ?? ((blob as Partial<File>).name || 'blob');
  return {
    size: blob.size,
    name: label,
    async read(offset, length, signal) {
      checkRange(label, offset, length);
      const what = `Reading ${label}`;
      checkAbort(signal, what);
      const end = Math.min(offset + length, blob.size);
      if (offset >= end) return new Uint8Array(0);
      try {
        return new Uint8Array(await abortable(blob.slice(offset, end).arrayBuffer(), signal, what));
      } catch (e) {
        if (isAbort(e, signal)) throw cancelledError(what);
        throw loadError('ModelLoad', `Could not read ${label} at bytes ${offset}-${end - 1}: ${String((e as Error).message ?? e)}. ` +
          'The file may have been moved or changed since it was chosen; choose it again.', { cause: e });
      }
    },
  };
}

export interface HttpSourceOptions {
  /** Injected fetch (tests, or a fetch with credentials / progress). */
  fetch?: typeof fetch;
  /** Total size if already known (e.g. from a hub listing); otherwise learned from the first answer. */
  size?: number;
  /**
   * A server that ignores Range answers 200 with the whole file. Files up to this many bytes are
   * then kept in memory and served from there; larger ones are refused. Default 32 MiB.
   */
  wholeFileLimit?: number;
}

interface ContentRange { start?: number; end?: number; total?: number }

function parseContentRange(header: string | null): ContentRange | undefined {
  if (!header) return undefined;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(header.trim());
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined || s === '*' ? undefined : Number(s));
  return { start: num(m[1]), end: num(m[2]), total: num(m[3]) };
}

export function urlName(url: string): string {
  const path = url.split(/[?#]/)[0];
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last) || url;
  } catch {
    return last || url;
  }
}

export function statusError(url: string, res: Response): Error {
  const status = `${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  const what =
    res.status === 404 ? 'Check the URL (on Hugging Face: https://huggingface.co/<repo>/resolve/<revision>/<file>).'
    : res.status === 401 || res.status === 403 ? 'The model may be gated or private: open it on its hub page and accept its terms, or download it and open the file from disk.'
    : res.status >= 500 ? 'The server failed; try again later.'
    : 'Check the URL, or download the file and open it from disk.';
  return loadError('ModelLoad', `The server at ${url} answered ${status}. ${what}`);
}

/** Read a body up to `cap` bytes; undefined (and the body cancelled) when it is longer. */
async function readCapped(res: Response, cap: number): Promise<Uint8Array | undefined> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

class HttpSource implements ByteSource {
  size: number | undefined;
  readonly name: string;
  private whole: Uint8Array | undefined;
  private headTried = false;

  constructor(
    private readonly url: string,
    private readonly fetchFn: typeof fetch,
    private readonly wholeFileLimit: number,
    size: number | undefined,
  ) {
    this.name = urlName(url);
    this.size = size;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    checkRange(this.url, offset, length);
    const what = `Downloading ${this.name}`;
    checkAbort(signal, what);
    if (this.whole) return this.whole.subarray(Math.min(offset, this.whole.length), offset + length);
    if (this.size !== undefined) length = Math.max(0, Math.min(length, this.size - offset));
    if (length === 0) return new Uint8Array(0);
    const last = offset + length - 1;
    try {
      const res = await this.fetchFn(this.url, { headers: { Range: `bytes=${offset}-${last}` }, signal });
      if (res.status === 206) return await this.partial(res, offset, length, signal);
      if (res.status === 200) return await this.ignoredRange(res, offset, length);
      await res.body?.cancel();
      if (res.status === 416) {
        // Asked past the end: the answer carries the real size as "bytes */N".
        const total = parseContentRange(res.headers.get('Content-Range'))?.total;
        if (total !== undefined) this.size = total;
        return new Uint8Array(0);
      }
      throw statusError(this.url, res);
    } catch (e) {
      if (isAbort(e, signal)) throw cancelledError(what);
      if ((e as Error).name === 'ModelLoad' || (e as Error).name === 'Unsupported') throw e;
      throw loadError('ModelLoad', `Could not fetch ${this.url} (bytes ${offset}-${last}): ${String((e as Error).message ?? e)}. ` +
        'Check the connection; a file on another site must allow cross-origin requests (CORS).', { cause: e });
    }
  }

  private async partial(res: Response, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const range = parseContentRange(res.headers.get('Content-Range'));
    if (range?.total !== undefined) this.size = range.total;
    if (range?.start !== undefined && range.start !== offset) {
      await res.body?.cancel();
      throw loadError('ModelLoad', `The server at ${this.url} answered a request for bytes ${offset}-${offset + length - 1} ` +
        `with bytes ${range.start}-${range.end}. Serve the file from a server with working HTTP Range support.`);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    const expected = this.size === undefined ? length : Math.min(length, this.size - offset);
    if (body.length < expected && this.size !== undefined) {
      throw loadError('ModelLoad', `The server at ${this.url} sent ${body.length} bytes for bytes ${offset}-${offset + length - 1} ` +
        `of a ${this.size}-byte file (the connection may have dropped). Try again.`);
    }
    // Content-Range can be hidden from cross-origin pages; Content-Length of a HEAD is not.
    if (this.size === undefined && !this.headTried) await this.head(signal);
    return body.length > length ? body.subarray(0, length) : body;
  }

  private async ignoredRange(res: Response, offset: number, length: number): Promise<Uint8Array> {
    const declared = Number(res.headers.get('Content-Length') ?? NaN);
    const body = declared > this.wholeFileLimit ? undefined : await readCapped(res, this.wholeFileLimit);
    if (!body) {
      await res.body?.cancel().catch(() => undefined);
      const size = Number.isFinite(declared) ? ` (${declared} bytes)` : '';
      throw loadError('Unsupported', `The server at ${this.url} ignored the Range request and sent the whole file${size}. ` +
        `Files over ${this.wholeFileLimit} bytes are only read in ranges: serve the file from a server that supports ` +
        'HTTP Range requests (Hugging Face, nginx, vite), or download it and open it from disk.');
    }
    this.whole = body;
    this.size = body.length;
    return body.subarray(Math.min(offset, body.length), offset + length);
  }

  private async head(signal?: AbortSignal): Promise<void> {
    this.headTried = true;
    try {
      const res = await this.fetchFn(this.url, { method: 'HEAD', signal });
      const n = Number(res.headers.get('Content-Length') ?? NaN);
      if (res.ok && Number.isSafeInteger(n) && n >= 0) this.size = n;
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      // Best effort: without a size the parser still works, it only checks less.
    }
  }
}

/** A file on a web server, read with HTTP Range requests (`Range: bytes=a-b`). */
export function httpSource(url: string, opts: HttpSourceOptions = {}): ByteSource {
  const fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  return new HttpSource(url, fetchFn, opts.wholeFileLimit ?? 32 * 1024 * 1024, opts.size);
}
