// Turning generated token ids into text as they arrive. Tokens are byte sequences, not text: an emoji
// can be four <0xXX> byte tokens (SentencePiece) or split across two byte-level BPE tokens. The
// decoder keeps the bytes of an unfinished UTF-8 character until the rest arrives, so push() only ever
// returns complete characters; flush() ends the stream (a truncated character becomes U+FFFD).

export interface TokenBytesSource {
  tokenBytes(id: number, showSpecial?: boolean): Uint8Array;
  isSpecial(id: number): boolean;
  /** SentencePiece with a space prefix: the space the encoder put before each text run is dropped. */
  readonly stripsPrefixSpace: boolean;
}

export interface StreamDecoder {
  /** Add one token; returns the text completed by it (often '', never a broken character). */
  push(id: number): string;
  /** End of the stream: whatever is still held, with a truncated character as U+FFFD. */
  flush(): string;
}

export interface StreamDecoderOptions {
  /** Render control tokens as their text instead of ''. */
  showSpecial?: boolean;
}

const SPACE = 0x20;

/** Per-token bytes in stream order, with the SentencePiece prefix space dropped where the encoder
 *  added one: at the start and after each special token. */
function byteAssembler(source: TokenBytesSource, showSpecial: boolean) {
  let atRunStart = true;
  return {
    next(id: number): Uint8Array {
      const bytes = source.tokenBytes(id, showSpecial);
      if (source.isSpecial(id)) {
        atRunStart = true;
        return bytes;
      }
      if (bytes.length === 0) return bytes;
      const strip = atRunStart && source.stripsPrefixSpace && bytes[0] === SPACE;
      atRunStart = false;
      return strip ? bytes.subarray(1) : bytes;
    },
    reset(): void {
      atRunStart = true;
    },
  };
}

// ignoreBOM: a U+FEFF the model writes is text, not a byte order mark to drop.
const newUtf8Decoder = () => new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function createStreamDecoder(source: TokenBytesSource, opts: StreamDecoderOptions = {}): StreamDecoder {
  const utf8 = newUtf8Decoder();
  const assembler = byteAssembler(source, opts.showSpecial ?? false);
  return {
    push(id: number): string {
      const bytes = assembler.next(id);
      return bytes.length > 0 ? utf8.decode(bytes, { stream: true }) : '';
    },
    flush(): string {
      assembler.reset();
      return utf8.decode(); // a call without { stream: true } also resets the decoder for reuse
    },
  };
}

/** All of `ids` at once: the same bytes as the stream decoder, decoded in one call. */
export function decodeTokens(source: TokenBytesSource, ids: ArrayLike<number>, opts: StreamDecoderOptions = {}): string {
  const assembler = byteAssembler(source, opts.showSpecial ?? false);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < ids.length; i++) {
    const bytes = assembler.next(ids[i]);
    parts.push(bytes);
    total += bytes.length;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return newUtf8Decoder().decode(all);
}
