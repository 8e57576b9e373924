// The closed set of errors that cross the worker boundary: what survives the wire, how foreign
// errors are mapped onto the set, and cancellation.
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES, EngineError, asEngineError, cancelled, isErrorName, throwIfAborted, type WireError } from './errors';

describe('EngineError on the wire', () => {
  it('toWire/fromWire keeps name, message, hint and detail, through a structured clone', () => {
    for (const name of ERROR_NAMES) {
      const e = new EngineError(name, `${name} happened`, { hint: 'do this', detail: 'line 1\nline 2', cause: new Error('inner') });
      const wire = structuredClone(e.toWire()); // what postMessage does to it
      expect(wire).toEqual({ name, message: `${name} happened`, hint: 'do this', detail: 'line 1\nline 2' });
      const back = EngineError.fromWire(wire);
      expect(back).toBeInstanceOf(EngineError);
      expect(back).toBeInstanceOf(Error);
      expect(back.name).toBe(name);
      expect(back.message).toBe(`${name} happened`);
      expect(back.hint).toBe('do this');
      expect(back.detail).toBe('line 1\nline 2');
    }
  });

  it('leaves hint and detail undefined when absent', () => {
    const back = EngineError.fromWire(new EngineError('ModelLoad', 'bad file').toWire());
    expect(back.hint).toBeUndefined();
    expect(back.detail).toBeUndefined();
  });

  it('an unknown name from the wire becomes Internal, keeping the message', () => {
    const back = EngineError.fromWire({ name: 'Bogus', message: 'from a newer worker' } as unknown as WireError);
    expect(back.name).toBe('Internal');
    expect(back.message).toBe('from a newer worker');
  });

  it('keeps the cause on the local error (not on the wire)', () => {
    const cause = new Error('root');
    const e = new EngineError('DeviceLost', 'gone', { cause });
    expect(e.cause).toBe(cause);
    expect('cause' in e.toWire()).toBe(false);
    expect('cause' in new EngineError('DeviceLost', 'gone')).toBe(false);
  });

  it('isErrorName accepts exactly the closed set', () => {
    for (const n of ERROR_NAMES) expect(isErrorName(n)).toBe(true);
    for (const n of ['Error', 'TypeError', 'outofmemory', '', undefined, 3]) expect(isErrorName(n)).toBe(false);
  });
});

describe('asEngineError', () => {
  it('returns an EngineError unchanged', () => {
    const e = new EngineError('OutOfMemory', 'too big', { hint: 'smaller' });
    expect(asEngineError(e)).toBe(e);
  });

  it('maps an ordinary Error to Internal, keeping message and cause', () => {
    const orig = new TypeError('x is undefined');
    const e = asEngineError(orig);
    expect(e).toBeInstanceOf(EngineError);
    expect(e.name).toBe('Internal');
    expect(e.message).toBe('x is undefined');
    expect(e.cause).toBe(orig);
  });

  it('keeps a known name set by the thrower (an out-of-memory error stays OutOfMemory), and its hint', () => {
    const oom = Object.assign(new Error('GPU out of memory allocating 2 GiB'), { name: 'OutOfMemory', hint: 'unload a model' });
    const e = asEngineError(oom);
    expect(e.name).toBe('OutOfMemory');
    expect(e.message).toBe('GPU out of memory allocating 2 GiB');
    expect(e.hint).toBe('unload a model');
    // A hint that is not a string is dropped rather than passed on.
    const odd = Object.assign(new Error('m'), { name: 'DeviceLost', hint: 42 });
    expect(asEngineError(odd).hint).toBeUndefined();
    expect(asEngineError(odd).name).toBe('DeviceLost');
  });

  it('a RangeError (what createBuffer throws for an impossible size) is Internal, message kept', () => {
    const e = asEngineError(new RangeError('Buffer size too large'));
    expect(e.name).toBe('Internal');
    expect(e.message).toBe('Buffer size too large');
  });

  it('an AbortError (fetch, AbortSignal) is Cancelled', () => {
    const ctrl = new AbortController();
    ctrl.abort();
    let reason: unknown;
    try {
      ctrl.signal.throwIfAborted();
    } catch (e) {
      reason = e;
    }
    expect(asEngineError(reason).name).toBe('Cancelled');
    expect(asEngineError(new DOMException('stopped', 'AbortError')).name).toBe('Cancelled');
  });

  it('non-Error throwables become Internal with their text', () => {
    expect(asEngineError('plain string')).toMatchObject({ name: 'Internal', message: 'plain string' });
    expect(asEngineError(404)).toMatchObject({ name: 'Internal', message: '404' });
    expect(asEngineError(undefined).name).toBe('Internal');
  });
});

describe('cancellation', () => {
  it('throwIfAborted does nothing without a signal or before abort', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal, 'Generation')).not.toThrow();
  });

  it('throwIfAborted throws Cancelled naming what was cancelled', () => {
    const ctrl = new AbortController();
    ctrl.abort();
    let err: unknown;
    try {
      throwIfAborted(ctrl.signal, 'Generation');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).name).toBe('Cancelled');
    expect((err as EngineError).message).toBe('Generation was cancelled.');
    expect(() => throwIfAborted(ctrl.signal)).toThrow('The operation was cancelled.');
  });

  it('cancelled() survives the wire as Cancelled', () => {
    expect(EngineError.fromWire(cancelled('Model download').toWire())).toMatchObject({
      name: 'Cancelled',
      message: 'Model download was cancelled.',
    });
  });
});

describe('asEngineError on GPUError-like objects', () => {
  it('keeps the message of a validation error and maps out-of-memory to OutOfMemory', () => {
    class GPUValidationError {
      constructor(readonly message: string) {}
    }
    class GPUOutOfMemoryError {
      constructor(readonly message: string) {}
    }
    const v = asEngineError(new GPUValidationError('Buffer is too small'));
    expect(v.name).toBe('Internal');
    expect(v.message).toBe('GPUValidationError: Buffer is too small');
    const o = asEngineError(new GPUOutOfMemoryError('allocation failed'));
    expect(o.name).toBe('OutOfMemory');
    expect(o.message).toContain('allocation failed');
    expect(o.hint).toMatch(/smaller model/);
  });
});
