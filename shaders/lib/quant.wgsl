// Reading repacked weights (src/kernels/quant/repack.ts): 8 consecutive values of a row at a time.
//
// A [rows, K] weight is two u32 arrays, row-major, with a per-row stride passed as a uniform:
//   Q  the values: `Q: array<Q_ELEM>` (u32; vec4<f32> for F32; vec4<f16> for native F16)
//   S  scales/mins (quant types only, HAS_SCALES): `S: array<u32>`
// The including file declares both and defines exactly one QT_* type. `w8(qb, sb, c)` returns
// values 8c .. 8c+7 of the row whose Q words start at qb and S words at sb. Chunks never straddle
// a block or a sub-block, so the 8 values share one scale (and min).
//
// Layouts, per block of the row (b = block index within the row; "word" = u32, little-endian;
// "half" = f16 bits, half 0 = low 16 bits; values inside a block are numbered 0..QK-1):
//
//   F32   Q: the floats, row zero-padded to a multiple of 8 values.
//   F16   Q: two halves per word (value 2i low), row padded to 8 values. Read with
//         unpack2x16float, or as vec4<f16> with QT_F16_NATIVE (shader-f16). Same bytes.
//   BF16  Q: as F16, each half being the top 16 bits of an f32.
//   Q8_0  QK=32. Q: 8 words per block, byte j = int8 value j.
//         S: d of block b in half (b & 1) of word b/2.          w = d * q
//   Q4_0  QK=32. Q: 4 words per block, byte j = value j (low nibble) | value j+16 (high nibble)
//         (GGUF's nibble order). S: d as Q8_0.                   w = d * (q - 8)
//   Q4_1  QK=32. Q: as Q4_0. S: word b = (d, m) halves.         w = d * q + m
//   Q5_0  QK=32. Q: 5 words per block: word 0 = qh, bit i = 5th bit of value i; words 1-4 the
//         nibbles as Q4_0 (byte j = value j low | value j+16 high). S: d as Q8_0.
//         The block's chunk j (values 8j .. 8j+7, j = 0..3) takes its 5th bits from byte j of qh.
//                                                                 w = d * ((q | h << 4) - 16)
//   Q5_1  QK=32. Q: as Q5_0. S: word b = (d, m) halves.         w = d * (q | h << 4) + m
//   Q4_K  QK=256, 8 sub-blocks of 32. Q: 32 words per block: word 8g+i, byte j holds value
//         64g + 4i + j (low nibble, sub-block 2g) and 64g + 32 + 4i + j (high, sub-block 2g+1).
//         S: 5 words per block: (d, dmin) halves; 8 u8 scales sc[0..7] (words 1-2, byte j & 3
//         of word 1 + j/4); 8 u8 mins (words 3-4). The 6-bit packing of GGUF is undone at load.
//                                                                 w = (d * sc) * q - dmin * m
//   Q5_K  QK=256. Q: 40 words per block: 8 words qh, then 32 words of nibbles as Q4_K. Bit s of
//         qh byte l is the 5th bit of value l of sub-block s. S: as Q4_K.
//   Q6_K  QK=256, 16 sub-blocks of 16. Q: 48 words per block: 32 words ql, 16 words qh (GGUF's
//         bytes). In half n (128 values), ql byte 64n + l feeds values l (low nibble) and
//         l + 64 (high), ql byte 64n + 32 + l feeds l + 32 and l + 96; qh byte 32n + l holds
//         the top 2 bits of those four at bits 0, 2, 4, 6. S: 5 words per block: (d, 0) halves,
//         then 16 i8 scales; value 128n + 32p + l uses scale 8n + 2p + l/16.
//                                                                 w = (d * sc) * (q - 32)
// Products are rounded in the same order as src/kernels/ref/dequant.ts, so a chunk equals the
// CPU dequantizer up to fma contraction by the compiler.

struct W8 {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

/** The 4 nibbles at bit `shift` of each byte of w, as floats. */
fn nib4(w: u32, shift: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(w) >> vec4<u32>(shift, shift + 8u, shift + 16u, shift + 24u)) & vec4<u32>(15u));
}

/** The 4 signed bytes of w, as floats. */
fn i8x4(w: u32) -> vec4<f32> {
  let v = vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w));
  return vec4<f32>(v >> vec4<u32>(24u));
}

