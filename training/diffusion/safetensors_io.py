"""Minimal safetensors writer (F32 or F16) and reader (F32 only), written from the format description:

    [8 bytes: little-endian u64 N] [N bytes: JSON header] [raw little-endian tensor bytes]
    header = { "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
               "__metadata__": {"<key>": "<string value>", ...} }
offsets are relative to the first byte after the header. The header is padded with spaces so that
N is a multiple of 8 (the data then starts 8-byte aligned). Tensors are written in name order,
contiguous, C (row-major) order.
"""

import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata=None, dtype="F32"):
    """tensors: {name: array-like}; everything is stored as little-endian `dtype` (F32, or F16 as
    the `.fp16` variants of diffusers repositories)."""
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(np.asarray(tensors[name], dtype=np_dtype))
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """-> ({name: float32 ndarray}, metadata dict). Checks offsets are contiguous and in bounds."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = memoryview(buf)[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, only F32 is read here")
        b, e = info["data_offsets"]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        if e - b != 4 * count or e > len(data):
            raise ValueError(f"{path}: {name} has bad data_offsets {b}..{e} for shape {info['shape']}")
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"]).copy()
    return out, meta
