// Errors across the Comlink boundary keep their name, hint and detail. Comlink's own 'throw'
// handler sends only message and stack; this one sends the closed WireError shape and rebuilds an
// EngineError on the other side. Installed in the worker and on the main thread alike.
import * as Comlink from 'comlink';
import { asEngineError, EngineError, type WireError } from '../util/errors';

interface Thrown {
  value: unknown;
}

// Comlink wraps a thrown value as { value, [Symbol("Comlink.thrown")]: 0 } and does not export the
// symbol, so it is recognised by its description.
function isThrown(v: unknown): v is Thrown {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.getOwnPropertySymbols(v).some((s) => s.description === 'Comlink.thrown')
  );
}

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const handler: Comlink.TransferHandler<Thrown, WireError> = {
    canHandle: isThrown,
    serialize: ({ value }) => [asEngineError(value).toWire(), []],
    deserialize: (w) => {
      throw EngineError.fromWire(w);
    },
  };
  Comlink.transferHandlers.set('throw', handler as Comlink.TransferHandler<unknown, unknown>);
}
