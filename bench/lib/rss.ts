/**
 * Resident set size of this process, in MB (the number `ps` and the kernel OOM killer see).
 *
 * @example
 * ```ts
 * const base = rssMb();
 * // ... allocate subscribers ...
 * console.log(`+${(rssMb() - base).toFixed(1)} MB`);
 * ```
 * @module
 */

/** `process.memoryUsage().rss` in MB (1 MB = 2^20 bytes). */
export function rssMb(): number {
  return process.memoryUsage().rss / 2 ** 20;
}