fn byte_of(w: u32, i: u32) -> u32 {
  return (w >> (8u * i)) & 255u;
}

#ifdef QT_F32
const QK: u32 = 1u;
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let i = (qb >> 2u) + 2u * c;
  return W8(Q[i], Q[i + 1u]);
}
#endif

#ifdef QT_F16
const QK: u32 = 1u;
#ifdef QT_F16_NATIVE
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let i = (qb >> 1u) + 2u * c;
  return W8(vec4<f32>(Q[i]), vec4<f32>(Q[i + 1u]));
}
#else
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let i = qb + 4u * c;
  return W8(
    vec4<f32>(unpack2x16float(Q[i]), unpack2x16float(Q[i + 1u])),
    vec4<f32>(unpack2x16float(Q[i + 2u]), unpack2x16float(Q[i + 3u])),
  );
}
#endif
#endif

#ifdef QT_BF16
const QK: u32 = 1u;
fn bf2(w: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let i = qb + 4u * c;
  return W8(vec4<f32>(bf2(Q[i]), bf2(Q[i + 1u])), vec4<f32>(bf2(Q[i + 2u]), bf2(Q[i + 3u])));
}
#endif

#ifdef QT_Q8_0
const QK: u32 = 32u;
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 2u;
  let q = qb + b * 8u + (c & 3u) * 2u;
  let d = unpack2x16float(S[sb + (b >> 1u)])[b & 1u];
  return W8(d * i8x4(Q[q]), d * i8x4(Q[q + 1u]));
}
#endif

#ifdef QT_Q4_0
const QK: u32 = 32u;
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 2u;
  let j = c & 3u;
  let q = qb + b * 4u + (j & 1u) * 2u;
  let sh = (j >> 1u) * 4u;
  let d = unpack2x16float(S[sb + (b >> 1u)])[b & 1u];
  return W8(d * (nib4(Q[q], sh) - 8.0), d * (nib4(Q[q + 1u], sh) - 8.0));
}
#endif

#ifdef QT_Q4_1
const QK: u32 = 32u;
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 2u;
  let j = c & 3u;
  let q = qb + b * 4u + (j & 1u) * 2u;
  let sh = (j >> 1u) * 4u;
  let dm = unpack2x16float(S[sb + b]);
  return W8(dm.x * nib4(Q[q], sh) + dm.y, dm.x * nib4(Q[q + 1u], sh) + dm.y);
}
#endif

#ifdef QT_Q5_0
#define QT_Q5_32
#endif
#ifdef QT_Q5_1
#define QT_Q5_32
#endif

#ifdef QT_Q5_32
const QK: u32 = 32u;
/** Five-bit values: the 4 nibbles at bit `sh` of the bytes of w, with bits hb .. hb+3 of qh as their 5th bits. */
fn q5x4(w: u32, sh: u32, qh: u32, hb: u32) -> vec4<f32> {
  let lo = (vec4<u32>(w) >> vec4<u32>(sh, sh + 8u, sh + 16u, sh + 24u)) & vec4<u32>(15u);
  let hi = (vec4<u32>(qh) >> vec4<u32>(hb, hb + 1u, hb + 2u, hb + 3u)) & vec4<u32>(1u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u)));
}

/** The 8 unscaled five-bit values (0 .. 31) of chunk c: block b = c / 4 is 5 words (qh, then 16
 *  bytes of nibbles); chunk j = c % 4 takes 8 of its 32 values. Q5_0 and Q5_1 differ only in scale. */
fn q5_raw8(qb: u32, c: u32) -> W8 {
  let b = c >> 2u;
  let j = c & 3u;
  let base = qb + b * 5u;
  let qh = Q[base];
  let q = base + 1u + (j & 1u) * 2u;
  let sh = (j >> 1u) * 4u;
  return W8(q5x4(Q[q], sh, qh, 8u * j), q5x4(Q[q + 1u], sh, qh, 8u * j + 4u));
}
#endif

#ifdef QT_Q5_0
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 2u;
  let d = unpack2x16float(S[sb + (b >> 1u)])[b & 1u];
  let r = q5_raw8(qb, c);
  return W8(d * (r.lo - 16.0), d * (r.hi - 16.0));
}
#endif

#ifdef QT_Q5_1
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let dm = unpack2x16float(S[sb + (c >> 2u)]);
  let r = q5_raw8(qb, c);
  return W8(dm.x * r.lo + dm.y, dm.x * r.hi + dm.y);
}
#endif

