// Encoding speed: a prompt of a few thousand tokens must take milliseconds. Timings are logged so a
// regression shows in the test output before it crosses the (generous, CI-safe) bounds.

import { describe, expect, it } from 'vitest';
import llamaTokenizer from 'llama-tokenizer-js';
import { createTokenizer } from './tokenizer';
import { longPrompt } from './testing/corpus';
import { gpt2Spec, llama2Spec, llama3Spec, qwen2Spec } from './testing/oracle-specs';
import type { TokenizerSpec } from './spec';

llamaTokenizer.encode('');
const specs: [string, () => TokenizerSpec][] = [
  ['gpt2', gpt2Spec],
  ['llama2', () => llama2Spec(llamaTokenizer as unknown as Parameters<typeof llama2Spec>[0])],
  ['llama3', llama3Spec],
  ['qwen2', qwen2Spec],
];

describe.each(specs)('%s', (name, makeSpec) => {
  it('encodes a 2,000+ token prompt in milliseconds', () => {
    const spec = makeSpec();
    let t = performance.now();
    const tok = createTokenizer(spec);
    const buildMs = performance.now() - t;
    const prompt = longPrompt();
    t = performance.now();
    const ids = tok.encode(prompt);
    const coldMs = performance.now() - t;
    t = performance.now();
    tok.encode(prompt);
    const warmMs = performance.now() - t;
    t = performance.now();
    tok.decode(ids);
    const decodeMs = performance.now() - t;
    console.log(
      `${name}: ${ids.length} tokens from ${prompt.length} chars; build ${buildMs.toFixed(0)} ms, ` +
        `encode cold ${coldMs.toFixed(1)} ms, warm ${warmMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms`,
    );
    expect(ids.length).toBeGreaterThan(2000);
    expect(coldMs).toBeLessThan(500);
    expect(warmMs).toBeLessThan(200);
  });
});
