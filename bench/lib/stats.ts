/**
 * Percentiles of latency samples (nearest-rank, as most benchmark tools report them).
 *
 * @example
 * ```ts
 * summarize([1, 2, 3, 4, 100]); // { n: 5, p50: 3, p99: 100, max: 100 }
 * ```
 * @module
 */

/** p50 / p99 / max of a set of samples, in the samples' unit. */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** The nearest-rank `p`-th percentile (0 < p <= 100) of `sorted` (ascending); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Sorts a copy of `samples` and returns its p50, p99 and max. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
