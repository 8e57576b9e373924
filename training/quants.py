"""ggml block quantizers and dequantizers in numpy: Q8_0, Q4_0, Q4_K (plus F16/F32 helpers).

Byte layouts are those of ggml (ggml-common.h), little-endian:

    Q8_0  32 values, 34 bytes:  f16 d | 32 x int8 q                      y = d * q
    Q4_0  32 values, 18 bytes:  f16 d | 16 bytes: byte j = q[j] | q[j+16] << 4
                                                                          y = d * (q - 8)
    Q4_K 256 values, 144 bytes: f16 d | f16 dmin | 12 bytes of 6-bit (scale, min) for 8
          sub-blocks of 32 | 128 bytes: group g (0..3) owns bytes 32g..32g+31, low nibble of
          byte 32g+l is value 64g+l (sub-block 2g), high nibble is value 64g+32+l (2g+1).
                                                                          y = d*sc * q - dmin*m

Dequantization rounds every product to float32 in the order ggml's scalar code does
(d*sc, dmin*m, then (d*sc)*q - dmin*m), so a correct dequantizer elsewhere matches these
values exactly. Quantizers work on rows (the last axis); row length must be a multiple of the
block size. They aim for low error but only the layout and the dequantized values are contractual.
"""

import numpy as np

QK8_0 = 32
QK4_0 = 32
QK_K = 256

# ggml type ids (ggml.h) and their block geometry: (values per block, bytes per block).
GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_Q4_K = 0, 1, 2, 8, 12
TYPE_NAMES = {GGML_F32: "F32", GGML_F16: "F16", GGML_Q4_0: "Q4_0", GGML_Q8_0: "Q8_0", GGML_Q4_K: "Q4_K"}
BLOCK = {GGML_F32: (1, 4), GGML_F16: (1, 2), GGML_Q4_0: (32, 18), GGML_Q8_0: (32, 34), GGML_Q4_K: (256, 144)}


def nbytes(ggml_type, n_values):
    per, size = BLOCK[ggml_type]
    assert n_values % per == 0, f"{TYPE_NAMES[ggml_type]}: {n_values} values is not a whole number of {per}-value blocks"
    return n_values // per * size


