// What each part of the session store gets from the store that composes them.
import type { EngineClient } from '../engine/client';
import type { SessionState, UiError } from './types';
import { asEngineError } from '../util/errors';

export type SetState = (partial: Partial<SessionState> | ((s: SessionState) => Partial<SessionState>)) => void;

export interface StoreCtx {
  set: SetState;
  get: () => SessionState;
  engine: EngineClient;
  pushError(e: unknown): void;
  /** The embedded model's absolute URL (relative to the page). */
  embeddedUrl(): string;
  /** An app-served file's absolute URL (relative to the page; as given where there is no page). */
  assetUrl(path: string): string;
}

let nextErrorId = 1;

export function toUiError(e: unknown): UiError {
  const err = asEngineError(e);
  return { id: nextErrorId++, name: err.name, message: err.message, hint: err.hint, detail: err.detail };
}

/** The model the playground opens with, offline: trained here, shipped in public/models/. */
export const EMBEDDED_MODEL_URL = 'models/embedded-q8_0.gguf';
