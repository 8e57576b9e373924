// The one comparison every kernel test and the in-app self-test use: |gpu - ref| <= atol + rtol*|ref|
// elementwise, reporting the worst error and the first mismatches so a failure says where to look.

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CloseReport {
  pass: boolean;
  count: number;
  maxAbsErr: number;
  /** Largest |gpu-ref| / max(|ref|, atol) over all elements. */
  maxRelErr: number;
  /** Index of the largest absolute error. */
  worstIndex: number;
  mismatchCount: number;
  /** Up to 5 first mismatches, "i=12 gpu=1.5 ref=1.25 err=0.25". */
  mismatches: string[];
  tolerance: Tolerance;
}

export function compareAllClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): CloseReport {
  const n = ref.length;
  const mismatches: string[] = [];
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worstIndex = -1;
  let mismatchCount = 0;
  if (gpu.length !== n) {
    return {
      pass: false, count: n, maxAbsErr: Infinity, maxRelErr: Infinity, worstIndex: -1, mismatchCount: n,
      mismatches: [`length mismatch: gpu has ${gpu.length} elements, reference has ${n}`], tolerance: tol,
    };
  }
  for (let i = 0; i < n; i++) {
    const g = gpu[i];
    const r = ref[i];
    const err = Math.abs(g - r);
    const same = g === r || (Number.isNaN(g) && Number.isNaN(r));
    // An infinite reference makes the bound infinite too: only the same infinity may match it.
    const bad = !same && !(Number.isFinite(r) && err <= tol.atol + tol.rtol * Math.abs(r));
    // Matching NaN/Inf add no error, so they cannot mask the real worst element.
    const e = same ? 0 : Number.isNaN(err) ? Infinity : err;
    if (worstIndex < 0 || e > maxAbsErr) {
      maxAbsErr = e;
      worstIndex = i;
    }
    const rel = e / Math.max(Math.abs(r), tol.atol || 1e-30);
    if (rel > maxRelErr) maxRelErr = rel;
    if (bad) {
      mismatchCount++;
      if (mismatches.length < 5) mismatches.push(`i=${i} gpu=${g} ref=${r} err=${err.toExponential(3)}`);
    }
  }
  return { pass: mismatchCount === 0, count: n, maxAbsErr, maxRelErr, worstIndex, mismatchCount, mismatches, tolerance: tol };
}

export function describeClose(r: CloseReport): string {
  const head = `${r.pass ? 'ok' : 'MISMATCH'}: ${r.mismatchCount}/${r.count} outside atol=${r.tolerance.atol} rtol=${r.tolerance.rtol}; max abs err ${r.maxAbsErr.toExponential(3)} at i=${r.worstIndex}, max rel err ${r.maxRelErr.toExponential(3)}`;
  return r.mismatches.length ? `${head}\n  ${r.mismatches.join('\n  ')}` : head;
}

/** Throwing form for tests: fails with the full report. */
export function expectAllClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, what = 'values'): CloseReport {
  const r = compareAllClose(gpu, ref, tol);
  if (!r.pass) throw new Error(`${what}: ${describeClose(r)}`);
  return r;
}
