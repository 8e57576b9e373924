// Kernel cases for softmax: long rows, scaled inputs, partly and fully masked (-inf) rows.
import { checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { softmax } from './softmax';
import { softmaxRef } from './ref/softmax';

function smCase(rows: number, cols: number, opts: { scale?: number; masked?: boolean; subgroups: boolean }): KernelCase {
  const name = `rows=${rows} cols=${cols}${opts.scale ? ` scale=${opts.scale}` : ''}${opts.masked ? ' masked' : ''}${opts.subgroups ? ' subgroups' : ''}`;
  return {
    kernel: 'softmax',
    name,
    needs: opts.subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = randn(rows * cols, rows * 7 + cols, { scale: 4 });
      if (opts.masked) {
        // Row 0 fully masked, later rows masked past a causal-style boundary.
        for (let r = 0; r < rows; r++) {
          const keep = r === 0 ? 0 : Math.min(cols, r * 3);
          for (let c = keep; c < cols; c++) x[r * cols + c] = -Infinity;
        }
      }
      return checkOp(rt, {
        kernel: 'softmax',
        name,
        inputs: { x },
        outputs: { out: rows * cols * 4 },
        async prepare(rt) {
          const k = await softmax(rt, { subgroups: opts.subgroups });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, out: b.out.buffer, rows, cols, scale: opts.scale }) };
        },
        reference: () => softmaxRef(x, rows, cols, opts.scale ?? 1),
        tolerance: { atol: 1e-7, rtol: 1e-4 },
      });
    },
  };
}

export const softmaxCases: KernelCase[] = [false, true].flatMap((subgroups) => [
  smCase(1, 1, { subgroups }),
  smCase(3, 33, { subgroups }),
  smCase(33, 257, { subgroups, scale: 0.125 }),
  smCase(2, 50_000, { subgroups }),
  smCase(9, 40, { subgroups, masked: true }),
]);
