// Errors raised while reading model files. Loading fails in three ways a person can tell apart:
// the file or server is wrong (ModelLoad), the file is fine but uses something this engine
// cannot run (Unsupported), or the person stopped it (Cancelled). Every message says what was
// wrong, where (URL, byte offset, key or tensor) and what to do, because it is shown as is.

import { EngineError } from '../util/errors';

export type LoadErrorName = 'ModelLoad' | 'Unsupported' | 'Cancelled';

/** An Error whose `name` is one of the engine's closed set (so it crosses the worker boundary intact). */
export function loadError(name: LoadErrorName, message: string, opts: { hint?: string; cause?: unknown } = {}): EngineError {
  return new EngineError(name, message, opts);
}

/** True for the errors fetch, Blob reads and our own checks raise when an AbortSignal fires. */
export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'Cancelled');
}

export function cancelledError(what: string): EngineError {
  return loadError('Cancelled', `${what} was cancelled.`);
}

/** Throw Cancelled when the signal has fired; call between awaits of long work. */
export function checkAbort(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(what);
}
