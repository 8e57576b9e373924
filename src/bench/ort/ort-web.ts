// ONNX Runtime Web's two WebGPU paths, loaded in the page from the runner's /ort/ route exactly as
// the package exports them to a bundler: `onnxruntime-web` (browser import: ort.bundle.min.mjs, the
// JSEP build whose WebGPU kernels are TypeScript) and `onnxruntime-web/webgpu`
// (ort.webgpu.bundle.min.mjs, the native C++ WebGPU EP built into the asyncify wasm). Each bundle
// carries its own copy of onnxruntime-common, so each has its own `env` and its own GPUDevice; the
// two coexist in one page.
//
// A case runs with its float inputs already on ORT's device and its outputs bound to buffers there
// (io binding), so a timed run is what our side's is: the op's GPU work, a submit, and a 16-byte
// readback, with no host upload or full download inside the clock.
import type * as Ort from 'onnxruntime-web';

export type PeerName = 'jsep' | 'native';
export type OrtModule = typeof Ort;

export const PEERS: Record<PeerName, { url: string; label: string; importName: string }> = {
  jsep: { url: '/ort/ort.bundle.min.mjs', label: 'ORT JSEP', importName: "import 'onnxruntime-web'" },
  native: { url: '/ort/ort.webgpu.bundle.min.mjs', label: 'ORT native', importName: "import 'onnxruntime-web/webgpu'" },
};

export interface OrtPeer {
  name: PeerName;
  label: string;
  ort: OrtModule;
  version: string;
}

export async function loadPeer(name: PeerName): Promise<OrtPeer> {
  const p = PEERS[name];
  const ort = (await import(/* @vite-ignore */ p.url)) as OrtModule;
  ort.env.wasm.wasmPaths = '/ort/';
  // WebGPU kernels need no wasm threads; one thread leaves both cores to SwiftShader, as our side has.
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'warning';
  return { name, label: p.label, ort, version: ort.env.versions?.web ?? '?' };
}

export interface OrtInput {
  name: string;
  dataType: 'float32' | 'int32';
  dims: readonly number[];
  data: Float32Array | Int32Array;
  /** 'gpu' (default for float32): uploaded once to ORT's device. 'cpu': passed from the host each run
   *  (for the small int32 shape inputs ORT's kernels read on the CPU anyway). */
  location?: 'gpu' | 'cpu';
}

/** An output to fetch, bound to a buffer on ORT's device. Graph outputs not listed are still
 *  computed (into buffers ORT allocates) but not returned. */
export interface OrtOutput {
  name: string;
  dims: readonly number[];
}

const STORAGE = 0x80; // GPUBufferUsage.STORAGE, spelled out so this file has no GPU globals at import
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

/** One model on one ORT peer, with its inputs resident on ORT's GPU device. */
export class OrtCase {
  private readonly buffers: GPUBuffer[] = [];
  private constructor(
    readonly peer: OrtPeer,
    private readonly session: Ort.InferenceSession,
    private readonly device: GPUDevice,
    private readonly feeds: Record<string, Ort.Tensor>,
    private readonly fetches: Record<string, Ort.Tensor>,
    private readonly outBuffers: Record<string, { buffer: GPUBuffer; bytes: number }>,
    private readonly probe: GPUBuffer,
    private readonly first: string,
  ) {}

  static async create(peer: OrtPeer, model: Uint8Array, inputs: readonly OrtInput[], outputs: readonly OrtOutput[]): Promise<OrtCase> {
    const { ort } = peer;
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      preferredOutputLocation: 'gpu-buffer',
      // A node the WebGPU EP cannot take would otherwise run on the wasm CPU EP unannounced (and be
      // timed as if it were GPU work): refuse the session instead, with ORT's reason.
      extra: { session: { disable_cpu_ep_fallback: '1' } },
    });
    const device = (await ort.env.webgpu.device) as GPUDevice;
    const owned: GPUBuffer[] = [];
    const gpuBuffer = (bytes: number, label: string) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE | COPY_SRC | COPY_DST, label });
      owned.push(b);
      return b;
    };
    const feeds: Record<string, Ort.Tensor> = {};
    for (const i of inputs) {
      if ((i.location ?? (i.dataType === 'float32' ? 'gpu' : 'cpu')) === 'cpu') {
        feeds[i.name] = new ort.Tensor(i.dataType, i.data, i.dims);
        continue;
      }
      const b = gpuBuffer(i.data.byteLength, `bench.${i.name}`);
      device.queue.writeBuffer(b, 0, i.data.buffer, i.data.byteOffset, i.data.byteLength);
      feeds[i.name] = ort.Tensor.fromGpuBuffer(b, { dataType: i.dataType, dims: i.dims });
    }
    const fetches: Record<string, Ort.Tensor> = {};
    const outBuffers: Record<string, { buffer: GPUBuffer; bytes: number }> = {};
    for (const o of outputs) {
      const bytes = o.dims.reduce((a, b) => a * b, 1) * 4;
      const b = gpuBuffer(bytes, `bench.${o.name}`);
      outBuffers[o.name] = { buffer: b, bytes };
      fetches[o.name] = ort.Tensor.fromGpuBuffer(b, { dataType: 'float32', dims: o.dims });
    }
    const probe = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST, label: 'bench.probe' });
    owned.push(probe);
    const c = new OrtCase(peer, session, device, feeds, fetches, outBuffers, probe, outputs[0].name);
    c.buffers.push(...owned);
    return c;
  }

  /** Run once and read every output back in full (for the correctness check, not timed). */
  async runFull(): Promise<Record<string, Float32Array>> {
    await this.session.run(this.feeds, this.fetches);
    const out: Record<string, Float32Array> = {};
    for (const [name, { buffer, bytes }] of Object.entries(this.outBuffers)) {
      const staging = this.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: MAP_READ | COPY_DST });
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, 0, staging, 0, staging.size);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(1);
      out[name] = new Float32Array(staging.getMappedRange().slice(0, bytes));
      staging.unmap();
      staging.destroy();
    }
    return out;
  }

  /** The timed unit: session.run (ORT records and submits the op) + a 16-byte readback of the
   *  first output, which waits for the GPU to finish. */
  async runTiny(): Promise<void> {
    await this.session.run(this.feeds, this.fetches);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.outBuffers[this.first].buffer, 0, this.probe, 0, 16);
    this.device.queue.submit([enc.finish()]);
    await this.probe.mapAsync(1);
    this.probe.unmap();
  }

  async release(): Promise<void> {
    await this.session.release();
    for (const b of this.buffers) b.destroy();
  }
}

/** An Error's message, or the thrown value as text (ORT throws strings in places). */
export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}
