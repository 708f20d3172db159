/**
 * Combines repeated runs of one benchmark cell: the median of every numeric field (as the
 * baseline notes report medians of runs), except counts, where the largest value is kept so a
 * single stray watcher or stream in any run still shows.
 *
 * @example
 * ```ts
 * combineRuns([{ ms: 3, watchers: 1 }, { ms: 9, watchers: 1 }, { ms: 4, watchers: 2 }], new Set(['watchers']));
 * // { ms: 4, watchers: 2 }
 * ```
 * @module
 */

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Field-wise median (or max for `maxKeys`) of `runs`, recursing into nested objects; other fields from the first run. */
export function combineRuns<T>(runs: readonly T[], maxKeys: ReadonlySet<string>): T {
  const first = runs[0];
  if (first === undefined) throw new Error('combineRuns needs at least one run');
  if (runs.length === 1 || typeof first !== 'object' || first === null) return first;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const values = runs.map((r) => (r as Record<string, unknown>)[key]);
    const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (typeof value === 'number' || (value === null && nums.length > 0)) {
      // JSON turns NaN (e.g. a percentile of no samples) into null: such runs are left out.
      out[key] = nums.length === 0 ? Number.NaN : maxKeys.has(key) ? Math.max(...nums) : median(nums);
    } else if (typeof value === 'object' && value !== null) {
      out[key] = combineRuns(values, maxKeys);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}
