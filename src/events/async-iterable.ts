/**
 * Async iterators over Observables, for code that reads better as a
 * `for await` loop than as a subscription.
 * @module
 */
import type { Observable, Subscription } from 'rxjs';
import { abortErrorOf } from '../errors.js';
import { onAbort } from '../abort-listeners.js';
import { checkSignal } from '../validate.js';

/**
 * Options of {@link toAsyncIterable} and of the iterator helpers built on it.
 *
 * @example
 * ```ts
 * for await (const e of client.watchIterator('config/', { prefix: true, signal: AbortSignal.timeout(30_000) })) {
 *   console.log(e.key);
 * }
 * ```
 */
export interface IterateOptions {
  /** Ends the iteration: a pending or later `next()` rejects with `AbortError` (or `TimeoutError` for `AbortSignal.timeout`). */
  signal?: AbortSignal;
}

/**
 * An async iterator over an Observable's values. Leaving a `for await` loop
 * (`break`, `return`, a throw) calls `return()`, which unsubscribes; so does
 * `await using`.
 *
 * @example
 * ```ts
 * await using events = client.watchIterator('config/', { prefix: true });
 * const first = await events.next(); // { value: WatchEvent, done: false }
 * ```
 */
export interface AsyncValueIterator<T> extends AsyncIterableIterator<T>, AsyncDisposable {
  /** Unsubscribes and drops buffered values. Idempotent. */
  return(): Promise<IteratorResult<T, undefined>>;
}

/**
 * Iterates over `source`'s values with `for await`. It subscribes at once
 * (so nothing emitted after this call is missed) and buffers values until
 * they are read; the buffer is unbounded, so keep reading or stop the loop.
 * The Observable's error is thrown by `next()` once the values before it were
 * read; its completion ends the loop. `break` (or `return()`, or `signal`)
 * unsubscribes.
 *
 * @example
 * ```ts
 * import { toAsyncIterable } from 'conclave';
 *
 * for await (const leader of toAsyncIterable(client.election('scheduler').leader$, { signal: AbortSignal.timeout(60_000) })) {
 *   console.log('leader is now', leader?.key ?? 'nobody');
 *   if (leader) break; // unsubscribes
 * }
 * ```
 */
export function toAsyncIterable<T>(source: Observable<T>, options: IterateOptions = {}): AsyncValueIterator<T> {
  checkSignal(options.signal);
  return new ObservableIterator(source, options.signal);
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

const DONE = Object.freeze({ value: undefined, done: true as const });

class ObservableIterator<T> implements AsyncValueIterator<T> {
  private buffer: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  /** Set once the iteration is over; `error` is thrown by the next `next()` after the buffer drains. */
  private end: { error?: unknown } | undefined;
  private subscription: Subscription | undefined;
  /** Removes the abort callback from the caller's signal. */
  private readonly offAbort: (() => void) | undefined;

  constructor(
    source: Observable<T>,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) {
      this.end = { error: abortErrorOf(signal) };
      return;
    }
    if (signal) {
      this.offAbort = onAbort(signal, () => this.finish({ error: abortErrorOf(signal) }, true));
    }
    const subscription = source.subscribe({
      next: (value) => this.push(value),
      error: (error: unknown) => this.finish({ error }, false),
      complete: () => this.finish({}, false),
    });
    if (this.end) subscription.unsubscribe();
    else this.subscription = subscription;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.head < this.buffer.length) return Promise.resolve({ value: this.shift(), done: false });
    const end = this.end;
    if (end) {
      if ('error' in end) {
        const error = end.error;
        this.end = {};
        return Promise.reject(error);
      }
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.finish({}, true);
    this.end = {};
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  private push(value: T): void {
    if (this.end) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else this.buffer.push(value);
  }

  private shift(): T {
    const value = this.buffer[this.head] as T;
    this.head++;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  /** Ends the iteration: unsubscribes, stops listening to the signal, settles waiting `next()`s. */
  private finish(end: { error?: unknown }, dropBuffer: boolean): void {
    if (this.end) return;
    this.end = end;
    const subscription = this.subscription;
    this.subscription = undefined;
    subscription?.unsubscribe();
    this.offAbort?.();
    if (dropBuffer) {
      this.buffer = [];
      this.head = 0;
    }
    // Waiters exist only while the buffer is empty: the first gets the error (if any), the rest are done.
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) {
      const current = this.end;
      if ('error' in current) {
        this.end = {};
        waiter.reject(current.error);
      } else {
        waiter.resolve(DONE);
      }
    }
  }
}
