// TensorFlow.js "layers" models (model.json + binary weight shards), read into a small graph the
// playground runs on its own kernels. Supported layers are those of convolutional upscalers like
// esrgan-slim: InputLayer, Conv2D (stride 1, 'same' or 'valid', linear or relu), Activation
// (relu, linear), Concatenate and Add on channels, UpSampling2D (nearest). Anything else is
// Unsupported, by layer class and name. TF stores images NHWC and conv kernels HWIO; the graph
// here is NCHW with OIHW kernels (the layout of the playground's conv kernels).
import { loadError } from './errors';

export type LayerOp =
  | { op: 'input'; name: string; channels: number }
  | { op: 'conv'; name: string; input: string; cin: number; cout: number; k: number; pad: number; relu: boolean; weight: Float32Array; bias: Float32Array | null }
  | { op: 'relu'; name: string; input: string }
  | { op: 'concat'; name: string; inputs: string[] }
  | { op: 'add'; name: string; inputs: string[] }
  | { op: 'upsample'; name: string; input: string; scale: number };

/** The names an op reads. */
export function opInputs(op: LayerOp): string[] {
  return op.op === 'input' ? [] : op.op === 'concat' || op.op === 'add' ? op.inputs : [op.input];
}

export interface LayersGraph {
  name: string;
  /** In execution order; every op's inputs come before it. */
  ops: LayerOp[];
  input: string;
  output: string;
  /** Channels of every op's output. */
  channels: Map<string, number>;
}

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

interface ModelJson {
  format?: string;
  modelTopology?: { model_config?: { class_name?: string; config?: { name?: string; layers?: KerasLayer[]; input_layers?: unknown[][]; output_layers?: unknown[][] } } };
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[];
}

/** The shard file names, in the order their bytes concatenate. */
export function weightPaths(modelJson: unknown): string[] {
  return ((modelJson as ModelJson).weightsManifest ?? []).flatMap((g) => g.paths);
}

/**
 * Build the graph from a parsed model.json and the shards' bytes (in weightPaths order).
 * `source` names the model in messages.
 */
