// What every peer of the end-to-end LLM bench returns, and the small pieces they share: one
// greedy generation (a prefill of the prompt that yields the first token, then one decode step per
// further token) timed the same way for every engine.
import { callsSince, gpuCalls, type GpuCalls } from './gpu-calls';

export interface GenerationSpec {
  /** Prompt token ids (BOS first where the model wants it); the same for every peer. */
  prompt: number[];
  /**
   * The same prompt as text, for engines that take only text (wllama 3): llama.cpp tokenizes it and
   * adds BOS where the file says to; the bench checks it counted prompt.length tokens.
   */
  promptText: string;
  /** Decode steps after the prefill: the run yields decodeSteps + 1 tokens. */
  decodeSteps: number;
}

/** One timed greedy generation. */
export interface GenerationTiming {
  /** Start of the call to the first token id on the host: prefill of the whole prompt + sampling. */
  ttftMs: number;
  /** Wall ms of each decode step (one token each). */
  stepMs: number[];
  /** Every token generated, the prefill's first (empty where the engine does not say: wllama). */
  tokens: number[];
  /** The generated text, where the engine gives text rather than ids. */
  text?: string;
  /** GPU calls during the prefill and during all decode steps (absent for CPU peers). */
  prefillCalls?: GpuCalls;
  decodeCalls?: GpuCalls;
}

/**
 * The timed greedy run every WebGPU engine shares: `prefill` the prompt (to the first token id on the
 * host), then `decodeSteps` single-token `step`s, counting the WebGPU calls of each phase.
 */
export async function timedGreedy(prompt: number[], decodeSteps: number, prefill: () => Promise<number>, step: (id: number, pos: number) => Promise<number>): Promise<GenerationTiming> {
  const c0 = gpuCalls();
  const ts = performance.now();
  let id = await prefill();
  const ttftMs = performance.now() - ts;
  const prefillCalls = callsSince(c0);
  const tokens = [id];
  const stepMs: number[] = [];
  const c1 = gpuCalls();
  for (let s = 0; s < decodeSteps; s++) {
    const t = performance.now();
    id = await step(id, prompt.length + s);
    stepMs.push(performance.now() - t);
    tokens.push(id);
  }
  return { ttftMs, stepMs, tokens, prefillCalls, decodeCalls: callsSince(c1) };
}

/** A loaded engine, ready to run the same generation again and again. */
export interface Runner {
  loadMs: number;
  /** Prefill the bench prompt, then `decodeSteps` decode steps; greedy. */
  generate(decodeSteps: number): Promise<GenerationTiming>;
  /** Token ids of a full run, where generate() cannot report them. */
  tokens?(): Promise<number[] | undefined>;
  /** Text of token ids (ours: our tokenizer). */
  decode?(ids: number[]): string;
  /** Extra numbers taken once after the timed rounds (ours: one profiled step). */
  profile?(): Promise<Record<string, unknown>>;
  notes: string[];
  extra: Record<string, unknown>;
  release(): Promise<void>;
}

export interface PeerResult {
  model: string;
  /** "ours", "ort-jsep", "ort-webgpu", "wllama". */
  engine: string;
  ok: boolean;
  /** Why the peer could not run (the error's message), when !ok. */
  error?: string;
  /** File fetch excluded: parse, weight upload, session/pipeline creation. */
  loadMs?: number;
  /** The untimed first generation's TTFT (first-use costs: shader compiles, first touch). */
  coldTtftMs?: number;
  /** Medians over the timed rounds. */
  ttftMs?: number;
  prefillTokS?: number;
  decodeTokS?: number;
  medianStepMs?: number;
  rounds?: number;
  tokens?: number[];
  /** Decoded text of `tokens` (by our tokenizer, or llama.cpp's for wllama). */
  text?: string;
  /** GPU calls per decode token, and for the whole prefill (last round). */
  perToken?: GpuCalls;
  prefill?: GpuCalls;
  notes: string[];
  /** Engine-specific numbers (roofline, llama.cpp's own timings, ...). */
  extra?: Record<string, unknown>;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** The throughput fields of a result: medians over timed rounds of the same generation. */
export function summarize(spec: GenerationSpec, runs: readonly GenerationTiming[]): Pick<PeerResult, 'ttftMs' | 'prefillTokS' | 'decodeTokS' | 'medianStepMs' | 'rounds' | 'perToken' | 'prefill'> {
  const last = runs[runs.length - 1];
  const n = last.stepMs.length;
  const per = (c?: GpuCalls) => (c && n ? { submits: c.submits / n, dispatches: c.dispatches / n, maps: c.maps / n } : undefined);
  const ttftMs = median(runs.map((r) => r.ttftMs));
  return {
    ttftMs,
    prefillTokS: spec.prompt.length / (ttftMs / 1e3),
    decodeTokS: median(runs.map((r) => r.stepMs.length / (r.stepMs.reduce((a, b) => a + b, 0) / 1e3))),
    medianStepMs: median(runs.flatMap((r) => r.stepMs)),
    rounds: runs.length,
    perToken: per(last.decodeCalls),
    prefill: last.prefillCalls,
  };
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`;
  return String(e);
}

/** Fetch a file the bench server serves, with a message that names the command making it when absent. */
export async function fetchBytes(url: string, makeIt?: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${res.status === 404 && makeIt ? ` (generate it with: ${makeIt})` : ''}`);
  return new Uint8Array(await res.arrayBuffer());
}