#ifdef QT_Q4_K
#define QT_KSCALES
#endif
#ifdef QT_Q5_K
#define QT_KSCALES
#endif

#ifdef QT_KSCALES
const QK: u32 = 256u;
/** (d * sc, dmin * m) of sub-block `sub` (0..7) of the block whose S words start at s0. */
fn k_scale_min(s0: u32, sub: u32) -> vec2<f32> {
  let dd = unpack2x16float(S[s0]);
  let sc = f32(byte_of(S[s0 + 1u + (sub >> 2u)], sub & 3u));
  let mn = f32(byte_of(S[s0 + 3u + (sub >> 2u)], sub & 3u));
  return vec2<f32>(dd.x * sc, dd.y * mn);
}
#endif

#ifdef QT_Q4_K
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 5u;
  let j = c & 31u;
  let sub = j >> 2u;
  let q = qb + b * 32u + (j >> 3u) * 8u + (j & 3u) * 2u;
  let sh = (sub & 1u) * 4u;
  let dm = k_scale_min(sb + b * 5u, sub);
  return W8(dm.x * nib4(Q[q], sh) - dm.y, dm.x * nib4(Q[q + 1u], sh) - dm.y);
}
#endif

#ifdef QT_Q5_K
/** Bit `bit` of each byte of w, moved to bit 4 (the 5th bit of a 5-bit value). */
fn hbit4(w: u32, bit: u32) -> vec4<u32> {
  return ((vec4<u32>(w) >> vec4<u32>(bit, bit + 8u, bit + 16u, bit + 24u)) & vec4<u32>(1u)) << vec4<u32>(4u);
}
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 5u;
  let j = c & 31u;
  let sub = j >> 2u;
  let base = qb + b * 40u;
  let h = base + (j & 3u) * 2u;
  let q = base + 8u + (j >> 3u) * 8u + (j & 3u) * 2u;
  let sh = (sub & 1u) * 4u;
  let m4 = vec4<u32>(15u);
  let shv = vec4<u32>(sh, sh + 8u, sh + 16u, sh + 24u);
  let lo = vec4<f32>(((vec4<u32>(Q[q]) >> shv) & m4) | hbit4(Q[h], sub));
  let hi = vec4<f32>(((vec4<u32>(Q[q + 1u]) >> shv) & m4) | hbit4(Q[h + 1u], sub));
  let dm = k_scale_min(sb + b * 5u, sub);
  return W8(dm.x * lo - dm.y, dm.x * hi - dm.y);
}
#endif

#ifdef QT_Q6_K
const QK: u32 = 256u;
/** Six-bit values from 4 low-nibble sources and 4 two-bit high sources, minus 32. */
fn q6x4(l: u32, lsh: u32, h: u32, hsh: u32) -> vec4<f32> {
  let lo = (vec4<u32>(l) >> vec4<u32>(lsh, lsh + 8u, lsh + 16u, lsh + 24u)) & vec4<u32>(15u);
  let hi = (vec4<u32>(h) >> vec4<u32>(hsh, hsh + 8u, hsh + 16u, hsh + 24u)) & vec4<u32>(3u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
}
fn w8(qb: u32, sb: u32, c: u32) -> W8 {
  let b = c >> 5u;
  let j = c & 31u;
  let n = j >> 4u;          // half of the block (128 values)
  let p = (j >> 2u) & 3u;   // which of the four 32-value runs of the half
  let lw = (j & 3u) * 2u;   // word of the 8 bytes l0 .. l0+7
  let base = qb + b * 48u;
  let ql = base + n * 16u + (p & 1u) * 8u + lw;
  let qh = base + 32u + n * 8u + lw;
  let s0 = sb + b * 5u;
  let si = n * 8u + ((j & 3u) >> 1u) + 2u * p;
  let sc = f32((bitcast<i32>(S[s0 + 1u + (si >> 2u)] << (24u - 8u * (si & 3u)))) >> 24u);
  let ds = unpack2x16float(S[s0]).x * sc;
  let lsh = (p >> 1u) * 4u;
  return W8(ds * q6x4(Q[ql], lsh, Q[qh], 2u * p), ds * q6x4(Q[ql + 1u], lsh, Q[qh + 1u], 2u * p));
}
#endif
