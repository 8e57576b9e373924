// Reading one weight element as f32, whatever the weights are stored as. The including file
// declares `W: array<W_ELEM>` and defines exactly one of:
//   W_F32         W_ELEM = f32: plain floats
//   W_F16         W_ELEM = f16: native halves (needs `enable f16;`, i.e. the shader-f16 feature)
//   W_F16_PACKED  W_ELEM = u32: halves packed two per word, element 2i in the low 16 bits, read
//                 with unpack2x16float, for devices without shader-f16. Same bytes as W_F16.
//   W_I8          W_ELEM = u32: blocks of 9 words, an f32 scale then 32 int8 packed 4 per word
//                 (element 4j + b in byte b of word 1 + j); w = q * scale (src/kernels/weights.ts).

#ifdef W_F16
fn load_w(i: u32) -> f32 {
  return f32(W[i]);
}
#endif
#ifdef W_F16_PACKED
fn load_w(i: u32) -> f32 {
  let pair = unpack2x16float(W[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}
#endif
#ifdef W_F32
fn load_w(i: u32) -> f32 {
  return W[i];
}
#endif
#ifdef W_I8
fn load_w(i: u32) -> f32 {
  let blk = (i >> 5u) * 9u;
  let j = i & 31u;
  let q = extractBits(bitcast<i32>(W[blk + 1u + (j >> 2u)]), (j & 3u) * 8u, 8u);
  return f32(q) * bitcast<f32>(W[blk]);
}
#endif
