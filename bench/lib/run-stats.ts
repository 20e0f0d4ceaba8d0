import type { MemoryReport } from './process-memory';

/** The median of a run's figures and their spread: one run of anything on a shared VM is noise. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(runs: number[]): Spread {
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs };
}

/** The worst of several transfers' memory figures (the baseline is the first one's). */
export function worstMemory(reports: MemoryReport[]): MemoryReport | undefined {
  if (reports.length === 0) return undefined;
  return {
    ...reports[0],
    peakRssBytes: Math.max(...reports.map((r) => r.peakRssBytes)),
    peakGrowthBytes: Math.max(...reports.map((r) => r.peakGrowthBytes)),
    maxHwmRiseBytes: Math.max(...reports.map((r) => r.maxHwmRiseBytes)),
  };
}
