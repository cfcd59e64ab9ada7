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

/**
 * One result of the same shape from several runs: each number their mean, each flag true only if
 * true in all, anything else (a profile's path, null) as the first run has it.
 */
export function meanOfRuns<T>(runs: readonly T[]): T {
  const [first] = runs;
  if (first === undefined) throw new Error("meanOfRuns: no runs");
  if (runs.length === 1) return first;
  if (typeof first === "number") return ((runs as readonly number[]).reduce((sum, value) => sum + value, 0) / runs.length) as T;
  if (typeof first === "boolean") return (runs as readonly boolean[]).every(Boolean) as T;
  if (first === null || typeof first !== "object" || Array.isArray(first)) return first;
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(first)) merged[key] = meanOfRuns(runs.map((run) => (run as Record<string, unknown>)[key]));
  return merged as T;
}
