// Kernel parameters live in a few big uniform buffers instead of one tiny buffer per dispatch.
// A recording writes each dispatch's parameters into a CPU mirror at aligned offsets; the whole
// used range is uploaded with one writeBuffer per chunk just before the submit. Because the same
// forward pass writes the same sequence every token, offsets repeat and bind groups can be cached.
import type { BufferPool, PooledBuffer } from './buffer-pool';

export interface UniformSlice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

const CHUNK = 64 * 1024;

export class UniformArena {
  private readonly chunks: { buf: PooledBuffer; mirror: Uint8Array; used: number }[] = [];
  private current = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly align: number,
  ) {}

  private grow(): void {
    const usage = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    const buf = this.pool.allocSync(CHUNK, usage, 'uniforms', `uniform-arena-${this.chunks.length}`);
    this.chunks.push({ buf, mirror: new Uint8Array(CHUNK), used: 0 });
  }

  /** Copy `data` into the arena; returns where it will live on the GPU. */
  push(data: ArrayBufferView): UniformSlice {
    const size = data.byteLength;
    const step = Math.ceil(size / this.align) * this.align;
    while (this.current < this.chunks.length && this.chunks[this.current].used + step > CHUNK) this.current++;
    if (this.current >= this.chunks.length) this.grow();
    const c = this.chunks[this.current];
    const offset = c.used;
    c.mirror.set(new Uint8Array(data.buffer, data.byteOffset, size), offset);
    c.used += step;
    return { buffer: c.buf.buffer, offset, size };
  }

  /** Upload what this recording wrote, then start the next recording from the top. */
  flush(queue: GPUQueue): void {
    for (const c of this.chunks) {
      if (c.used > 0) queue.writeBuffer(c.buf.buffer, 0, c.mirror, 0, c.used);
      c.used = 0;
    }
    this.current = 0;
  }

  release(): void {
    for (const c of this.chunks) this.pool.release(c.buf);
    this.chunks.length = 0;
  }
}
