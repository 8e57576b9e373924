// Registers a kernel family's cases as vitest tests on every Node WebGPU substrate. Cases a
// substrate cannot run (native f16 on SwiftShader) are not registered there, and the run prints
// which adapter each block ran on.
import { describe, expect, it } from 'vitest';
import { applicable, type KernelCase } from '../kernels/check/cases';
import { adapterName } from '../runtime/device';
import { nodeSubstrates } from './node-gpu';

export async function kernelSuite(family: string, cases: KernelCase[]): Promise<void> {
  const subs = nodeSubstrates();
  const runtimes = await Promise.all(subs.map((s) => s.runtime()));
  subs.forEach((sub, i) => {
    const rt = runtimes[i];
    const runnable = cases.filter((c) => applicable(c, rt.caps));
    describe(`${family} on ${sub.name} [${adapterName(rt.report.adapter)}]`, () => {
      it('has cases to run here', () => expect(runnable.length).toBeGreaterThan(0));
      for (const c of runnable) {
        it(c.name, async () => {
          const r = await c.run(rt);
          expect(r.pass, `${r.variant}: ${r.summary}${r.error ? `\n${r.error}` : ''}`).toBe(true);
        });
      }
    });
  });
}
