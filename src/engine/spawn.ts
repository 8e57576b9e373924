// The browser's engine: a module worker built by Vite from src/worker/engine.worker.ts.
import { EngineClient } from './client';
import type { EventSink } from './protocol';

export function createBrowserEngine(onEvent: EventSink): EngineClient {
  return new EngineClient({
    spawn: () => new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' }),
    onEvent,
  });
}
