// CPU references for the dense linear kernels (float64 accumulation).
// matmulRef: out[M, N] = a[M, K] · w[N, K]ᵀ; matvec is the M = 1 case.
export function matmulRef(a: Float32Array, w: Float32Array, M: number, N: number, K: number): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * w[n * K + k];
      out[m * N + n] = s;
    }
  }
  return out;
}

/** Sum of |a|·|w| per output: the scale against which rounding error in a dot product is judged. */
export function matmulAbsRef(a: Float32Array, w: Float32Array, M: number, N: number, K: number): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(a[m * K + k] * w[n * K + k]);
      out[m * N + n] = s;
    }
  }
  return out;
}
