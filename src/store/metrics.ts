// Live numbers, kept apart from the session store so the gauges update many times a second
// without re-rendering the chat. Token events are folded in here in per-frame batches.
import { create } from 'zustand';
import type { BandwidthReport, GenerationStats, MemorySnapshot, TokenEvent } from '../engine/protocol';

/** Steps the rolling decode rate averages over. */
export const ROLLING_STEPS = 16;
/** Per-token latencies the sparkline keeps. */
export const SPARK_STEPS = 120;

export interface LiveRun {
  running: boolean;
  tokens: number;
  ttftMs: number | null;
  prefillTokens: number;
  prefillTokS: number | null;
  /** Decode ms per token, most recent last (at most SPARK_STEPS). */
  steps: number[];
  /** Over the last ROLLING_STEPS decode steps. */
  decodeTokS: number | null;
  /** The last profiled step's ms per kernel label. */
  kernels: Record<string, number> | null;
  kernelTiming: 'timestamp' | 'cpu' | null;
}

export const EMPTY_RUN: LiveRun = {
  running: false,
  tokens: 0,
  ttftMs: null,
  prefillTokens: 0,
  prefillTokS: null,
  steps: [],
  decodeTokS: null,
  kernels: null,
  kernelTiming: null,
};

export interface MetricsState {
  memory: MemorySnapshot | null;
  setMemory(m: MemorySnapshot): void;
  /** The last finished generation's numbers. */
  generation: GenerationStats | null;
  setGeneration(s: GenerationStats): void;
  live: LiveRun;
  startRun(): void;
  addTokens(events: readonly TokenEvent[]): void;
  endRun(): void;
  bandwidth: BandwidthReport | null;
  setBandwidth(b: BandwidthReport | null): void;
}

/** Fold token events into a run (pure, for tests). */
export function foldTokens(run: LiveRun, events: readonly TokenEvent[]): LiveRun {
  let r = run;
  for (const e of events) {
    if (e.index === 0) {
      const prefillTokens = e.prefillTokens ?? 0;
      r = { ...r, tokens: 1, ttftMs: e.ms, prefillTokens, prefillTokS: e.ms > 0 ? prefillTokens / (e.ms / 1000) : null };
    } else {
      const steps = [...r.steps, e.ms].slice(-SPARK_STEPS);
      const recent = steps.slice(-ROLLING_STEPS);
      const sum = recent.reduce((a, b) => a + b, 0);
      r = { ...r, tokens: e.index + 1, steps, decodeTokS: sum > 0 ? recent.length / (sum / 1000) : null };
    }
    if (e.kernels) r = { ...r, kernels: e.kernels, kernelTiming: e.kernelTiming ?? null };
  }
  return r;
}

export const useMetrics = create<MetricsState>((set) => ({
  memory: null,
  setMemory: (memory) => set({ memory }),
  generation: null,
  setGeneration: (generation) => set({ generation }),
  live: EMPTY_RUN,
  startRun: () => set({ live: { ...EMPTY_RUN, running: true } }),
  addTokens: (events) => set((s) => ({ live: foldTokens(s.live, events) })),
  endRun: () => set((s) => ({ live: { ...s.live, running: false } })),
  bandwidth: null,
  setBandwidth: (bandwidth) => set({ bandwidth }),
}));
