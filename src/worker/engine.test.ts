// The worker engine on a real WebGPU device (Dawn on SwiftShader), reached both directly and
// through the Comlink boundary the browser uses, over a MessageChannel.
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient, type WorkerLike } from '../engine/client';
import type { EngineEvent } from '../engine/protocol';
import { installErrorTransfer } from '../engine/wire';
import { EngineError } from '../util/errors';
import { nodeGpu } from '../test/node-gpu';
import { Engine } from './engine';

const gpu = await nodeGpu('swiftshader');

describe('Engine (direct)', () => {
  it('reports WebGPUUnavailable with a hint when there is no GPU', async () => {
    const e = new Engine({ gpu: () => undefined });
    const err = await e.init(1).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).name).toBe('WebGPUUnavailable');
    expect((err as EngineError).hint).toMatch(/Chrome|Edge/);
  });

  it('says a self-test needs init first', async () => {
    const e = new Engine({ gpu: () => gpu });
    await expect(e.selfTest(1)).rejects.toMatchObject({ name: 'Internal', message: /init\(\)/ });
  });

  it('initialises, reports the device and memory, and runs a self-test with per-case events', async () => {
    const events: EngineEvent[] = [];
    const e = new Engine({ gpu: () => gpu });
    e.connect((ev) => events.push(ev));
    const info = await e.init(1);
    expect(info.adapter.isSoftware).toBe(true);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    const summary = await e.selfTest(2, { kernels: ['rmsnorm'] });
    expect(summary.total).toBeGreaterThan(0);
    expect(summary.failed).toBe(0);
    const cases = events.filter((x) => x.type === 'selftest');
    expect(cases).toHaveLength(summary.total);
    expect(cases.every((c) => c.type === 'selftest' && c.result.pass && c.result.gpuMs !== null)).toBe(true);
    expect(events.some((x) => x.type === 'metrics')).toBe(true);
    const mem = await e.memory();
    expect(mem?.live.uniforms).toBeGreaterThan(0);
    await e.dispose();
  });

  it('rejects an unknown kernel family with Unsupported', async () => {
    const e = new Engine({ gpu: () => gpu });
    await e.init(1);
    await expect(e.selfTest(2, { kernels: ['nope'] })).rejects.toMatchObject({ name: 'Unsupported' });
    await e.dispose();
  });

  it('cancels a running self-test between cases', async () => {
    const e = new Engine({ gpu: () => gpu });
    let seen = 0;
    e.connect((ev) => {
      if (ev.type === 'selftest' && ++seen === 2) e.cancel(7);
    });
    await e.init(1);
    await expect(e.selfTest(7, { kernels: ['elementwise'] })).rejects.toMatchObject({ name: 'Cancelled' });
    expect(seen).toBe(2);
    await e.dispose();
  });

  it('turns a lost device into a device-lost event and DeviceLost errors', async () => {
    const events: EngineEvent[] = [];
    const e = new Engine({ gpu: () => gpu });
    e.connect((ev) => events.push(ev));
    await e.init(1);
    // Take the device away behind the engine's back; later calls must say DeviceLost, not crash.
    const rt = (e as unknown as { rt: { device: GPUDevice } }).rt;
    rt.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await expect(e.selfTest(2, { kernels: ['rmsnorm'] })).rejects.toMatchObject({ name: 'DeviceLost' });
    // A new init recovers with a fresh device.
    const info = await e.init(3);
    expect(info.adapter.isSoftware).toBe(true);
    // Releasing the device on purpose (dispose) is not a loss: still exactly the one event.
    await e.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((x) => x.type === 'device-lost')).toHaveLength(1);
  });
});

describe('EngineClient over Comlink', () => {
  const ports: { terminate(): void }[] = [];
  afterAll(() => ports.forEach((p) => p.terminate()));

  function spawnInProcess(): WorkerLike {
    const { port1, port2 } = new MessageChannel();
    installErrorTransfer();
    Comlink.expose(new Engine({ gpu: () => gpu }), port2 as unknown as Comlink.Endpoint);
    const w = Object.assign(port1 as unknown as Comlink.Endpoint, {
      terminate: () => {
        port1.close();
        port2.close();
      },
    });
    ports.push(w);
    return w;
  }

  it('carries events through the one proxied callback and errors with name and hint', async () => {
    const events: EngineEvent[] = [];
    const client = new EngineClient({ spawn: spawnInProcess, onEvent: (e) => events.push(e) });
    const info = await client.call((api, id) => api.init(id));
    expect(info.adapter.vendor.length).toBeGreaterThan(0);
    const err = await client.call((api, id) => api.selfTest(id, { kernels: ['nope'] })).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ name: 'Unsupported', hint: expect.stringMatching(/Known families/) });
    const summary = await client.call((api, id) => api.selfTest(id, { kernels: ['softmax'] }));
    expect(summary.failed).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'selftest').length).toBe(summary.total);
    client.terminate();
  });

  it('cancels through an AbortSignal, both queued and running', async () => {
    const client = new EngineClient({ spawn: spawnInProcess, onEvent: () => {} });
    await client.call((api, id) => api.init(id));
    const ac = new AbortController();
    const running = client.call((api, id) => api.selfTest(id, { kernels: ['elementwise'] }), { signal: ac.signal });
    const queuedAc = new AbortController();
    const queued = client.call((api, id) => api.selfTest(id), { signal: queuedAc.signal, what: 'Queued test' });
    queuedAc.abort();
    setTimeout(() => ac.abort(), 30);
    await expect(running).rejects.toMatchObject({ name: 'Cancelled' });
    await expect(queued).rejects.toMatchObject({ name: 'Cancelled', message: /Queued test/ });
    client.terminate();
  });

  it('terminate settles the call in flight; restart brings a working engine back', async () => {
    const client = new EngineClient({ spawn: spawnInProcess, onEvent: () => {} });
    await client.call((api, id) => api.init(id));
    const inflight = client.call((api, id) => api.selfTest(id));
    setTimeout(() => client.restart(), 10);
    await expect(inflight).rejects.toMatchObject({ name: 'Cancelled', message: /restarted/ });
    const info = await client.call((api, id) => api.init(id));
    expect(info.features.length).toBeGreaterThan(0);
    client.terminate();
  });
});
