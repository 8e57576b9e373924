// End-to-end LLM generation in one headless Chromium page: our engine against ONNX Runtime Web
// (JSEP and the native WebGPU EP) and wllama (llama.cpp wasm, CPU, 2 threads), on the same prompt:
// time to first token (a 64-token prefill), prefill and decode tokens/s, WebGPU submits /
// dispatches / readbacks per token, greedy-token agreement, and for ours the weight bandwidth decode
// reaches against a copy kernel on this adapter. Prints numbers; asserts nothing.
//
// Per model, every peer is loaded, run once untimed (cold: compiles, first touch), then the timed
// generation runs in rounds with the peers' order rotated each round, so load from other processes
// on a shared machine falls on all of them alike; the table gives medians over rounds.
//   npm run bench -- e2e/assets        # once: ONNX export + the SmolLM2-shape GGUF (.cache/bench-assets/)
//   npm run bench -- e2e-llm [models=embedded-f32,embedded-q8_0,smollm2-135m-q4_0]
//                            [peers=ours,ort-jsep,ort-webgpu,wllama] [steps=32] [rounds=N (default 2; 1 for smollm2)]
import { browserRuntime, describeEnv, envLines, ratio, table, type BenchContext, type Cell } from './browser';
import { parseGguf } from '../formats/gguf/parse';
import { bufferSource } from '../formats/source';
import { createTokenizer, specFromGgufMetadata } from '../formats/tokenizer';
import { copyBandwidth, type CopyBandwidth } from '../perf/roofline';
import { errorMessage, fetchBytes, summarize, type GenerationSpec, type GenerationTiming, type PeerResult, type Runner } from './e2e/common';
import { installGpuCallCounter } from './e2e/gpu-calls';
import { ASSETS_COMMAND, DECODE_STEPS, E2E_MODELS, PROMPT_TOKENS, type E2eModel } from './e2e/models';
import { loadOrtRunner, type OnnxMeta } from './e2e/ort';
import { loadOurs } from './e2e/ours';
import { loadWllama } from './e2e/wllama';

const PEERS = ['ours', 'ort-jsep', 'ort-webgpu', 'wllama'] as const;
type Peer = (typeof PEERS)[number];

interface Reference extends OnnxMeta {
  prompt: number[];
  greedy: number[];
  min_margin: number;
}

interface Fixture {
  prompts: { text: string; ids: number[] }[];
}

function parseArgs(args: string[]) {
  const kv = new Map(args.map((a) => a.split('=') as [string, string]));
  const list = <T extends string>(key: string, all: readonly T[]): T[] => {
    const v = kv.get(key);
    if (!v) return [...all];
    const want = v.split(',').map((s) => s.trim());
    const bad = want.filter((w) => !all.includes(w as T));
    if (bad.length) throw new Error(`e2e-llm: unknown ${key} ${bad.join(', ')} (have ${all.join(', ')})`);
    return want as T[];
  };
  const int = (key: string, dflt: number) => {
    const n = Number(kv.get(key) ?? dflt);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`e2e-llm: ${key} must be a positive integer (got ${kv.get(key)})`);
    return n;
  };
  // Rounds: 2 by default, 1 for the big model (its rounds take minutes here); rounds=N sets all.
  const rounds = kv.has('rounds') ? int('rounds', 2) : undefined;
  return { models: list('models', E2E_MODELS.map((m) => m.name)), peers: list('peers', PEERS), steps: int('steps', DECODE_STEPS), rounds };
}

async function modelBytes(m: E2eModel, log: (l: string) => void): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(m.url);
  if (res.ok) return new Uint8Array(await res.arrayBuffer());
  if (res.status === 404 && m.build) {
    log(`  ${m.url} missing (${ASSETS_COMMAND} writes it): building it in the page`);
    return m.build();
  }
  throw new Error(`${m.url}: HTTP ${res.status}`);
}

