/**
 * Retry delays: exponential with decorrelated jitter, from `cockatiel`
 * (the library etcd3 uses too) — one place, so nothing hand-rolls its own.
 *
 * @example
 * ```ts
 * const delays = new Backoff(50, 1000);
 * await sleep(delays.next()); // ~50 ms, then growing, never above 1 s
 * ```
 * @module
 * @internal
 */
// The backoff module alone: cockatiel's index loads every policy (retry, circuit breaker, bulkhead, ...),
// about 3 MB of a connected client's RSS for one class.
import type { IBackoff } from 'cockatiel/dist/backoff/Backoff.js';
import { ExponentialBackoff } from 'cockatiel/dist/backoff/ExponentialBackoff.js';
import { abortErrorOf } from './errors.js';

/** Successive retry delays in ms, starting near `initialMs`, capped at `maxMs`. */
export class Backoff {
  private readonly factory: ExponentialBackoff<unknown>;
  private current: IBackoff<unknown> | undefined;

  constructor(initialMs = 50, maxMs = 1000) {
    this.factory = new ExponentialBackoff({ initialDelay: initialMs, maxDelay: maxMs });
  }

  /** The next delay. */
  next(): number {
    this.current = this.current ? this.current.next(undefined) : this.factory.next();
    return this.current.duration;
  }

  /** Starts over from the initial delay (after a success). */
  reset(): void {
    this.current = undefined;
  }
}

/** Resolves after `ms`, or rejects with the abort error of `signal`. Leaves no timer or listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorOf(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorOf(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
