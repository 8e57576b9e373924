// CPU references for the quantized linear kernels and the embedding lookup. Weights come in
// already dequantized by dequant.ts, so these are the dense references plus the fused epilogue.
//   qlinearRef: out[M, N] = a[M, K] · w[N, K]ᵀ (+ bias[N]) (+ residual[M, N])   (qmatvec: M = 1)
// `scale` is sum_k |a||w| + |bias| + |residual| per output: what rounding error is judged against.
import { matmulAbsRef, matmulRef } from './matmul';

export interface LinearRef {
  out: Float32Array;
  scale: Float32Array;
}

export function qlinearRef(
  a: Float32Array, w: Float32Array, M: number, N: number, K: number,
  epilogue: { bias?: Float32Array; residual?: Float32Array } = {},
): LinearRef {
  const out = matmulRef(a, w, M, N, K);
  const scale = matmulAbsRef(a, w, M, N, K);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const b = epilogue.bias?.[n] ?? 0;
      const r = epilogue.residual?.[i] ?? 0;
      out[i] = out[i] + b + r;
      scale[i] += Math.abs(b) + Math.abs(r);
    }
  }
  return { out, scale };
}

/** out[t, :] = table[ids[t], :]; ids outside the table give zeros. */
export function embeddingRef(table: Float32Array, rows: number, K: number, ids: Uint32Array): Float32Array {
  const out = new Float32Array(ids.length * K);
  ids.forEach((id, t) => {
    if (id < rows) out.set(table.subarray(id * K, (id + 1) * K), t * K);
  });
  return out;
}
