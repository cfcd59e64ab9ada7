/** Percentiles of timing samples. */

export interface Summary {
  count: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentile (p in 0..100) of sorted values; with fewer than 100 samples p99 is the max. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}
