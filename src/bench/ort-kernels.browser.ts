// Our kernels against ONNX Runtime Web, in one page of headless Chromium: ORT's JSEP build (the
// default `onnxruntime-web` import) and its native WebGPU EP (`onnxruntime-web/webgpu`) run the
// same one-op graphs on the same data (src/bench/ort/). Quantized weights are quantized once and
// encoded for each side with identical dequantized values. Every side is checked against a float64
// CPU reference before it is timed; a side that is wrong or cannot run says why and is not timed.
//
//   npm run bench -- ort-kernels                       # the default set (under 10 min on SwiftShader)
//   npm run bench -- ort-kernels decode q4_0           # only cases whose id has every word
//   npm run bench -- ort-kernels quick attention       # fewer rounds
//   npm run bench -- ort-kernels full                  # + the Qwen/Llama lm_head decode cases
//   npm run bench -- ort-kernels peers=native list     # one peer; list the chosen cases and stop
//   npm run bench -- ort-kernels md budget=2000        # also print the table as Markdown; 2 s of rounds per case
import type { BenchContext } from './browser/contract';
import { browserRuntime, describeEnv, envLines } from './browser/device';
import { markdownTable, table, type Cell } from './browser/table';
import { allCases } from './ort/cases';
import { errorText, loadPeer, PEERS, type OrtPeer, type PeerName } from './ort/ort-web';
import { runCase, type CaseResult, type SideResult } from './ort/run-case';

const TIMED = 'wall-clock ms per run, median of interleaved rounds (the untimed correctness run before them is the warm-up): ' +
  'the op recorded and submitted (ours: its dispatches in one ' +
  'command buffer; ORT: session.run on GPU-resident inputs into pre-bound GPU outputs) plus a 16-byte copy of the output to a ' +
  'mappable buffer and its mapAsync, which waits for the GPU. No host upload or full download inside the clock on either side.';

