// Live numbers, kept apart from the session store so gauges can update (or read transiently)
// without re-rendering the rest of the page.
import { create } from 'zustand';
import type { GenerationStats, MemorySnapshot } from '../engine/protocol';

export interface MetricsState {
  memory: MemorySnapshot | null;
  setMemory(m: MemorySnapshot): void;
  /** The last finished generation's numbers. */
  generation: GenerationStats | null;
  setGeneration(s: GenerationStats): void;
}

export const useMetrics = create<MetricsState>((set) => ({
  memory: null,
  setMemory: (memory) => set({ memory }),
  generation: null,
  setGeneration: (generation) => set({ generation }),
}));
