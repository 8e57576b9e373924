// The tokenizer's public surface: build a spec from GGUF metadata, a tokenizer from the spec, and a
// stream decoder for generated tokens.

export { TokenType, type TokenizerModel, type TokenizerSpec } from './spec';
export { specFromGgufMetadata } from './from-gguf';
export { createTokenizer, Tokenizer, type DecodeOptions, type EncodeOptions } from './tokenizer';
export { createStreamDecoder, type StreamDecoder, type StreamDecoderOptions } from './stream-decoder';
export { SUPPORTED_PRE_NAMES } from './pre-tokenizers';
