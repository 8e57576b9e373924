// Kernel cases for rmsnorm: odd row lengths, many rows, outliers, with and without subgroups.
import { checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { rmsnorm } from './rmsnorm';
import { rmsnormRef } from './ref/rmsnorm';

const SHAPES: [number, number][] = [[1, 1], [3, 33], [33, 257], [2, 4096], [257, 3]];

function rmsCase(rows: number, cols: number, subgroups: boolean, wg: number): KernelCase {
  const name = `rows=${rows} cols=${cols} wg=${wg}${subgroups ? ' subgroups' : ''}`;
  return {
    kernel: 'rmsnorm',
    name,
    needs: subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = randn(rows * cols, rows * 31 + cols, { scale: 2 });
      const w = randn(cols, cols + 5, { outlierRate: 0 });
      const eps = 1e-5;
      return checkOp(rt, {
        kernel: 'rmsnorm',
        name,
        inputs: { x, w },
        outputs: { out: rows * cols * 4 },
        async prepare(rt) {
          const k = await rmsnorm(rt, { subgroups, workgroupSize: wg });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, w: b.w.buffer, out: b.out.buffer, rows, cols, eps }) };
        },
        reference: () => rmsnormRef(x, w, rows, cols, eps),
        tolerance: { atol: 1e-5, rtol: 2e-5 },
      });
    },
  };
}

export const rmsnormCases: KernelCase[] = [
  ...SHAPES.map(([r, c]) => rmsCase(r, c, false, 64)),
  ...SHAPES.map(([r, c]) => rmsCase(r, c, true, 64)),
  rmsCase(5, 1000, false, 256),
  rmsCase(5, 1000, true, 256),
];