def _round_away(x):
    """C roundf: halves go away from zero (numpy's rint would round them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _f16_bytes(a):
    return np.ascontiguousarray(a, dtype="<f2").view(np.uint8).reshape(*np.shape(a), 2)


def _f16_at(blocks, offset):
    """The little-endian f16 at `offset` of every block, as float32 (exact)."""
    return np.ascontiguousarray(blocks[:, offset:offset + 2]).view("<f2")[:, 0].astype(np.float32)


def _as_blocks(x, per):
    x = np.asarray(x, dtype=np.float32)
    assert x.size % per == 0, f"{x.size} values is not a whole number of {per}-value blocks"
    return x.reshape(-1, per)


# ----------------------------------------------------------------------------------------- Q8_0

def quantize_q8_0(x):
    """float32 values (any shape, size % 32 == 0) -> uint8 array of 34-byte blocks, flattened."""
    xb = _as_blocks(x, QK8_0)
    amax = np.abs(xb).max(axis=1)
    d = amax / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.clip(_round_away(xb * inv[:, None]), -127, 127).astype(np.int8)
    out = np.empty((xb.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d.astype(np.float16))
    out[:, 2:] = q.view(np.uint8)
    return out.reshape(-1)


def dequantize_q8_0(data, count):
    blocks = np.frombuffer(bytes(data), dtype=np.uint8)[:nbytes(GGML_Q8_0, count)].reshape(-1, 34)
    d = _f16_at(blocks, 0)
    q = blocks[:, 2:].view(np.int8).astype(np.float32)
    return (d[:, None] * q).reshape(-1)


# ----------------------------------------------------------------------------------------- Q4_0

def quantize_q4_0(x):
    """Scale from the value of largest magnitude, sign kept: that value maps to q = 0 (-8 * d)."""
    xb = _as_blocks(x, QK4_0)
    idx = np.abs(xb).argmax(axis=1)
    vmax = xb[np.arange(xb.shape[0]), idx]
    d = vmax / np.float32(-8)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, np.floor(xb * inv[:, None] + np.float32(8.5))).astype(np.uint8)
    out = np.empty((xb.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d.astype(np.float16))
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.reshape(-1)


def dequantize_q4_0(data, count):
    blocks = np.frombuffer(bytes(data), dtype=np.uint8)[:nbytes(GGML_Q4_0, count)].reshape(-1, 18)
    d = _f16_at(blocks, 0)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.float32) - np.float32(8)
    return (d[:, None] * q).reshape(-1)


# ----------------------------------------------------------------------------------------- Q4_K

def _fit_scale_min(x, w, nmax=15, candidates=np.arange(-1.0, 1.01, 0.1)):
    """Per row of x [N, 32]: (scale >= 0, offset >= 0) with x ~ scale * q - offset, q in 0..nmax.

    Tries a few grid spacings around (max - min) / nmax, assigns levels, then refits scale and
    offset by weighted least squares for those levels; keeps the fit with the least weighted error.
    The offset is kept >= 0 (the grid always reaches down to min(x, 0)), as Q4_K stores it unsigned.
    """
    lo = np.minimum(x.min(axis=1), 0).astype(np.float64)
    hi = x.max(axis=1).astype(np.float64)
    span = hi - lo
    flat = span <= 0
    span = np.where(flat, 1.0, span)
    xd, wd = x.astype(np.float64), w.astype(np.float64)

    best_scale = span / nmax
    best_lo = lo.copy()
    lv = np.clip(np.rint((xd - lo[:, None]) / best_scale[:, None]), 0, nmax)
    best_err = (wd * (best_scale[:, None] * lv + lo[:, None] - xd) ** 2).sum(axis=1)
    sw = wd.sum(axis=1)
    sx = (wd * xd).sum(axis=1)
    for c in candidates:
        iscale = (nmax + c) / span
        lv = np.clip(np.rint(iscale[:, None] * (xd - lo[:, None])), 0, nmax)
        sl = (wd * lv).sum(axis=1)
        sll = (wd * lv * lv).sum(axis=1)
        sxl = (wd * xd * lv).sum(axis=1)
        det = sw * sll - sl * sl
        ok = det > 0
        safe = np.where(ok, det, 1.0)
        scale = np.where(ok, (sw * sxl - sx * sl) / safe, 0.0)
        off = np.where(ok, (sll * sx - sl * sxl) / safe, 0.0)
        # A positive intercept cannot be stored: pin it to 0 and refit the scale alone.
        pos = off > 0
        scale = np.where(pos, np.divide(sxl, sll, out=np.zeros_like(sxl), where=sll > 0), scale)
        off = np.where(pos, 0.0, off)
        err = (wd * (scale[:, None] * lv + off[:, None] - xd) ** 2).sum(axis=1)
        better = ok & (scale >= 0) & (err < best_err)
        best_err = np.where(better, err, best_err)
        best_scale = np.where(better, scale, best_scale)
        best_lo = np.where(better, off, best_lo)
    best_scale = np.where(flat, 0.0, best_scale)
    best_lo = np.where(flat, lo, best_lo)
    return best_scale, -best_lo


def _pack_k_scales(ls, lm):
    """8 six-bit scales and mins per block [N, 8] -> [N, 12] bytes (ggml's get_scale_min_k4 layout)."""
    out = np.empty((ls.shape[0], 12), dtype=np.uint8)
    out[:, 0:4] = ls[:, 0:4] | ((ls[:, 4:8] >> 4) << 6)
    out[:, 4:8] = lm[:, 0:4] | ((lm[:, 4:8] >> 4) << 6)
    out[:, 8:12] = (ls[:, 4:8] & 15) | ((lm[:, 4:8] & 15) << 4)
    return out


def _unpack_k_scales(sc):
    """[N, 12] bytes -> (scales, mins), each [N, 8] of ints 0..63."""
    sc = sc.astype(np.int32)
    ls = np.empty((sc.shape[0], 8), dtype=np.int32)
    lm = np.empty_like(ls)
    ls[:, 0:4] = sc[:, 0:4] & 63
    lm[:, 0:4] = sc[:, 4:8] & 63
    ls[:, 4:8] = (sc[:, 8:12] & 15) | ((sc[:, 0:4] >> 6) << 4)
    lm[:, 4:8] = (sc[:, 8:12] >> 4) | ((sc[:, 4:8] >> 6) << 4)
    return ls, lm


def quantize_q4_k(x):
    xb = _as_blocks(x, QK_K)
    n = xb.shape[0]
    sub = xb.reshape(n * 8, 32)
    # Weight each value by the sub-block's RMS plus its own magnitude (larger values matter more).
    rms = np.sqrt((sub.astype(np.float64) ** 2).mean(axis=1, keepdims=True))
    scale, mn = _fit_scale_min(sub, rms + np.abs(sub))
    scale, mn = scale.reshape(n, 8), mn.reshape(n, 8)

    max_scale, max_min = scale.max(axis=1), mn.max(axis=1)
    d = (max_scale / 63).astype(np.float16)
    dmin = (max_min / 63).astype(np.float16)
    d32, dmin32 = d.astype(np.float32), dmin.astype(np.float32)
    inv_d = np.divide(1.0, d32, out=np.zeros(n), where=d32 > 0)
    inv_m = np.divide(1.0, dmin32, out=np.zeros(n), where=dmin32 > 0)
    ls = np.clip(np.rint(scale * inv_d[:, None]), 0, 63).astype(np.uint8)
    lm = np.clip(np.rint(mn * inv_m[:, None]), 0, 63).astype(np.uint8)

    # Re-pick levels against the scales as they will be decoded (f16 d times 6-bit ints, in f32).
    dq = (d32[:, None] * ls.astype(np.float32)).reshape(n, 8, 1)
    mq = (dmin32[:, None] * lm.astype(np.float32)).reshape(n, 8, 1)
    xs = xb.reshape(n, 8, 32)
    inv_dq = np.divide(np.float32(1), dq, out=np.zeros_like(dq), where=dq > 0)
    q = np.clip(np.rint((xs + mq) * inv_dq), 0, 15).astype(np.uint8).reshape(n, 4, 2, 32)

    out = np.empty((n, 144), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d)
    out[:, 2:4] = _f16_bytes(dmin)
    out[:, 4:16] = _pack_k_scales(ls, lm)
    out[:, 16:] = (q[:, :, 0, :] | (q[:, :, 1, :] << 4)).reshape(n, 128)
    return out.reshape(-1)


def dequantize_q4_k(data, count):
    blocks = np.frombuffer(bytes(data), dtype=np.uint8)[:nbytes(GGML_Q4_K, count)].reshape(-1, 144)
    n = blocks.shape[0]
    d, dmin = _f16_at(blocks, 0), _f16_at(blocks, 2)
    ls, lm = _unpack_k_scales(blocks[:, 4:16])
    dsc = d[:, None] * ls.astype(np.float32)        # [n, 8], rounded to f32
    msc = dmin[:, None] * lm.astype(np.float32)
    qs = blocks[:, 16:].reshape(n, 4, 32)
    q = np.stack([qs & 15, qs >> 4], axis=2).reshape(n, 8, 32).astype(np.float32)
    return (dsc[:, :, None] * q - msc[:, :, None]).reshape(-1)


# ------------------------------------------------------------------------------------ dispatch

def quantize(ggml_type, x):
    """float32 array -> raw little-endian bytes of that ggml type (rows along the last axis)."""
    x = np.asarray(x, dtype=np.float32)
    if ggml_type == GGML_F32:
        return np.ascontiguousarray(x, dtype="<f4").reshape(-1).view(np.uint8)
    if ggml_type == GGML_F16:
        return np.ascontiguousarray(x, dtype="<f2").reshape(-1).view(np.uint8)
    fn = {GGML_Q8_0: quantize_q8_0, GGML_Q4_0: quantize_q4_0, GGML_Q4_K: quantize_q4_k}[ggml_type]
    return fn(x)


def dequantize(ggml_type, data, count):
    """Raw bytes of `count` values of that type -> float32 array of `count` values."""
    if ggml_type == GGML_F32:
        return np.frombuffer(bytes(data), dtype="<f4", count=count).astype(np.float32)
    if ggml_type == GGML_F16:
        return np.frombuffer(bytes(data), dtype="<f2", count=count).astype(np.float32)
    fn = {GGML_Q8_0: dequantize_q8_0, GGML_Q4_0: dequantize_q4_0, GGML_Q4_K: dequantize_q4_k}[ggml_type]
    return fn(data, count)
