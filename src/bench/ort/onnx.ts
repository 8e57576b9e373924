// A minimal ONNX writer: enough protobuf to build one-node (or few-node) graphs in the bench, so
// ORT-Web runs the very weights our kernels run without a Python export step.
//
// Field numbers follow onnx/onnx.proto (proto2): ModelProto{ir_version 1, producer_name 2, graph 7,
// opset_import 8}, OperatorSetIdProto{domain 1, version 2}, GraphProto{node 1, name 2, initializer 5,
// input 11, output 12}, NodeProto{input 1, output 2, name 3, op_type 4, attribute 5, domain 7},
// AttributeProto{name 1, f 2, i 3, s 4, floats 7, ints 8, type 20}, TensorProto{dims 1, data_type 2,
// name 8, raw_data 9}, ValueInfoProto{name 1, type 2}, TypeProto{tensor_type 1}, TypeProto.Tensor
// {elem_type 1, shape 2}, TensorShapeProto{dim 1}, Dimension{dim_value 1, dim_param 2}.
// Repeated scalars are written unpacked (proto2's default); every parser accepts that.

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type Attr = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

export interface TensorInit {
  name: string;
  dataType: DataTypeId;
  dims: readonly number[];
  /** Little-endian element bytes, row-major (what raw_data holds). */
  raw: ArrayBufferView;
}

export interface ValueInfo {
  name: string;
  dataType: DataTypeId;
  /** A number is a fixed size, a string a symbolic one. */
  dims: readonly (number | string)[];
}

export interface NodeInit {
  op: string;
  /** '' (the default ONNX domain) or e.g. 'com.microsoft'. */
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attrs?: Record<string, Attr>;
}

export interface GraphInit {
  name: string;
  nodes: readonly NodeInit[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly TensorInit[];
}

export interface ModelInit {
  graph: GraphInit;
  /** e.g. [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }] */
  opsets: readonly { domain: string; version: number }[];
  /** Default 8 (ONNX 1.10+, opset <= 17 readers and newer). */
  irVersion?: number;
  producer?: string;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
const utf8 = new TextEncoder();

/**
 * Protobuf output as a list of chunks: nested messages are encoded into their own writer and
 * spliced in by reference, so a 100 MB raw_data is copied once, at the final join.
 */
class Writer {
  private parts: Uint8Array[] = [];
  private head: number[] = [];
  length = 0;

  private flushHead(): void {
    if (this.head.length) {
      this.parts.push(Uint8Array.from(this.head));
      this.head = [];
    }
  }

  varint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`onnx: varint out of range (${v})`);
    // Negative int32/int64 values are 10-byte two's complement varints.
    let n = v < 0 ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) byte |= 0x80;
      this.head.push(byte);
      this.length++;
    } while (n > 0n);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.head.push(x);
    this.length += 4;
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.byteLength);
    this.flushHead();
    this.parts.push(data);
    this.length += data.byteLength;
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8.encode(s));
  }

  message(field: number, fill: (w: Writer) => void): void {
    const child = new Writer();
    fill(child);
    child.flushHead();
    this.tag(field, WIRE_LEN);
    this.varint(child.length);
    this.flushHead();
    this.parts.push(...child.parts);
    this.length += child.length;
  }

  finish(): Uint8Array {
    this.flushHead();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
}

const viewBytes = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

function writeTensor(w: Writer, t: TensorInit): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, viewBytes(t.raw));
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.dataType);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function writeAttr(w: Writer, name: string, a: Attr): void {
  w.string(1, name);
  if ('i' in a) {
    w.int(3, a.i);
    w.int(20, AttrType.INT);
  } else if ('f' in a) {
    w.float(2, a.f);
    w.int(20, AttrType.FLOAT);
  } else if ('s' in a) {
    w.string(4, a.s);
    w.int(20, AttrType.STRING);
  } else if ('ints' in a) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, AttrType.INTS);
  } else {
    for (const v of a.floats) w.float(7, v);
    w.int(20, AttrType.FLOATS);
  }
}

function writeNode(w: Writer, n: NodeInit): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, a] of Object.entries(n.attrs ?? {})) w.message(5, (aw) => writeAttr(aw, k, a));
  if (n.domain) w.string(7, n.domain);
}

/** Serialise a ModelProto. */
export function encodeModel(m: ModelInit): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion ?? 8);
  w.string(2, m.producer ?? 'webgpu-playground bench');
  w.message(7, (g) => {
    for (const n of m.graph.nodes) g.message(1, (nw) => writeNode(nw, n));
    g.string(2, m.graph.name);
    for (const t of m.graph.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of m.graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  for (const o of m.opsets) {
    w.message(8, (ow) => {
      if (o.domain) ow.string(1, o.domain);
      ow.int(2, o.version);
    });
  }
  return w.finish();
}

/** A one-node model: the common case in the bench. */
export function singleNodeModel(node: NodeInit, io: { inputs: ValueInfo[]; outputs: ValueInfo[]; initializers?: TensorInit[] }): Uint8Array {
  return encodeModel({
    graph: { name: node.name ?? node.op, nodes: [node], ...io },
    opsets: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
  });
}
