// GPT-2's byte <-> character table (bytes_to_unicode in openai/gpt-2 encoder.py). Byte-level BPE
// vocabularies spell every token as a string of these characters, one character per UTF-8 byte:
// printable Latin-1 bytes stand for themselves, the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD)
// are moved to U+0100.. in byte order so that no token contains whitespace or control characters.

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** BYTE_TO_CHAR[b] is the vocabulary character for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Char code (all are below U+0144) -> byte; -1 for characters outside the table. */
const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => (t[c.charCodeAt(0)] = b));
  return t;
})();

const utf8 = new TextEncoder();

/** UTF-8 encode `text` and spell each byte with the table: the form byte-level vocabularies use. */
export function toByteLevel(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  let out = '';
  if (ascii) {
    for (let i = 0; i < text.length; i++) out += BYTE_TO_CHAR[text.charCodeAt(i)];
    return out;
  }
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** The bytes a byte-level token stands for. Characters outside the table (not seen in real vocabularies)
 *  are kept as their own UTF-8 so nothing is silently dropped. */
export function fromByteLevel(token: string): Uint8Array {
  const out: number[] = [];
  for (const ch of token) {
    const code = ch.codePointAt(0) as number;
    const b = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1;
    if (b >= 0) out.push(b);
    else out.push(...utf8.encode(ch));
  }
  return Uint8Array.from(out);
}

export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}
