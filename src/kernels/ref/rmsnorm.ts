// CPU reference for shaders/rmsnorm.wgsl (float64 accumulation).
export function rmsnormRef(x: Float32Array, w: Float32Array, rows: number, cols: number, eps: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c] ** 2;
    const scale = 1 / Math.sqrt(ss / cols + eps);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * scale * w[c];
  }
  return out;
}
