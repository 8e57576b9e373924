import { describe, expect, it } from 'vitest';
import { parseModelRef, resolveUrl } from './hub';

describe('hub references', () => {
  it('turns owner/repo/file into a resolve URL on the configured hub', () => {
    expect(parseModelRef('Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf').url).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf',
    );
    expect(parseModelRef('a/b@v1.0/sub dir/m.gguf', 'http://127.0.0.1:9/').url).toBe('http://127.0.0.1:9/a/b/resolve/v1.0/sub%20dir/m.gguf');
  });

  it('normalises blob URLs to resolve URLs and keeps other URLs as they are', () => {
    const r = parseModelRef('https://huggingface.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/blob/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf');
    expect(r.url).toBe('https://huggingface.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/resolve/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf');
    expect(r.ref).toEqual({ repo: 'TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF', revision: 'main', path: 'tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf' });
    expect(parseModelRef('http://example.test/m.gguf').url).toBe('http://example.test/m.gguf');
  });

  it('explains input that is neither', () => {
    expect(() => parseModelRef('smollm please')).toThrow(expect.objectContaining({ name: 'ModelLoad', hint: expect.stringContaining('owner/repo/file.gguf') }));
    expect(() => parseModelRef('owner/repo/notes.txt')).toThrow(/not a model URL/);
  });

  it('builds URLs with encoded paths', () => {
    expect(resolveUrl({ repo: 'o/r', revision: 'main', path: 'a b/c#.gguf' }, 'http://h')).toBe('http://h/o/r/resolve/main/a%20b/c%23.gguf');
  });
});
