// The app's stores, wired to the real engine worker.
import { createBrowserEngine } from '../engine/spawn';
import { createSessionStore } from './session';

export const useSession = createSessionStore(createBrowserEngine, { autoLoad: true });
export { useMetrics } from './metrics';
export type { EngineStatus, UiError, LogLine, SelfTestState, GenState, LoadState, FitState, ShareState } from './session';
export { EMBEDDED_MODEL_URL } from './session';
