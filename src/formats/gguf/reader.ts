// Reads a GGUF header front to back from a ByteSource. Headers of real models hold 150k-token
// vocabularies (several MB) and sit in front of gigabytes of tensors, so the header is fetched in
// chunks that double in size (few round trips over HTTP) and nothing past it is asked for beyond
// the last chunk. Reads of values are synchronous over the buffered bytes; only `fill` awaits, so
// hot loops (150k strings) check `available` and await only when a chunk runs out.

import { checkAbort, loadError } from '../errors';
import { EngineError } from '../../util/errors';
import type { ByteSource } from '../source';

/** The file ended before a header field: a ModelLoad the parser can tell apart from a failed read. */
export class TruncatedError extends EngineError {
  constructor(message: string) {
    super('ModelLoad', message);
  }
}

export interface ReaderOptions {
  signal?: AbortSignal;
  /** First chunk in bytes (default 1 MiB); each further chunk doubles, up to 16 MiB. */
  chunkSize?: number;
  onProgress?: (headerBytesRead: number) => void;
}

const MAX_CHUNK = 16 * 1024 * 1024;
// ignoreBOM: a string that starts with U+FEFF (Llama-2 has a token that is exactly that) keeps it.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class HeaderReader {
  /** Absolute file offset of the next byte to read. */
  pos = 0;
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private bufStart = 0;
  private chunk: number;
  private bytesRead = 0;

  constructor(
    readonly source: ByteSource,
    private readonly opts: ReaderOptions = {},
  ) {
    this.chunk = Math.max(64, opts.chunkSize ?? 1024 * 1024);
  }

  /** Bytes buffered past `pos`. */
  get available(): number {
    return this.bufStart + this.buf.length - this.pos;
  }

  /** Bytes of the file from `pos` to its end, when the source knows its size. */
  get remaining(): number | undefined {
    const size = this.source.size;
    return size === undefined ? undefined : size - this.pos;
  }

  /** Make at least `n` bytes available, or throw a ModelLoad naming `field` and the byte where the file ends. */
  async fill(n: number, field: string): Promise<void> {
    while (this.available < n) {
      checkAbort(this.opts.signal, `Reading the GGUF header of ${this.source.name}`);
      const end = this.bufStart + this.buf.length;
      const size = this.source.size;
      if (size !== undefined && this.pos + n > size) this.truncated(n, field, size);
      let want = Math.max(n - this.available, this.chunk);
      if (size !== undefined) want = Math.min(want, size - end);
      const data = await this.source.read(end, want, this.opts.signal);
      this.bytesRead += data.length;
      this.opts.onProgress?.(this.bytesRead);
      this.chunk = Math.min(this.chunk * 2, MAX_CHUNK);
      const keep = this.buf.subarray(this.pos - this.bufStart);
      const next = new Uint8Array(keep.length + data.length);
      next.set(keep, 0);
      next.set(data, keep.length);
      this.buf = next;
      this.view = new DataView(next.buffer);
      this.bufStart = this.pos;
      if (data.length === 0) this.truncated(n, field, end);
    }
  }

  private truncated(n: number, field: string, fileEnd: number): never {
    throw new TruncatedError(`The GGUF header of ${this.source.name} is cut short: ${field} at byte ${this.pos} ` +
      `needs ${n} bytes, but the file ends at byte ${fileEnd}. The file is incomplete (an interrupted download?); download it again.`);
  }

  /** Offset into the buffer of `pos`, advancing by `n` (the caller has filled). */
  private take(n: number): number {
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }
  i8(): number {
    return this.view.getInt8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8), true);
  }

  /** A u64 count or size as a number; `field` names it if it cannot be one. */
  u64Number(field: string): number {
    const at = this.pos;
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.corrupt(field, at, `${v}`, 'more than any file can hold');
    return Number(v);
  }

  /** `len` bytes as UTF-8 (invalid sequences become U+FFFD rather than failing the load). */
  string(len: number): string {
    const at = this.take(len);
    const bytes = this.buf.subarray(at, at + len);
    if (len <= 32) {
      // Most vocabulary entries are short ASCII; skipping TextDecoder for them halves parse time.
      let ascii = true;
      for (let i = 0; i < len; i++) if (bytes[i] >= 0x80) { ascii = false; break; }
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    return utf8.decode(bytes);
  }

  /** Raw bytes (a view into the buffer, valid until the next fill). */
  bytes(len: number): Uint8Array {
    const at = this.take(len);
    return this.buf.subarray(at, at + len);
  }

  /** A DataView and its offset over `len` buffered bytes, for decoding arrays in one pass. */
  span(len: number): { view: DataView; at: number } {
    return { view: this.view, at: this.take(len) };
  }

  /** Throw ModelLoad for a value that cannot be right (absurd counts, bad lengths). */
  corrupt(field: string, at: number, value: string, why: string): never {
    throw loadError('ModelLoad', `The GGUF header of ${this.source.name} looks corrupt: ${field} at byte ${at} is ${value}, ${why}. ` +
      'The file may be damaged or not a model; download it again.');
  }
}
