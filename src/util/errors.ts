// The closed set of errors that cross the worker boundary. Every failure a person can hit
// maps to one of these names, with a message that says what went wrong and what to do.

export const ERROR_NAMES = [
  'WebGPUUnavailable',
  'DeviceLost',
  'OutOfMemory',
  'ShaderCompile',
  'ModelLoad',
  'Unsupported',
  'Cancelled',
  'Internal',
] as const;

export type ErrorName = (typeof ERROR_NAMES)[number];

export interface WireError {
  name: ErrorName;
  message: string;
  /** One line on what the person can do about it. */
  hint?: string;
  /** Extra facts for the log (variant key, compiler messages, byte counts...). */
  detail?: string;
}

export class EngineError extends Error {
  override readonly name: ErrorName;
  readonly hint?: string;
  readonly detail?: string;

  constructor(name: ErrorName, message: string, opts: { hint?: string; detail?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = name;
    this.hint = opts.hint;
    this.detail = opts.detail;
  }

  toWire(): WireError {
    return { name: this.name, message: this.message, hint: this.hint, detail: this.detail };
  }

  static fromWire(w: WireError): EngineError {
    return new EngineError(isErrorName(w.name) ? w.name : 'Internal', w.message, { hint: w.hint, detail: w.detail });
  }
}

export function isErrorName(name: unknown): name is ErrorName {
  return typeof name === 'string' && (ERROR_NAMES as readonly string[]).includes(name);
}

/** Turn anything thrown into an EngineError, keeping a known name if the thrower used one. */
export function asEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof Error) {
    const name = isErrorName(e.name) ? e.name : e.name === 'AbortError' ? 'Cancelled' : 'Internal';
    const hint = (e as { hint?: unknown }).hint;
    return new EngineError(name, e.message, { hint: typeof hint === 'string' ? hint : undefined, cause: e });
  }
  // GPUError objects (from popErrorScope or uncapturederror) are not Error subclasses.
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    const ctor = (e as { constructor?: { name?: string } }).constructor?.name ?? '';
    const message = (e as { message: string }).message;
    if (ctor === 'GPUOutOfMemoryError') {
      return new EngineError('OutOfMemory', `The GPU ran out of memory: ${message}`, {
        hint: 'Close other GPU-heavy tabs, or pick a smaller model or shorter context.',
      });
    }
    return new EngineError('Internal', ctor ? `${ctor}: ${message}` : message);
  }
  return new EngineError('Internal', String(e));
}

export function cancelled(what = 'The operation'): EngineError {
  return new EngineError('Cancelled', `${what} was cancelled.`);
}

/** Throw Cancelled if the signal has fired; call between steps of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw cancelled(what);
}