/** The model's prompt as ids (ours, ORT) and as text (wllama). */
async function promptFor(m: E2eModel, gguf: Uint8Array, fixture: Fixture, decodeSteps: number): Promise<GenerationSpec> {
  const passage = fixture.prompts[5];
  if (m.prompt === 'bytes') {
    const text = passage.text.replace(/\u2014/g, '-').slice(0, PROMPT_TOKENS);
    if (!/^[\x20-\x7e]*$/.test(text)) throw new Error('e2e-llm: the byte prompt must be printable ASCII');
    return { prompt: Array.from(text, (c) => c.charCodeAt(0)), promptText: text, decodeSteps };
  }
  const ids = passage.ids.slice(0, PROMPT_TOKENS);
  const tok = createTokenizer(specFromGgufMetadata((await parseGguf(bufferSource(gguf))).metadata));
  if (ids[0] !== tok.bosId) throw new Error(`e2e-llm: fixture prompt 5 should start with BOS ${tok.bosId} (got ${ids[0]})`);
  return { prompt: ids, promptText: tok.decode(ids.slice(1)), decodeSteps };
}

/** How many leading tokens agree. */
const leading = (a: readonly number[], b: readonly number[]) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

function agreement(r: PeerResult, ours: PeerResult | undefined, ref: number[] | undefined): string {
  if (!r.ok) return '-';
  const parts: string[] = [];
  if (ref && r.tokens) parts.push(`${leading(r.tokens, ref)}/${ref.length} ref`);
  if (ours?.tokens && r.engine !== 'ours') {
    if (r.tokens) parts.push(`${leading(r.tokens, ours.tokens)}/${ours.tokens.length} ours`);
    else if (r.text !== undefined && ours.text !== undefined) parts.push(r.text === ours.text ? 'text = ours' : 'text != ours');
  }
  return parts.join(', ') || '-';
}

