"""A GGUF v2/v3 reader, independent of the writer's code paths: parses header, metadata and tensor
table, checks every tensor lies inside the file, and dequantizes through quants.py."""

import struct

import numpy as np

import quants
from gguf_writer import GGUF_ARRAY, GGUF_STRING, SCALAR_FORMATS


class GGUFError(ValueError):
    pass


class _Cursor:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise GGUFError(f"gguf: truncated at byte {self.pos} (wanted {n} more of {len(self.buf)})")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalar(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self):
        return self.take(self.scalar("<Q")).decode("utf-8")

    def value(self, vtype):
        if vtype == GGUF_STRING:
            return self.string()
        if vtype == GGUF_ARRAY:
            elem, count = self.scalar("<I"), self.scalar("<Q")
            if elem == GGUF_STRING:
                return [self.string() for _ in range(count)]
            if elem == GGUF_ARRAY:
                return [self.value(GGUF_ARRAY) for _ in range(count)]
            fmt = SCALAR_FORMATS[elem]
            return np.frombuffer(self.take(count * struct.calcsize(fmt)), dtype=fmt).tolist()
        if vtype not in SCALAR_FORMATS:
            raise GGUFError(f"gguf: unknown metadata value type {vtype} at byte {self.pos}")
        return self.scalar(SCALAR_FORMATS[vtype])


class GGUFFile:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        c = _Cursor(self.buf)
        if c.take(4) != b"GGUF":
            raise GGUFError(f"{path}: not a GGUF file")
        self.version = c.scalar("<I")
        if self.version not in (2, 3):
            raise GGUFError(f"{path}: GGUF version {self.version} not supported")
        n_tensors, n_kv = c.scalar("<Q"), c.scalar("<Q")
        # metadata_types[key]: the value type, or (GGUF_ARRAY, element type) for arrays.
        self.metadata, self.metadata_types = {}, {}
        for _ in range(n_kv):
            key = c.string()
            vtype = c.scalar("<I")
            if key in self.metadata:
                raise GGUFError(f"gguf: duplicate metadata key {key}")
            if vtype == GGUF_ARRAY:
                elem = struct.unpack_from("<I", self.buf, c.pos)[0]
                self.metadata_types[key] = (GGUF_ARRAY, elem)
            else:
                self.metadata_types[key] = vtype
            self.metadata[key] = c.value(vtype)
        self.tensors = {}
        for _ in range(n_tensors):
            name = c.string()
            ne = [c.scalar("<Q") for _ in range(c.scalar("<I"))]
            ggml_type, offset = c.scalar("<I"), c.scalar("<Q")
            self.tensors[name] = {"ne": ne, "type": ggml_type, "offset": offset}
        self.alignment = self.metadata.get("general.alignment", 32)
        self.data_start = c.pos + (-c.pos) % self.alignment
        for name, t in self.tensors.items():
            if t["type"] not in quants.BLOCK:
                raise GGUFError(f"gguf: {name}: ggml type {t['type']} not handled here")
            t["count"] = int(np.prod(t["ne"]))
            t["nbytes"] = quants.nbytes(t["type"], t["count"])
            t["start"] = self.data_start + t["offset"]
            if t["offset"] % self.alignment or t["start"] + t["nbytes"] > len(self.buf):
                raise GGUFError(f"gguf: {name}: offset {t['offset']} misaligned or past the end of the file")

    def raw(self, name):
        t = self.tensors[name]
        return self.buf[t["start"]:t["start"] + t["nbytes"]]

    def tensor(self, name):
        """Dequantized float32 array in row-major shape (GGUF ne reversed: [out, in])."""
        t = self.tensors[name]
        return quants.dequantize(t["type"], self.raw(name), t["count"]).reshape(list(reversed(t["ne"])))
