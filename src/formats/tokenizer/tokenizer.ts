// The tokenizer a model runs with, built from a TokenizerSpec (see from-gguf.ts for GGUF metadata).
//
// encode(): special token strings are cut out of the text first, longest first, as llama.cpp's
// tokenizer_st_partition does (control and unknown tokens only when parseSpecial is on; user-defined
// tokens always), then each text fragment goes through SentencePiece BPE (spm.ts) or byte-level BPE
// (bpe.ts), and BOS/EOS are added as the model asks.
// decode() and the stream decoder (stream-decoder.ts) assemble the tokens' bytes, so a character
// split across byte tokens comes out whole; control tokens decode to '' unless showSpecial is set.

import { BpeModel } from './bpe';
import { fromByteLevel, utf8Bytes } from './byte-level';
import { resolvePreTokenizer } from './pre-tokenizers';
import { TokenType, type TokenizerSpec } from './spec';
import { SPACE_MARK, SpmModel } from './spm';
import { decodeTokens, type TokenBytesSource } from './stream-decoder';

export interface EncodeOptions {
  /** Add BOS / EOS where the model asks for them (spec.addBos / addEos); default true. A BOS already
   *  at the start (e.g. rendered by the chat template) is not doubled, nor an EOS at the end. */
  addSpecial?: boolean;
  /** Turn special token strings in the text (`<|im_start|>`, `<s>`...) into their ids; default true,
   *  which is what a rendered chat template needs. Off, they are tokenized as plain text. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Render control tokens (BOS, `<|im_end|>`...) as their text instead of ''. */
  showSpecial?: boolean;
}

const EMPTY = new Uint8Array(0);
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

interface SpecialToken {
  text: string;
  id: number;
  /** User-defined tokens are split out even when parseSpecial is off (llama.cpp and HF agree). */
  always: boolean;
}

interface Model {
  encode(fragment: string, afterSpecial: boolean, out: number[]): void;
}

export class Tokenizer implements TokenBytesSource {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** Ids that end generation: EOS and the spec's eotIds. */
  readonly eogIds: ReadonlySet<number>;
  /** SentencePiece with a space prefix: decoding drops the space the encoder put before each text run. */
  readonly stripsPrefixSpace: boolean;

  private readonly types: Uint8Array;
  private readonly specials: SpecialToken[];
  private readonly model: Model;
  private readonly pieces: (Uint8Array | undefined)[];

  constructor(readonly spec: TokenizerSpec) {
    const tokens = spec.tokens;
    this.vocabSize = tokens.length;
    this.bosId = inRange(spec.bosId, tokens.length);
    this.eosId = inRange(spec.eosId, tokens.length);
    const eog = new Set<number>((spec.eotIds ?? []).filter((id) => inRange(id, tokens.length) !== undefined));
    if (this.eosId !== undefined) eog.add(this.eosId);
    this.eogIds = eog;
    this.types = resolveTypes(spec, eog);
    this.pieces = new Array<Uint8Array | undefined>(tokens.length);

    this.specials = [];
    const mergeable = new Map<string, number>();
    for (let id = 0; id < tokens.length; id++) {
      const type = this.types[id];
      if (type === TokenType.Control || type === TokenType.Unknown || type === TokenType.UserDefined) {
        if (tokens[id] !== '') this.specials.push({ text: tokens[id], id, always: type === TokenType.UserDefined });
      } else if (type === TokenType.Normal || (spec.model === 'gpt2' && type !== TokenType.Byte)) {
        if (!mergeable.has(tokens[id])) mergeable.set(tokens[id], id);
      }
    }
    this.specials.sort((a, b) => b.text.length - a.text.length || a.id - b.id);

    if (spec.model === 'llama') {
      const byteIds = new Int32Array(256).fill(-1);
      tokens.forEach((t, id) => {
        const m = this.types[id] === TokenType.Byte ? BYTE_TOKEN.exec(t) : null;
        if (m) byteIds[parseInt(m[1], 16)] = id;
      });
      const spm = new SpmModel(mergeable, spec.scores ?? [], byteIds, inRange(spec.unkId, tokens.length));
      const prefix = spec.addSpacePrefix ?? true;
      this.model = { encode: (f, afterSpecial, out) => spm.encode(f, prefix && afterSpecial, out) };
      this.stripsPrefixSpace = prefix;
    } else {
      const bpe = new BpeModel(mergeable, spec.merges ?? [], resolvePreTokenizer(spec.pre));
      this.model = { encode: (f, _afterSpecial, out) => bpe.encode(f, out) };
      this.stripsPrefixSpace = false;
    }
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const parseSpecial = opts.parseSpecial ?? true;
    const out: number[] = [];
    let afterSpecial = true;
    for (const fragment of this.splitSpecial(text, parseSpecial)) {
      if (typeof fragment === 'number') {
        out.push(fragment);
        afterSpecial = true;
      } else {
        this.model.encode(fragment, afterSpecial, out);
        afterSpecial = false;
      }
    }
    if (opts.addSpecial ?? true) {
      if (this.spec.addBos && this.bosId !== undefined && out[0] !== this.bosId) out.unshift(this.bosId);
      if (this.spec.addEos && this.eosId !== undefined && out[out.length - 1] !== this.eosId) out.push(this.eosId);
    }
    return out;
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return decodeTokens(this, ids, opts);
  }