export default async function run(ctx: BenchContext) {
  const { log } = ctx;
  const opts = parseArgs(ctx.args);
  installGpuCallCounter();
  const rt = await browserRuntime((m) => log(`  [ours] ${m}`));
  const env = describeEnv(rt.report);
  envLines(env).forEach(log);
  const tStart = performance.now();

  const fixture = (await fetch('/fixtures/embedded.json').then((r) => r.json())) as Fixture;
  const refFile = await fetch('/assets/embedded-reference.json').then((r) => (r.ok ? (r.json() as Promise<Reference>) : null));
  const fixtureIds = fixture.prompts[5].ids.slice(0, PROMPT_TOKENS);
  const ref = refFile && refFile.prompt.join() === fixtureIds.join() ? refFile : null;
  if (!refFile) log(`no /assets/embedded-reference.json (${ASSETS_COMMAND} writes it): no PyTorch reference tokens, no ORT peers`);
  else if (!ref) log('embedded-reference.json was made for another prompt: ignored (rerun the ONNX export)');
  const refTokens = ref?.greedy.slice(0, opts.steps + 1);
  log(`prompt: ${PROMPT_TOKENS} tokens of fixture prompt 5; greedy, ${opts.steps} decode steps after the prefill's token`);

  let copy: CopyBandwidth | null = null;
  try {
    copy = await copyBandwidth(rt, { runs: 5 });
    log(`copy kernel: ${(copy.bytes / 2 ** 20).toFixed(0)} MiB in ${copy.ms.toFixed(2)} ms = ${copy.gbps.toFixed(2)} GB/s read+write (${copy.timing === 'timestamp' ? 'GPU timestamps' : 'CPU-timed'})`);
  } catch (e) {
    log(`copy kernel failed: ${errorMessage(e)}`);
  }

  const results: PeerResult[] = [];
  for (const name of opts.models) {
    const m = E2E_MODELS.find((x) => x.name === name)!;
    log(`\n[model] ${m.name}: ${m.about}`);
    const failed = (engine: string, e: unknown): PeerResult => ({ model: m.name, engine, ok: false, error: errorMessage(e), notes: [] });
    let bytes: Uint8Array<ArrayBuffer>;
    let spec: GenerationSpec;
    try {
      bytes = await modelBytes(m, log);
      spec = await promptFor(m, bytes, fixture, opts.steps);
    } catch (e) {
      for (const p of opts.peers) results.push(failed(p, e));
      log(`  cannot read the model: ${errorMessage(e)}`);
      continue;
    }
    const rounds = opts.rounds ?? (m.big ? 1 : 2);
    log(`  ${(bytes.length / 1e6).toFixed(1)} MB GGUF; prompt ${JSON.stringify(spec.promptText.slice(0, 60))}...; ${rounds} timed round${rounds > 1 ? 's' : ''}`);

    // Load every peer, then one untimed run each.
    const loaded: { peer: Peer; runner: Runner; cold: GenerationTiming; runs: GenerationTiming[] }[] = [];
    for (const peer of opts.peers) {
      if (peer.startsWith('ort-') && !m.onnx) continue;
      try {
        let runner: Runner;
        if (peer === 'ours') runner = await loadOurs(rt, bytes, spec);
        else if (peer === 'wllama') runner = await loadWllama(bytes, spec);
        else {
          if (!ref) throw new Error(`no /assets/embedded-reference.json for this prompt (the ONNX graph's names and shapes): run ${ASSETS_COMMAND}`);
          runner = await loadOrtRunner(peer, await fetchBytes(m.onnx!, ASSETS_COMMAND), ref, spec);
        }
        try {
          const cold = await runner.generate(2);
          loaded.push({ peer, runner, cold, runs: [] });
          log(`  ${peer}: loaded in ${(runner.loadMs / 1e3).toFixed(1)} s, cold ttft ${cold.ttftMs.toFixed(0)} ms`);
        } catch (e) {
          await runner.release().catch(() => {});
          throw e;
        }
      } catch (e) {
        results.push(failed(peer, e));
        log(`  ${peer}: could not run: ${errorMessage(e)}`);
      }
    }
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < loaded.length; j++) {
        const l = loaded[(r + j) % loaded.length];
        if (l.runs.length < r) continue; // failed in an earlier round
        try {
          const t = await l.runner.generate(opts.steps);
          l.runs.push(t);
          log(`  round ${r + 1} ${l.peer}: ttft ${t.ttftMs.toFixed(0)} ms, ${t.stepMs.length} steps in ${(t.stepMs.reduce((a, b) => a + b, 0) / 1e3).toFixed(2)} s`);
        } catch (e) {
          log(`  round ${r + 1} ${l.peer}: failed: ${errorMessage(e)}`);
        }
      }
    }
    for (const l of loaded) {
      try {
        if (l.runs.length === 0) throw new Error('every timed round failed (see the log)');
        const first = l.runs[0];
        const ids = first.tokens.length ? first.tokens : await l.runner.tokens?.();
        const extra = { ...l.runner.extra, ...(await l.runner.profile?.()) };
        const res: PeerResult = {
          model: m.name,
          engine: l.peer,
          ok: true,
          loadMs: l.runner.loadMs,
          coldTtftMs: l.cold.ttftMs,
          ...summarize(spec, l.runs),
          tokens: ids,
          text: first.text ?? (ids && l.runner.decode ? l.runner.decode(ids) : undefined),
          notes: l.runner.notes,
          extra,
        };
        if (l.runs.some((x) => x.tokens.join() !== first.tokens.join() || x.text !== first.text)) res.notes.push('rounds disagree on the generated tokens');
        results.push(res);
      } catch (e) {
        results.push(failed(l.peer, e));
      } finally {
        await l.runner.release().catch((e: unknown) => log(`  ${l.peer}: release failed: ${errorMessage(e)}`));
      }
    }
  }

  // ---- report ----
  const headers = ['model', 'engine', 'rounds', 'load s', 'cold ttft ms', 'ttft ms', 'prefill tok/s', 'decode tok/s', 'ms/token',
    'disp/token', 'submits/token', 'reads/token', 'greedy agreement', 'ours÷peer prefill', 'ours÷peer decode'];
  const rows: Cell[][] = [];
  const agreements: Record<string, string> = {};
  for (const r of results) {
    const ours = results.find((x) => x.model === r.model && x.engine === 'ours' && x.ok);
    const agree = agreement(r, ours, r.model === 'embedded-f32' ? refTokens : undefined);
    agreements[`${r.model} ${r.engine}`] = agree;
    if (!r.ok) {
      rows.push([r.model, r.engine, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'could not run']);
      continue;
    }
    const self = r.engine === 'ours';
    rows.push([
      r.model, r.engine, String(r.rounds), (r.loadMs ?? NaN) / 1e3, r.coldTtftMs, r.ttftMs, r.prefillTokS, r.decodeTokS, r.medianStepMs,
      r.perToken?.dispatches, r.perToken?.submits, r.perToken?.maps, agree,
      self ? '-' : ratio(ours?.prefillTokS, r.prefillTokS), self ? '-' : ratio(ours?.decodeTokS, r.decodeTokS),
    ]);
  }
  log('');
  log(`${env.adapter}; prompt ${PROMPT_TOKENS} tokens, ${opts.steps} decode steps; medians over the interleaved timed rounds (column "rounds") after one untimed run`);
  table(headers, rows, 1).forEach(log);
  log('ttft: prompt in to the first token id on the host (whole prefill + sampling); prefill tok/s = prompt tokens / ttft;');
  log('decode tok/s over the decode steps, wall clock (submits, syncs, readbacks included); ms/token: median step;');
  log("wllama: llama.cpp's own clock (its streamed chunks arrive in bursts); the note gives the requests' extra wall time.");
  log('per-token counts: WebGPU calls per decode step (wllama: CPU, none). ours÷peer > 1: ours is faster.');
  log(`agreement: leading greedy tokens equal to the PyTorch reference (embedded-f32; smallest top1-top2 logit margin over its ` +
    `${refTokens?.length ?? '?'} tokens: ${ref?.min_margin ?? '?'}) and to ours; wllama's come from a logprobs run.`);

  for (const r of results.filter((x) => x.ok && x.engine === 'ours')) {
    const x = r.extra as { decodeWeightBytesPerToken: number; gpuMs: number; timing: string; dispatches: number };
    const gbps = (x.decodeWeightBytesPerToken * (r.decodeTokS ?? 0)) / 1e9;
    r.extra = { ...x, decodeWeightGBps: gbps, copyGBps: copy?.gbps, rooflinePct: copy ? (100 * gbps) / copy.gbps : undefined };
    log(`roofline ${r.model} (ours): ${(x.decodeWeightBytesPerToken / 1e6).toFixed(2)} MB of weights per token x ${r.decodeTokS?.toFixed(2)} tok/s = ` +
      `${gbps.toFixed(3)} GB/s${copy ? ` = ${((100 * gbps) / copy.gbps).toFixed(1)}% of the copy kernel's ${copy.gbps.toFixed(2)} GB/s` : ''}; ` +
      `${r.perToken?.dispatches} dispatches + ${r.perToken?.submits} submit per token; one profiled token: ${x.gpuMs.toFixed(1)} ms of GPU time (${x.timing}) ` +
      `vs ${r.medianStepMs?.toFixed(1)} ms median wall`);
  }
  for (const r of results) {
    if (!r.ok) log(`could not run: ${r.model} ${r.engine}: ${r.error}`);
    else for (const n of r.notes) log(`note ${r.model} ${r.engine}: ${n}`);
  }
  log(`total ${((performance.now() - tStart) / 1e3).toFixed(0)} s`);
  rt.destroy();
  return { env, copy, promptTokens: PROMPT_TOKENS, decodeSteps: opts.steps, reference: refTokens ?? null, agreements, results };
}
