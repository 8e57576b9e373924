// The main-thread side of the engine: spawns the worker, wraps it with Comlink, runs one call at a
// time (the GPU queue is serial anyway), cancels through an AbortSignal, and can terminate and
// restart the worker. A call in flight when the worker dies rejects with Cancelled instead of
// hanging forever.
import * as Comlink from 'comlink';
import { cancelled, EngineError } from '../util/errors';
import type { EngineApi, EventSink } from './protocol';
import { installErrorTransfer } from './wire';

/** A Worker, or anything Comlink can talk to that can be terminated (tests use a MessagePort). */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

export interface EngineClientOptions {
  spawn: () => WorkerLike;
  onEvent: EventSink;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Name used in the Cancelled message ("Self-test was cancelled."). */
  what?: string;
}

interface Generation {
  worker: WorkerLike;
  api: Comlink.Remote<EngineApi>;
  /** Rejects when this worker is terminated, so pending calls settle. */
  dead: Promise<never>;
  kill: (e: EngineError) => void;
}

export class EngineClient {
  private gen: Generation | null = null;
  private nextCallId = 1;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EngineClientOptions) {
    installErrorTransfer();
  }

  get running(): boolean {
    return this.gen !== null;
  }

  private start(): Generation {
    if (this.gen) return this.gen;
    const worker = this.opts.spawn();
    const api = Comlink.wrap<EngineApi>(worker);
    let kill!: (e: EngineError) => void;
    const dead = new Promise<never>((_, reject) => (kill = reject));
    dead.catch(() => {}); // observed by whichever call races it
    const gen: Generation = { worker, api, dead, kill };
    this.gen = gen;
    void api.connect(Comlink.proxy(this.opts.onEvent));
    return gen;
  }

  /**
   * Queue a call. It starts when the previous call has settled; aborting while queued rejects at
   * once without reaching the worker, aborting while running asks the worker to stop.
   */
  call<T>(fn: (api: Comlink.Remote<EngineApi>, callId: number) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const callId = this.nextCallId++;
    const what = opts.what ?? 'The operation';
    const run = async (): Promise<T> => {
      if (opts.signal?.aborted) throw cancelled(what);
      const gen = this.start();
      const onAbort = () => void gen.api.cancel(callId);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await Promise.race([fn(gen.api, callId), gen.dead]);
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => {});
    return result;
  }

  /** Stop the worker now; a call in flight rejects with Cancelled. */
  terminate(reason = 'The engine was stopped'): void {
    const gen = this.gen;
    if (!gen) return;
    this.gen = null;
    gen.kill(new EngineError('Cancelled', `${reason}; the call in progress was abandoned.`));
    gen.api[Comlink.releaseProxy]();
    gen.worker.terminate();
  }

  /** A fresh worker (and so a fresh GPU device) on the next call. */
  restart(): void {
    this.terminate('The engine was restarted');
    this.tail = Promise.resolve();
  }
}

/** Mark buffers inside a call's argument to be transferred to the worker instead of copied. */
export function transferable<T>(value: T, buffers: Transferable[]): T {
  return Comlink.transfer(value, buffers);
}