export function parseLayersModel(modelJson: unknown, shards: Uint8Array[], source = 'model.json'): LayersGraph {
  const bad = (msg: string) => loadError('ModelLoad', `${source}: ${msg}.`, { hint: 'Pick the model.json of a TensorFlow.js layers model, with its weight files beside it.' });
  const unsupported = (msg: string) => loadError('Unsupported', `${source}: ${msg}.`, { hint: 'The upscaler runs convolutional TF.js layers models (Conv2D, ReLU, Concatenate, Add, UpSampling2D).' });
  const m = modelJson as ModelJson;
  if (m?.format !== 'layers-model') throw unsupported(`format "${String(m?.format)}" (only "layers-model" is read)`);
  const cfg = m.modelTopology?.model_config?.config;
  const layers = cfg?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw bad('it has no layers');
  const manifest = m.weightsManifest ?? [];

  // Weights: one flat byte stream over all shards, consumed in manifest order.
  let total = 0;
  for (const s of shards) total += s.length;
  const blob = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    blob.set(s, at);
    at += s.length;
  }
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const g of manifest) {
    for (const w of g.weights) {
      if (w.dtype !== 'float32' || w.quantization) throw unsupported(`weight "${w.name}" is ${w.quantization ? 'quantized' : w.dtype} (only float32 is read)`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (off + 4 * n > blob.length) throw bad(`the weight files end inside "${w.name}" (need ${off + 4 * n} bytes, have ${blob.length})`);
      const data = new Float32Array(n);
      const dv = new DataView(blob.buffer, blob.byteOffset + off, 4 * n);
      for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true);
      weights.set(w.name, { shape: w.shape, data });
      off += 4 * n;
    }
  }

  const channels = new Map<string, number>();
  const ops: LayerOp[] = [];
  const inputsOf = (l: KerasLayer): string[] => {
    const nodes = l.inbound_nodes?.[0] ?? [];
    const names = nodes.map((n) => n[0]);
    for (const n of names) if (!channels.has(n)) throw bad(`layer "${l.name}" reads "${n}" before it is defined`);
    return names;
  };
  let input = '';
  for (const l of layers) {
    const c = l.config ?? {};
    switch (l.class_name) {
      case 'InputLayer': {
        const shape = c.batch_input_shape as (number | null)[] | undefined;
        const ch = shape?.[3];
        if (typeof ch !== 'number') throw unsupported(`input "${l.name}" has no fixed channel count`);
        if (input) throw unsupported('models with more than one input');
        input = l.name;
        channels.set(l.name, ch);
        ops.push({ op: 'input', name: l.name, channels: ch });
        break;
      }
      case 'Conv2D': {
        const [src] = inputsOf(l);
        const k = c.kernel_size as number[];
        const strides = c.strides as number[];
        const dil = (c.dilation_rate as number[] | undefined) ?? [1, 1];
        if (c.data_format !== 'channels_last') throw unsupported(`Conv2D "${l.name}" uses ${String(c.data_format)}`);
        if (k[0] !== k[1] || k[0] % 2 !== 1) throw unsupported(`Conv2D "${l.name}" has a ${k.join('x')} kernel (odd square kernels only)`);
        if (strides[0] !== 1 || strides[1] !== 1 || dil[0] !== 1 || dil[1] !== 1 || (c.groups ?? 1) !== 1) {
          throw unsupported(`Conv2D "${l.name}" has strides ${strides.join('x')}, dilation ${dil.join('x')} or groups (stride 1, no dilation, one group only)`);
        }
        if (c.activation !== 'linear' && c.activation !== 'relu') throw unsupported(`Conv2D "${l.name}" has activation ${String(c.activation)}`);
        const pad = c.padding === 'same' ? (k[0] - 1) / 2 : c.padding === 'valid' ? 0 : -1;
        if (pad < 0) throw unsupported(`Conv2D "${l.name}" has padding ${String(c.padding)}`);
        if (pad === 0 && k[0] !== 1) throw unsupported(`Conv2D "${l.name}" is a 'valid' ${k[0]}x${k[0]} convolution (it would shrink the image)`);
        const kw = weights.get(`${l.name}/kernel`);
        if (!kw) throw bad(`Conv2D "${l.name}" has no weight "${l.name}/kernel"`);
        const [kh, kww, cin, cout] = kw.shape;
        const cinSrc = channels.get(src) as number;
        if (kh !== k[0] || kww !== k[1] || cin !== cinSrc || cout !== c.filters) {
          throw bad(`Conv2D "${l.name}" kernel is [${kw.shape.join(', ')}] but the layer wants ${k[0]}x${k[1]}, ${cinSrc} -> ${String(c.filters)} channels`);
        }
        // HWIO -> OIHW
        const w = new Float32Array(cout * cin * kh * kww);
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kww; x++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < cout; o++) w[((o * cin + i) * kh + y) * kww + x] = kw.data[((y * kww + x) * cin + i) * cout + o];
        let bias: Float32Array | null = null;
        if (c.use_bias) {
          const b = weights.get(`${l.name}/bias`);
          if (!b || b.data.length !== cout) throw bad(`Conv2D "${l.name}" has no bias of ${cout} values`);
          bias = b.data;
        }
        channels.set(l.name, cout);
        ops.push({ op: 'conv', name: l.name, input: src, cin, cout, k: k[0], pad, relu: c.activation === 'relu', weight: w, bias });
        break;
      }
      case 'Activation': {
        const [src] = inputsOf(l);
        channels.set(l.name, channels.get(src) as number);
        if (c.activation === 'relu') ops.push({ op: 'relu', name: l.name, input: src });
        else if (c.activation === 'linear') ops.push({ op: 'add', name: l.name, inputs: [src] });
        else throw unsupported(`Activation "${l.name}" is ${String(c.activation)}`);
        break;
      }
      case 'Concatenate': {
        const srcs = inputsOf(l);
        if (c.axis !== 3 && c.axis !== -1) throw unsupported(`Concatenate "${l.name}" joins axis ${String(c.axis)} (channels only)`);
        channels.set(l.name, srcs.reduce((s, n) => s + (channels.get(n) as number), 0));
        ops.push({ op: 'concat', name: l.name, inputs: srcs });
        break;
      }
      case 'Add': {
        const srcs = inputsOf(l);
        const ch = channels.get(srcs[0]) as number;
        if (srcs.some((n) => channels.get(n) !== ch)) throw bad(`Add "${l.name}" joins tensors with different channel counts`);
        channels.set(l.name, ch);
        ops.push({ op: 'add', name: l.name, inputs: srcs });
        break;
      }
      case 'UpSampling2D': {
        const [src] = inputsOf(l);
        const size = c.size as number[];
        if (c.interpolation !== 'nearest' || size[0] !== size[1]) throw unsupported(`UpSampling2D "${l.name}" is ${String(c.interpolation)} ${size.join('x')} (nearest, square only)`);
        channels.set(l.name, channels.get(src) as number);
        ops.push({ op: 'upsample', name: l.name, input: src, scale: size[0] });
        break;
      }
      default:
        throw unsupported(`layer "${l.name}" is a ${l.class_name}`);
    }
  }
  const output = String(cfg?.output_layers?.[0]?.[0] ?? ops[ops.length - 1].name);
  if (!channels.has(output)) throw bad(`the output layer "${output}" is not defined`);
  return { name: cfg?.name ?? source, ops, input, output, channels };
}