  /** The bytes token `id` contributes to decoded text ('' for hidden control tokens and unknown ids). */
  tokenBytes(id: number, showSpecial = false): Uint8Array {
    if (!(id >= 0 && id < this.vocabSize)) return EMPTY;
    const type = this.types[id];
    const hidden = type === TokenType.Control || type === TokenType.Unknown || type === TokenType.Unused;
    if (hidden && !showSpecial) return EMPTY;
    let bytes = this.pieces[id];
    if (bytes === undefined) {
      bytes = this.pieceOf(id, type);
      this.pieces[id] = bytes;
    }
    return bytes;
  }

  /** Control, unknown and user-defined tokens: the ones split out of text before BPE runs. */
  isSpecial(id: number): boolean {
    const type = this.types[id];
    return type === TokenType.Control || type === TokenType.Unknown || type === TokenType.UserDefined;
  }

  isEog(id: number): boolean {
    return this.eogIds.has(id);
  }

  /** The vocabulary's spelling of a token (byte-level or "▁" form), for debugging views. */
  tokenText(id: number): string {
    return this.spec.tokens[id] ?? '';
  }

  private pieceOf(id: number, type: number): Uint8Array {
    const text = this.spec.tokens[id];
    if (type === TokenType.Byte) {
      const m = BYTE_TOKEN.exec(text);
      if (m) return Uint8Array.of(parseInt(m[1], 16));
    }
    if (type !== TokenType.Normal) return utf8Bytes(text);
    return this.spec.model === 'llama' ? utf8Bytes(text.replaceAll(SPACE_MARK, ' ')) : fromByteLevel(text);
  }

  private splitSpecial(text: string, parseSpecial: boolean): (string | number)[] {
    let fragments: (string | number)[] = text === '' ? [] : [text];
    for (const sp of this.specials) {
      if ((!parseSpecial && !sp.always) || !text.includes(sp.text)) continue;
      const next: (string | number)[] = [];
      for (const f of fragments) {
        if (typeof f === 'number' || !f.includes(sp.text)) {
          next.push(f);
          continue;
        }
        f.split(sp.text).forEach((part, i) => {
          if (i > 0) next.push(sp.id);
          if (part !== '') next.push(part);
        });
      }
      fragments = next;
    }
    return fragments;
  }
}

export function createTokenizer(spec: TokenizerSpec): Tokenizer {
  return new Tokenizer(spec);
}

function inRange(id: number | undefined, n: number): number | undefined {
  return id !== undefined && Number.isInteger(id) && id >= 0 && id < n ? id : undefined;
}

/** Token types from the spec; where it has none, inferred the way the GGUF converters assign them.
 *  End-of-generation tokens are made control tokens, as llama.cpp does. */
function resolveTypes(spec: TokenizerSpec, eog: ReadonlySet<number>): Uint8Array {
  const n = spec.tokens.length;
  const types = new Uint8Array(n);
  const given = spec.tokenTypes;
  for (let id = 0; id < n; id++) {
    const t = given?.[id];
    if (t !== undefined && t >= TokenType.Normal && t <= TokenType.Byte) types[id] = t;
    else types[id] = spec.model === 'llama' && BYTE_TOKEN.test(spec.tokens[id]) ? TokenType.Byte : TokenType.Normal;
  }
  if (given === undefined) {
    for (const id of [spec.bosId, spec.eosId]) if (id !== undefined && id < n) types[id] = TokenType.Control;
    if (spec.unkId !== undefined && spec.unkId < n) types[spec.unkId] = TokenType.Unknown;
  }
  for (const id of eog) if (types[id] === TokenType.Normal) types[id] = TokenType.Control;
  return types;
}
