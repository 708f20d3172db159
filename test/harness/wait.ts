/**
 * Bounded polling: wait on a real answer, retrying at a short interval until a deadline.
 *
 * @module
 */

import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this many milliseconds (default 20 000). */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 50). */
  intervalMs?: number;
  /** What is being waited for; used in the timeout error. */
  description?: string;
  /** Abort the wait early; `pollUntil` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Thrown by {@link pollUntil} when the deadline passes; `cause` is the last attempt's error. */
export class PollTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PollTimeoutError';
  }
}

/**
 * Call `attempt` until it returns a value other than `undefined` (or stops throwing), bounded
 * by a deadline. Each attempt gets an `AbortSignal` that fires at the deadline (or when
 * `options.signal` aborts), so a hanging attempt cannot outlive the wait.
 *
 * @returns the first non-`undefined` value returned by `attempt`.
 * @throws PollTimeoutError when the deadline passes; its `cause` is the last error seen.
 * @throws the reason of `options.signal` when it aborts.
 *
 * @example
 * ```ts
 * const leader = await pollUntil(() => cluster.leader(), { timeoutMs: 10_000, description: 'a leader' });
 * ```
 */
export async function pollUntil<T>(
  attempt: (signal: AbortSignal) => Promise<T | undefined> | T | undefined,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  const deadlineSignal = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadlineSignal, options.signal]) : deadlineSignal;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    attempts += 1;
    try {
      const value = await attempt(signal);
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    options.signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const what = options.description ?? 'condition';
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new PollTimeoutError(`timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}${last}`, {
        cause: lastError,
      });
    }
    try {
      await delay(Math.min(intervalMs, remaining), undefined, { signal });
    } catch {
      // Aborted: the checks at the top of the loop / after the next attempt decide.
    }
  }
}
