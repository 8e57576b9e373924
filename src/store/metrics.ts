// Live numbers, kept apart from the session store so gauges can update (or read transiently)
// without re-rendering the rest of the page.
import { create } from 'zustand';
import type { MemorySnapshot } from '../engine/protocol';

export interface MetricsState {
  memory: MemorySnapshot | null;
  setMemory(m: MemorySnapshot): void;
}

export const useMetrics = create<MetricsState>((set) => ({
  memory: null,
  setMemory: (memory) => set({ memory }),
}));
