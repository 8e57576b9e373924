"""A GGUF v3 writer (llama.cpp's model file format), little-endian.

File layout:
    u32 magic "GGUF" | u32 version 3 | u64 n_tensors | u64 n_kv
    n_kv x  (string key, u32 value type, value)
    n_tensors x (string name, u32 n_dims, u64 ne[n_dims] innermost first, u32 ggml type, u64 offset)
    zero padding to `general.alignment`
    tensor data; each tensor starts at data_start + offset, offsets aligned, zero padding between
Strings are u64 byte length + UTF-8 bytes (no terminator). Arrays are u32 element type, u64 count,
then the elements.

Metadata values are given as `(value_type, value)` pairs (or `(GGUF_ARRAY, (elem_type, list))`) so
nothing depends on guessing a type from a Python value; see `u32()`, `f32()`, `string()`... below.
"""

import struct

import numpy as np

import quants

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32

# gguf_type (gguf.h)
GGUF_UINT8, GGUF_INT8, GGUF_UINT16, GGUF_INT16, GGUF_UINT32, GGUF_INT32 = 0, 1, 2, 3, 4, 5
GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_INT64, GGUF_FLOAT64 = 6, 7, 8, 9, 10, 11, 12

SCALAR_FORMATS = {
    GGUF_UINT8: "<B", GGUF_INT8: "<b", GGUF_UINT16: "<H", GGUF_INT16: "<h", GGUF_UINT32: "<I",
    GGUF_INT32: "<i", GGUF_FLOAT32: "<f", GGUF_BOOL: "<?", GGUF_UINT64: "<Q", GGUF_INT64: "<q",
    GGUF_FLOAT64: "<d",
}


def u32(v):
    return (GGUF_UINT32, int(v))


def f32(v):
    return (GGUF_FLOAT32, float(v))


def boolean(v):
    return (GGUF_BOOL, bool(v))


def string(v):
    return (GGUF_STRING, str(v))


def array(elem_type, values):
    return (GGUF_ARRAY, (elem_type, list(values)))


def _string_bytes(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value_bytes(vtype, value):
    if vtype == GGUF_STRING:
        return _string_bytes(value)
    if vtype == GGUF_ARRAY:
        elem_type, items = value
        head = struct.pack("<IQ", elem_type, len(items))
        if elem_type == GGUF_STRING:
            return head + b"".join(_string_bytes(s) for s in items)
        if elem_type == GGUF_ARRAY:
            raise ValueError("gguf: nested arrays are not written")
        return head + np.asarray(items, dtype=SCALAR_FORMATS[elem_type]).tobytes()
    return struct.pack(SCALAR_FORMATS[vtype], value)


def _pad(n, align):
    return (align - n % align) % align


class GGUFWriter:
    """Collect metadata and tensors, then `write(path)` once."""

    def __init__(self, alignment=DEFAULT_ALIGNMENT):
        self.alignment = alignment
        self.kv = {"general.alignment": u32(alignment)}
        self.tensors = []  # (name, ne (innermost first), ggml type, raw bytes)

    def add(self, key, typed_value):
        assert isinstance(typed_value, tuple) and len(typed_value) == 2, f"{key}: use u32()/f32()/string()/..."
        self.kv[key] = typed_value

    def add_tensor(self, name, array_f32, ggml_type):
        """`array_f32` in row-major (numpy/torch) shape, e.g. [out, in]; GGUF lists the dims reversed,
        so ne[0] is the row length, the axis that blocks are quantized along."""
        a = np.ascontiguousarray(array_f32, dtype=np.float32)
        ne = list(reversed(a.shape))
        if ggml_type not in (quants.GGML_F32, quants.GGML_F16):
            per = quants.BLOCK[ggml_type][0]
            if ne[0] % per:
                raise ValueError(f"gguf: {name}: row length {ne[0]} is not a multiple of the "
                                 f"{quants.TYPE_NAMES[ggml_type]} block size {per}")
        raw = quants.quantize(ggml_type, a).tobytes()
        assert len(raw) == quants.nbytes(ggml_type, a.size), name
        self.add_raw_tensor(name, ne, ggml_type, raw)

    def add_raw_tensor(self, name, ne, ggml_type, raw):
        assert all(t[0] != name for t in self.tensors), f"gguf: duplicate tensor {name}"
        self.tensors.append((name, [int(n) for n in ne], ggml_type, bytes(raw)))

    def to_bytes(self):
        header = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))]
        for key, (vtype, value) in self.kv.items():
            header += [_string_bytes(key), struct.pack("<I", vtype), _value_bytes(vtype, value)]
        data, offset = [], 0
        for name, ne, ggml_type, raw in self.tensors:
            header += [_string_bytes(name), struct.pack("<I", len(ne)), struct.pack(f"<{len(ne)}Q", *ne),
                       struct.pack("<IQ", ggml_type, offset)]
            padding = _pad(len(raw), self.alignment)
            data += [raw, b"\0" * padding]
            offset += len(raw) + padding
        head = b"".join(header)
        return head + b"\0" * _pad(len(head), self.alignment) + b"".join(data)

    def write(self, path):
        blob = self.to_bytes()
        with open(path, "wb") as f:
            f.write(blob)
        return len(blob)