export default async function run(ctx: BenchContext): Promise<unknown> {
  const words = ctx.args.map((a) => a.toLowerCase());
  const flag = (w: string) => words.includes(w);
  const opt = (k: string) => words.find((w) => w.startsWith(`${k}=`))?.slice(k.length + 1);
  const filters = words.filter((w) => !['quick', 'full', 'list', 'md'].includes(w) && !w.includes('='));
  const peerNames = (opt('peers')?.split(',') ?? ['jsep', 'native']) as PeerName[];
  const timing = flag('quick')
    ? { warmup: 0, minRounds: 2, maxRounds: 4, budgetMs: 1500 }
    : { warmup: 0, minRounds: 3, maxRounds: 15, budgetMs: Number(opt('budget') ?? 5000) };
  const cases = allCases().filter((c) => (flag('full') || !c.heavy || filters.length > 0) && filters.every((f) => c.id.toLowerCase().includes(f)));
  if (flag('list')) {
    cases.forEach((c) => ctx.log(`${c.id}  [${c.shape}]`));
    return { cases: cases.map((c) => c.id) };
  }

  const rt = await browserRuntime((m) => ctx.log(`! ${m}`));
  const env = describeEnv(rt.report);
  envLines(env).forEach(ctx.log);
  const peers: OrtPeer[] = [];
  const peerErrors: Record<string, string> = {};
  for (const name of peerNames) {
    if (!(name in PEERS)) throw new Error(`ort-kernels: unknown peer "${name}" (jsep, native)`);
    try {
      peers.push(await loadPeer(name));
    } catch (e) {
      peerErrors[name] = errorText(e);
      ctx.log(`${PEERS[name].label} (${PEERS[name].importName}) did not load: ${peerErrors[name]}`);
    }
  }
  for (const p of peers) ctx.log(`${p.label}: onnxruntime-web ${p.version}, ${PEERS[p.name].importName} (${PEERS[p.name].url}), webgpu EP, 1 wasm thread`);
  ctx.log(`timed: ${TIMED}`);
  ctx.log(`${cases.length} cases\n`);

  const results: CaseResult[] = [];
  const t0 = performance.now();
  for (const c of cases) {
    const r = await runCase(rt, c, peers, timing, 5);
    results.push(r);
    ctx.log(caseLine(r));
  }
  const totalS = (performance.now() - t0) / 1e3;

  ctx.log('\nms per run (lower is better); ratio = peer ms / ours ms (above 1: ours is faster). "ours" is the kernel our model');
  ctx.log('runs for that op on this adapter (for M=64 on a software adapter: the qmatvec 8-row x 8-token tile, all 64 tokens in');
  ctx.log('one dispatch); "ours alt" is the other prefill kernel (the 64x64 tiled matmul real GPUs get). "ours GPU": GPU timestamps.');
  ctx.log('');
  const headers = ['case', 'shape', 'ours kernel', 'ours', 'ours GPU', 'ours alt', 'JSEP', 'native', 'JSEP/ours', 'native/ours'];
  table(headers, results.map(row)).forEach(ctx.log);
  if (flag('md')) {
    ctx.log('');
    markdownTable(headers, results.map(row)).forEach(ctx.log);
  }
  ctx.log('\ncorrectness: max |out - ref| / sum|terms| (matmul, attention) or max |out - ref| (softmax); float64 CPU reference');
  table(['case', 'ours', 'ours alt', 'JSEP', 'native'], results.map((r) => [r.id, ...['ours', 'ours alt', 'jsep', 'native'].map((k) => errCell(r.sides.find((s) => s.key === k)))])).forEach(ctx.log);
  const why = reasons(results);
  if (why.length) {
    ctx.log('\nwhat did not run or was wrong (not timed):');
    why.forEach((l) => ctx.log(`  ${l}`));
  }
  const notes = new Map<string, string[]>();
  for (const r of results) for (const n of r.notes) notes.set(n, [...(notes.get(n) ?? []), r.id]);
  for (const [n, ids] of notes) ctx.log(`note: ${n} (${ids.length} case${ids.length > 1 ? 's' : ''})`);
  // Which ORT files the page fetched: each build's own wasm (jsep / asyncify), both from /ort/.
  const ortFiles = [...new Set(performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/ort/')))];
  ctx.log(`ORT files loaded: ${ortFiles.join(', ')}`);
  ctx.log(`\n${results.length} cases in ${totalS.toFixed(0)} s`);
  rt.destroy();
  return { env, ortFiles, peers: peers.map((p) => ({ name: p.name, label: p.label, version: p.version, import: PEERS[p.name].importName })), peerErrors, timed: TIMED, timing, totalS, cases: results };
}

const ms = (s: SideResult | undefined) => s?.wall?.median;

function row(r: CaseResult): Cell[] {
  const side = (k: string) => r.sides.find((s) => s.key === k);
  const ours = ms(side('ours'));
  const cell = (k: string) => {
    const s = side(k);
    if (!s) return undefined;
    if (s.error) return 'n/a';
    if (s.pass === false) return 'WRONG';
    return ms(s);
  };
  const rat = (k: string) => {
    const v = ms(side(k));
    return v !== undefined && ours !== undefined ? `${(v / ours).toFixed(2)}x` : undefined;
  };
  const gpu = side('ours')?.gpuMs;
  return [r.id, r.shape, side('ours')?.label, cell('ours'), gpu ?? undefined, cell('ours alt'), cell('jsep'), cell('native'), rat('jsep'), rat('native')];
}

function errCell(s: SideResult | undefined): Cell {
  if (!s) return undefined;
  if (s.error) return 'n/a';
  if (s.maxErr === undefined) return undefined;
  return `${s.maxErr.toExponential(1)}${s.pass ? '' : ' WRONG'}`;
}

function caseLine(r: CaseResult): string {
  const parts = r.sides.map((s) => {
    if (s.error) return `${s.key}: n/a`;
    if (s.pass === false) return `${s.key}: WRONG (err ${s.maxErr?.toExponential(1)})`;
    return `${s.key} ${s.wall?.median.toFixed(2)} ms${s.gpuMs ? ` (GPU ${s.gpuMs.toFixed(2)})` : ''}`;
  });
  return `${r.id} [${r.shape}] prep ${r.prepareS.toFixed(1)} s | ${parts.join(' | ')}`;
}

/** One line per distinct reason a peer did not run, with the cases it hit. */
function reasons(results: CaseResult[]): string[] {
  const by = new Map<string, string[]>();
  for (const r of results) {
    for (const s of r.sides) {
      const why = s.error ?? (s.pass === false ? `wrong result: max error ${s.maxErr?.toExponential(2)} (abs ${s.maxAbsErr?.toExponential(2)})` : null);
      if (!why) continue;
      const key = `${s.label}: ${why}`;
      by.set(key, [...(by.get(key) ?? []), r.id]);
    }
  }
  return [...by].map(([why, ids]) => `${why}\n      (${ids.length} case${ids.length > 1 ? 's' : ''}: ${ids.slice(0, 4).join('; ')}${ids.length > 4 ? '; ...' : ''})`);
}
