// The headless runner end to end: build, serve a local GGUF with Range, run the worker in
// Chromium on real WebGPU, print JSON. Greedy tokens must equal the CPU reference's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { syntheticLlama } from '../src/models/llama/synthetic';
import { refGreedy } from '../src/models/llama/testing';

const run = promisify(execFile);

describe('npm run cli -- generate', () => {
  it('generates the reference greedy tokens from a local file in headless Chromium', async () => {
    const { gguf } = syntheticLlama({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 48, seed: 7 });
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const path = join(dir, 'synthetic model.gguf');
    writeFileSync(path, gguf);
    const { stdout } = await run('node', ['scripts/cli.mjs', 'generate', '--model', path, '--prompt', 'Hello, world', '--max-tokens', '12', '--json'], {
      timeout: 240_000,
    });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const out = lines.pop();
    expect(out.done).toBe(true);
    expect(out.adapter.isSoftware).toBe(true);
    expect(out.prompt_ids).toEqual([72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100]);
    expect(out.token_ids).toEqual(await refGreedy(gguf, out.prompt_ids, 12, new Set([256])));
    expect(lines.map((l) => l.id)).toEqual(out.token_ids);
    expect(out.ttft_ms).toBeGreaterThan(0);
    expect(out.decode_tok_s).toBeGreaterThan(0);
    expect(out.weight_bytes).toBeGreaterThan(0);
    expect(out.kv_cache_bytes).toBe(2 * 2 * 48 * 2 * 16 * 4);
  });

  it('--dump-logits K streams the top-K logits each token was sampled from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const path = join(dir, 'm.gguf');
    const { gguf } = syntheticLlama({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 48, seed: 7 });
    writeFileSync(path, gguf);
    const { stdout } = await run('node', ['scripts/cli.mjs', 'generate', '--model', path, '--prompt', 'Hi', '--max-tokens', '4', '--json', '--dump-logits', '3', '--no-build'], {
      timeout: 240_000,
    });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const tokens = lines.filter((l) => !l.done);
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) {
      expect(t.top).toHaveLength(3);
      expect(t.top[0][0]).toBe(t.id); // greedy picks the top logit
      expect(t.top[0][1]).toBeGreaterThanOrEqual(t.top[1][1]);
    }
  });

  it('fails with a named error and exit code 1 on a file that is not a GGUF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const path = join(dir, 'notes.gguf');
    writeFileSync(path, 'definitely not a model');
    const err = await run('node', ['scripts/cli.mjs', 'generate', '--model', path, '--prompt', 'x', '--no-build'], { timeout: 240_000 }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(1);
    expect((err as { stderr?: string }).stderr).toMatch(/ModelLoad: .*notes\.gguf/);
  });

  it('explains bad arguments', async () => {
    const err = await run('node', ['scripts/cli.mjs', 'generate', '--prompt', 'x'], { timeout: 60_000 }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(2);
    expect((err as { stderr?: string }).stderr).toMatch(/--model is required/);
  });
});

describe('the embedded model through the headless runner, against the PyTorch fixtures', () => {
  const fix = JSON.parse(readFileSync('training/fixtures/embedded.json', 'utf8')) as {
    eos_id: number;
    prompts: { text: string; ids: number[] }[];
    variants: Record<string, { file: string; runs: { prompt: number; greedy: number[] }[] }>;
  };
  for (const [variant, promptIndex] of [['f32', 1], ['q8_0', 3]] as const) {
    it(`${variant}: tokenizer ids and the 32-step greedy continuation of "${fix.prompts[promptIndex].text.slice(0, 24)}"`, async () => {
      const v = fix.variants[variant];
      const { stdout } = await run(
        'node',
        ['scripts/cli.mjs', 'generate', '--model', v.file, '--prompt', fix.prompts[promptIndex].text, '--max-tokens', '32', '--json', '--no-build'],
        { timeout: 240_000 },
      );
      const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
      expect(out.done).toBe(true);
      expect(out.prompt_ids).toEqual(fix.prompts[promptIndex].ids);
      const want = v.runs.find((r) => r.prompt === promptIndex)!.greedy;
      const stop = want.indexOf(fix.eos_id);
      expect(out.token_ids).toEqual(stop >= 0 ? want.slice(0, stop) : want);
    });
  }
});
