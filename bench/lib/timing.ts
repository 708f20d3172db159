/**
 * Small time helpers for benchmarks: a monotonic clock, a sleep, and a bound on any wait.
 *
 * @example
 * ```ts
 * const t0 = now();
 * await within(somethingSlow(), 5_000, 'something slow');
 * console.log(`${(now() - t0).toFixed(1)} ms`);
 * ```
 * @module
 */

/** Monotonic milliseconds. */
export function now(): number {
  return performance.now();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown by {@link within} when the wait exceeds its bound. */
export class BenchTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'BenchTimeoutError';
  }
}

/** `promise`, rejected with {@link BenchTimeoutError} if it has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
