// The UNet's blocks on real WebGPU against PyTorch (training/fixtures/diffusion/blocks.*): tiny
// random diffusers blocks with odd sizes, each output within the fixture's stated tolerance
// (|y - ref| <= atol + rtol |ref|).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareAllClose, describeClose } from '../../kernels/check/allclose';
import { timestepEmbedding } from '../../kernels/diffusion/timestep';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import type { GpuRuntime } from '../../runtime/runtime';
import { Arena, blockKernels, downsample, resnet, timeMlp, transformer, upsample, type BlockCtx, type T4 } from './blocks';
import { Params } from './params';

const DIR = 'training/fixtures/diffusion';
const spec = JSON.parse(readFileSync(`${DIR}/blocks.json`, 'utf8')) as {
  cases: { name: string; op: string; config: Record<string, number>; inputs: Record<string, string>; outputs: Record<string, string>; shapes: Record<string, number[]>; atol: number; rtol: number }[];
};
const bytes = new Uint8Array(readFileSync(`${DIR}/blocks.safetensors`));
const src = bufferSource(bytes, 'blocks.safetensors');
const file = await parseSafetensors(src);
const tensor = (name: string) => readTensorF32(src, file.tensors.get(name)!);
const caseOf = (name: string) => spec.cases.find((c) => c.name === name)!;

async function run(rt: GpuRuntime, name: string, body: (ctx: BlockCtx, input: (k: string) => Promise<GPUBuffer>) => Promise<{ buf: GPUBuffer; floats: number }>) {
  const c = caseOf(name);
  const p = await Params.load(rt, file, src, { keep: (n) => n.startsWith(`${name}.`) });
  const k = await blockKernels(rt, [5, 6]);
  const arena = new Arena(rt);
  const rec = rt.recorder({ label: `block.${name}` });
  const ctx: BlockCtx = { k, p, rec, arena, groups: c.config.groups ?? c.config.norm_num_groups ?? 1, eps: c.config.eps ?? 1e-5 };
  const input = async (key: string) => {
    const v = await tensor(c.inputs[key]);
    const buf = await arena.alloc(v.length, `in.${key}`);
    rt.device.queue.writeBuffer(buf, 0, v);
    return buf;
  };
  const out = await body(ctx, input);
  const read = rec.read(out.buf, 0, out.floats * 4);
  await rec.submit();
  const got = new Float32Array(await read);
  const want = await tensor(Object.values(c.outputs).at(-1)!);
  arena.release();
  p.release();
  const r = compareAllClose(got, want, { atol: c.atol, rtol: c.rtol });
  expect(r.pass, `${name}: ${describeClose(r)}`).toBe(true);
}

const t4 = (buf: GPUBuffer, s: number[]): T4 => ({ buf, n: s[0], c: s[1], h: s[2], w: s[3] });

for (const sub of nodeSubstrates()) {
  describe(`UNet blocks vs PyTorch on ${sub.name}`, () => {
    for (const name of ['resnet', 'resnet_shortcut']) {
      it(`ResnetBlock2D (${name})`, async () => {
        const rt = await sub.runtime();
        const s = caseOf(name).shapes;
        await run(rt, name, async (ctx, input) => {
          const temb = await input('temb');
          const ts = await ctx.arena.alloc(s.temb[0] * s.temb[1], 'temb.silu');
          ctx.k.silu.encode(ctx.rec, { a: temb, out: ts, n: s.temb[0] * s.temb[1] });
          const y = await resnet(ctx, name, t4(await input('x'), s.x), ts, s.temb[1]);
          return { buf: y.buf, floats: s.y.reduce((a, b) => a * b, 1) };
        });
      });
    }

    it('Transformer2DModel (3 heads of 6, 35 tokens, cross-attention to 5)', async () => {
      const rt = await sub.runtime();
      const s = caseOf('transformer').shapes;
      await run(rt, 'transformer', async (ctx, input) => {
        const ehs = await input('encoder_hidden_states');
        const y = await transformer(ctx, 'transformer', t4(await input('x'), s.x), { buf: ehs, S: s.encoder_hidden_states[1], D: s.encoder_hidden_states[2] }, 3);
        return { buf: y.buf, floats: s.y.reduce((a, b) => a * b, 1) };
      });
    });

    it('Transformer2DModel with linear projections (SD 2.x; 2 heads of 5, inner 10 != 12 channels)', async () => {
      const rt = await sub.runtime();
      const s = caseOf('transformer_linear').shapes;
      await run(rt, 'transformer_linear', async (ctx, input) => {
        const ehs = await input('encoder_hidden_states');
        const y = await transformer(ctx, 'transformer_linear', t4(await input('x'), s.x), { buf: ehs, S: s.encoder_hidden_states[1], D: s.encoder_hidden_states[2] }, 2);
        return { buf: y.buf, floats: s.y.reduce((a, b) => a * b, 1) };
      });
    });

    it('Downsample2D and Upsample2D', async () => {
      const rt = await sub.runtime();
      for (const name of ['downsample', 'upsample']) {
        const s = caseOf(name).shapes;
        await run(rt, name, async (ctx, input) => {
          const x = t4(await input('x'), s.x);
          const y = name === 'downsample' ? await downsample(ctx, name, x) : await upsample(ctx, name, x);
          expect([y.n, y.c, y.h, y.w]).toEqual(s.y);
          return { buf: y.buf, floats: s.y.reduce((a, b) => a * b, 1) };
        });
      }
    });

    it('TimestepEmbedding (sinusoidal projection, then the MLP)', async () => {
      const rt = await sub.runtime();
      const s = caseOf('time_embedding').shapes;
      await run(rt, 'time_embedding', async (ctx) => {
        const t = await tensor(caseOf('time_embedding').inputs.t);
        const proj = timestepEmbedding(t, s.t_emb[1], { flipSinToCos: true, downscaleFreqShift: 0 });
        const buf = await ctx.arena.alloc(proj.length, 'tproj');
        rt.device.queue.writeBuffer(buf, 0, proj);
        const y = await timeMlp(ctx, 'time_embedding', buf, s.t[0]);
        return { buf: y.buf, floats: s.y[0] * s.y[1] };
      });
    });
  });
}
