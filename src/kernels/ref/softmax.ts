// CPU reference for shaders/softmax.wgsl (float64). Fully masked rows (every entry -inf or
// <= -1e30 after scaling) give zeros.
export function softmaxRef(x: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, scale * x[r * cols + c]);
    if (m <= -1e30) continue;
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(scale * x[r * cols + c] - m);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(scale * x[r * cols + c] - m) / s;
  }
  return out;
}
