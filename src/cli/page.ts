// The page `npm run cli` drives in headless Chromium: the same engine worker the app uses, exposed
// as window.playgroundCli. Tokens stream out through window.onCliToken (a Playwright binding).
import { createBrowserEngine } from '../engine/spawn';
import type { EngineEvent, GenerateRequest, GenerationResult, LoadModelOptions, ModelInfo, DeviceInfo } from '../engine/protocol';
import { asEngineError } from '../util/errors';

declare global {
  interface Window {
    playgroundCli: {
      run(args: { modelUrl: string; request: GenerateRequest; load?: LoadModelOptions }): Promise<CliResult>;
    };
    onCliToken?: (id: number, text: string, top?: [number, number][]) => void;
    onCliProgress?: (stage: string, done: number, total: number) => void;
  }
}

export type CliResult =
  | { ok: true; device: DeviceInfo; model: ModelInfo; result: GenerationResult }
  | { ok: false; error: { name: string; message: string; hint?: string; detail?: string } };

const onEvent = (e: EngineEvent) => {
  if (e.type === 'token') window.onCliToken?.(e.id, e.text, e.top);
  else if (e.type === 'progress') window.onCliProgress?.(e.stage, e.done, e.total);
};

const engine = createBrowserEngine(onEvent);

window.playgroundCli = {
  async run({ modelUrl, request, load }) {
    try {
      const device = await engine.call((api, id) => api.init(id));
      const model = await engine.call((api, id) => api.loadModel(id, { kind: 'url', url: modelUrl }, load));
      const result = await engine.call((api, id) => api.generate(id, request));
      return { ok: true, device, model, result };
    } catch (e) {
      const err = asEngineError(e);
      return { ok: false, error: { name: err.name, message: err.message, hint: err.hint, detail: err.detail } };
    }
  },
};
