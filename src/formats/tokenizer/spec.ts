// What a tokenizer needs, independent of where it came from (GGUF metadata or a test's vocabulary).

export type TokenizerModel = 'llama' | 'gpt2';

/** GGUF `tokenizer.ggml.token_type` values. */
export enum TokenType {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

export interface TokenizerSpec {
  model: TokenizerModel;
  /** `tokenizer.ggml.pre` (gpt2 models): names the pre-tokenizer regex, e.g. 'gpt-2', 'llama-bpe', 'qwen2', 'smollm'. */
  pre?: string;
  tokens: string[];
  /** SentencePiece scores (llama model); higher merges first. */
  scores?: ArrayLike<number>;
  tokenTypes?: ArrayLike<number>;
  /** BPE merges as "left right" (gpt2 model), highest priority first. */
  merges?: string[];
  bosId?: number;
  eosId?: number;
  /** Extra ids that end generation (e.g. <|eot_id|>, <|im_end|>). */
  eotIds?: number[];
  unkId?: number;
  padId?: number;
  addBos: boolean;
  addEos: boolean;
  /** SentencePiece (llama model): prepend a space to text that starts the input or follows a special
   *  token (GGUF `tokenizer.ggml.add_space_prefix`; llama.cpp defaults it to true). Ignored for gpt2. */
  addSpacePrefix?: boolean;
  /** `tokenizer.chat_template`, a Jinja template, when the model has one. */
  chatTemplate?: string;
}
