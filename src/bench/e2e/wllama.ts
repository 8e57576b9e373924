// wllama (llama.cpp compiled to wasm) on the same GGUF bytes: CPU only (its WebGPU backend needs
// shader-f16, which SwiftShader lacks, and a CPU peer is what a person without a GPU would use),
// two threads, wasm served from /wllama/ (compat mode off: it would fetch from a CDN).
//
// wllama 3 exposes llama-server's completion API only: no tokenize/decode, and its completion
// path takes the prompt as a string (an array of ids fails: "type must be string, but is array").
// So llama.cpp gets the prompt's text and tokenizes it itself; the bench checks that it counted
// the same number of prompt tokens, and the greedy tokens show whether it saw the same ones.
// Sampling is greedy (temperature 0), EOS ignored, the prompt cache off so every run prefills it all.
// Token ids come from one extra run with logprobs (each entry carries the id). Times are llama.cpp's
// own (see generate()); the request's extra wall time is reported beside them.
import { Wllama, type ResultTimings } from '@wllama/wllama';
import { median, type GenerationSpec, type GenerationTiming, type Runner } from './common';

const WASM = '/wllama/esm/wasm/wllama.wasm';
export const WLLAMA_THREADS = 2;

export async function loadWllama(gguf: Uint8Array<ArrayBuffer>, spec: GenerationSpec): Promise<Runner> {
  const recent: string[] = [];
  const keep = (...args: unknown[]) => {
    recent.push(args.map(String).join(' ').trim());
    if (recent.length > 40) recent.shift();
  };
  // llama.cpp's own log comes through `debug`; keep the tail to explain a failed load.
  const w = new Wllama({ default: WASM }, { logger: { debug: keep, log: keep, warn: keep, error: keep } });
  w.setCompat(null);
  const t0 = performance.now();
  try {
    await w.loadModel([new Blob([gguf])], {
      n_threads: WLLAMA_THREADS,
      n_gpu_layers: 0,
      n_ctx: 2 ** Math.ceil(Math.log2(spec.prompt.length + spec.decodeSteps + 2)),
      n_parallel: 1,
      seed: 1,
    });
  } catch (e) {
    const why = recent.filter((l) => /error|fail|unknown|invalid|unsupported/i.test(l)).slice(-3).join(' | ');
    await w.exit().catch(() => {});
    throw new Error(`${e instanceof Error ? e.message : String(e)}${why ? `; llama.cpp said: ${why}` : ''}`, { cause: e });
  }
  const loadMs = performance.now() - t0;

  // cache_prompt is a llama-server field wllama's RawCompletionParams type does not list.
  const request = (n: number) => ({ prompt: spec.promptText, max_tokens: n, temperature: 0, ignore_eos: true, cache_prompt: false });
  const timings: ResultTimings[] = [];
  /** Request wall time not in llama.cpp's prompt + generation timings (messaging, setup). */
  const overheadMs: number[] = [];
  const notes = [`llama.cpp ${Wllama.getLibllamaVersion()} in wasm, CPU, ${w.getNumThreads()} threads (multithread ${w.isMultithread()})`];
  const checkPrompt = (t: ResultTimings | undefined) => {
    const note = `llama.cpp counted ${t?.prompt_n} prompt tokens, not ${spec.prompt.length}`;
    if (t && t.prompt_n !== spec.prompt.length && !notes.includes(note)) notes.push(note);
  };

  return {
    loadMs,
    notes,
    extra: { threads: w.getNumThreads(), multithread: w.isMultithread(), llamaCpp: Wllama.getLibllamaVersion(), timings },

    async generate(decodeSteps: number): Promise<GenerationTiming> {
      const ts = performance.now();
      const r = await w.createCompletion(request(decodeSteps + 1));
      const wallMs = performance.now() - ts;
      const t = r.timings;
      if (!t) throw new Error('wllama returned no timings with the completion');
      timings.push(t);
      overheadMs.push(wallMs - t.prompt_ms - t.predicted_ms);
      checkPrompt(t);
      // Timed by llama.cpp's own clock: streamed chunks reach the page in bursts (a run whose
      // llama.cpp decode took 19 s streamed its chunks over 4 s), so chunk arrival times say little.
      // The first token is sampled from the prompt's logits, so predicted_n - 1 decode steps.
      const steps = Math.max(1, t.predicted_n - 1);
      return { ttftMs: t.prompt_ms, stepMs: Array.from({ length: steps }, () => t.predicted_ms / steps), tokens: [], text: r.choices[0]?.text };
    },

    async tokens() {
      const r = await w.createCompletion({ ...request(spec.decodeSteps + 1), logprobs: 1 });
      const content = (r.choices[0]?.logprobs as unknown as { content?: { id?: number }[] } | null)?.content;
      const ids = content?.map((x) => x.id).filter((x): x is number => typeof x === 'number');
      if (!ids?.length) notes.push('token ids not reported (no logprobs[].id in the response): agreement judged on text only');
      return ids?.length ? ids : undefined;
    },

    async profile() {
      const overhead = median(overheadMs);
      notes.push(`timed by llama.cpp's own clock (prompt_ms, predicted_ms); each request took a median ${overhead.toFixed(0)} ms more on the page's clock`);
      return { requestOverheadMs: overhead };
    },

    release: () => w.exit(),
  };
}
