// Creating a bind group costs more than dispatching with it. A decode step records the same
// dispatches with the same buffers every token, so bind groups are cached by the identity of the
// pipeline and of each bound range.

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

let nextId = 1;
const ids = new WeakMap<object, number>();
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

export function resource(b: Binding): GPUBufferBinding {
  return 'buffer' in b ? { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } : { buffer: b };
}

export class BindGroupCache {
  private readonly cache = new Map<string, GPUBindGroup>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxEntries = 8192,
  ) {}

  get(pipeline: GPUComputePipeline, bindings: readonly Binding[], label: string): GPUBindGroup {
    const parts: (number | string)[] = [idOf(pipeline)];
    const entries: GPUBindGroupEntry[] = [];
    for (let i = 0; i < bindings.length; i++) {
      const r = resource(bindings[i]);
      parts.push(idOf(r.buffer), r.offset ?? 0, r.size ?? -1);
      entries.push({ binding: i, resource: r });
    }
    const key = parts.join(',');
    let bg = this.cache.get(key);
    if (bg) {
      this.hits++;
      return bg;
    }
    this.misses++;
    if (this.cache.size >= this.maxEntries) this.cache.clear(); // stale entries (destroyed buffers) go too
    bg = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label });
    this.cache.set(key, bg);
    return bg;
  }

  clear(): void {
    this.cache.clear();
  }
}
