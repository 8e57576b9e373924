// Kernel benchmark on the Node WebGPU substrates: the same op at decode/prefill-like shapes in each
// variant, timed with GPU timestamps (median of several runs after a warm-up). This machine is
// shared and CPU-backed, so read the ratios between variants measured in one run, not the times.
import { attentionDecode } from '../kernels/attention';
import { kvRowBytes, kvWriter, type KvDtype } from '../kernels/kv-cache';
import { matmul } from '../kernels/matmul';
import { matvec, type MatvecVariant } from '../kernels/matvec';
import { rmsnorm } from '../kernels/rmsnorm';
import { randn } from '../kernels/check/data';
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { nodeSubstrates } from '../test/node-gpu';
import { f32ToF16Bits } from '../util/f16';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

async function time(rt: GpuRuntime, encode: (rec: Recorder) => void): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const rec = rt.recorder({ profile: true, label: 'bench' });
    encode(rec);
    const t = await rec.submit();
    if (i > 0) samples.push(t.kernels.reduce((s, k) => s + k.ms, 0));
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function f16Packed(v: Float32Array): Uint16Array {
  return Uint16Array.from(v, (x) => f32ToF16Bits(x));
}

async function benchMatvec(rt: GpuRuntime, N: number, K: number): Promise<[string, number][]> {
  const x = await rt.upload(randn(K, 1), 'activations', 'x');
  const w32 = await rt.upload(randn(N * K, 2), 'weights', 'w32');
  const w16 = await rt.upload(f16Packed(randn(N * K, 2)), 'weights', 'w16');
  const y = await rt.storage(N * 4, 'activations', 'y');
  const out: [string, number][] = [];
  const variants: { v: MatvecVariant; sg: boolean }[] = [{ v: 'rows', sg: false }, { v: 'coop', sg: false }];
  if (rt.caps.subgroups) variants.push({ v: 'coop', sg: true });
  for (const weights of ['f32', 'f16'] as const) {
    for (const { v, sg } of variants) {
      const k = await matvec(rt, { weights, variant: v, subgroups: sg });
      const w = weights === 'f32' ? w32 : w16;
      out.push([k.label, await time(rt, (rec) => k.encode(rec, { x: x.buffer, w: w.buffer, y: y.buffer, N, K }))]);
    }
  }
  for (const b of [x, w32, w16, y]) rt.pool.release(b);
  return out;
}

async function benchMatmul(rt: GpuRuntime, M: number, N: number, K: number): Promise<[string, number][]> {
  const a = await rt.upload(randn(M * K, 3), 'activations', 'a');
  const w = await rt.upload(randn(N * K, 4), 'weights', 'w');
  const o = await rt.storage(M * N * 4, 'activations', 'o');
  const k = await matmul(rt, { weights: 'f32' });
  const ms = await time(rt, (rec) => k.encode(rec, { a: a.buffer, w: w.buffer, out: o.buffer, M, N, K }));
  for (const b of [a, w, o]) rt.pool.release(b);
  return [[`${k.label} ${M}x${N}x${K} (${((2 * M * N * K) / ms / 1e6).toFixed(2)} GFLOP/s)`, ms]];
}

async function benchRmsnorm(rt: GpuRuntime, rows: number, cols: number): Promise<[string, number][]> {
  const x = await rt.upload(randn(rows * cols, 5), 'activations', 'x');
  const w = await rt.upload(randn(cols, 6), 'weights', 'w');
  const o = await rt.storage(rows * cols * 4, 'activations', 'o');
  const out: [string, number][] = [];
  for (const sg of rt.caps.subgroups ? [false, true] : [false]) {
    const k = await rmsnorm(rt, { subgroups: sg });
    out.push([k.label, await time(rt, (rec) => k.encode(rec, { x: x.buffer, w: w.buffer, out: o.buffer, rows, cols, eps: 1e-5 }))]);
  }
  for (const b of [x, w, o]) rt.pool.release(b);
  return out;
}

/**
 * One decode token's attention work with each KV cache type: write the new k/v row, then attend over
 * kvLen cached positions (Llama-3.2-1B-like heads: 32 query heads, 8 KV heads of 64). The f16 cache
 * halves the bytes read; on CPU adapters the unpacking may cost what the bandwidth saves.
 */
async function benchKvTypes(rt: GpuRuntime, kvLen: number): Promise<[string, number][]> {
  const nHeads = 32;
  const nKvHeads = 8;
  const headDim = 64;
  const nCtx = kvLen;
  const out: [string, number][] = [];
  const q = await rt.upload(randn(nHeads * headDim, 7), 'activations', 'q');
  const kNew = await rt.upload(randn(nKvHeads * headDim, 8), 'activations', 'k');
  const vNew = await rt.upload(randn(nKvHeads * headDim, 9), 'activations', 'v');
  const o = await rt.storage(nHeads * headDim * 4, 'activations', 'o');
  for (const dtype of ['f32', 'f16'] as KvDtype[]) {
    const shape = { nCtx, nKvHeads, headDim };
    const bytes = kvRowBytes(shape, dtype) * nCtx;
    // Random cache contents: the f16 view of random words is finite often enough for timing.
    const kc = await rt.upload(randn(bytes / 4, 10), 'kv-cache', 'kc');
    const vc = await rt.upload(randn(bytes / 4, 11), 'kv-cache', 'vc');
    const [write, attend] = await Promise.all([kvWriter(rt, dtype), attentionDecode(rt, { headDim, kvType: dtype })]);
    const partials = await rt.storage(attend.scratchBytes(nHeads, kvLen), 'activations', 'partials');
    out.push([
      `kv-write + ${attend.label} (${dtype} cache, ${(bytes / 2 ** 20).toFixed(1)} MiB per K)`,
      await time(rt, (rec) => {
        write.encode(rec, { ...shape, k: kNew.buffer, v: vNew.buffer, kCache: kc.buffer, vCache: vc.buffer, T: 1, pos0: kvLen - 1 });
        attend.encode(rec, { nHeads, nKvHeads, nCtx, q: q.buffer, kCache: kc.buffer, vCache: vc.buffer, out: o.buffer, partials: partials.buffer, kvLen });
      }),
    ]);
    for (const b of [kc, vc, partials]) rt.pool.release(b);
  }
  for (const b of [q, kNew, vNew, o]) rt.pool.release(b);
  return out;
}

function print(title: string, rows: [string, number][]): void {
  const base = rows[0][1];
  console.log(`\n  ${title}`);
  for (const [label, ms] of rows) console.log(`    ${label.padEnd(58)} ${ms.toFixed(3).padStart(9)} ms   x${(base / ms).toFixed(2)} vs first`);
}

for (const sub of nodeSubstrates()) {
  const rt = await sub.runtime();
  const a = rt.report.adapter;
  console.log(`\n== ${sub.name}: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')} (median of ${RUNS}, GPU timestamps)`);
  print('matvec N=1024 K=1024 (decode-shaped)', await benchMatvec(rt, 1024, 1024));
  print('matmul (prefill-shaped)', [...(await benchMatmul(rt, 64, 256, 256)), ...(await benchMatmul(rt, 128, 128, 128))]);
  print('rmsnorm 64x1024', await benchRmsnorm(rt, 64, 1024));
  for (const kv of [256, 2048]) print(`decode attention, KV cache f32 vs f16, kv length ${kv}`, await benchKvTypes(rt, kv));
}
process.exit(0);
