/**
 * An inbox: subscribes an Observable at once, buffers what it emits, and hands
 * the values out one at a time to `next(signal)`. Lets a wait loop consume a
 * watch without missing events that arrive while it is busy with a request.
 * One consumer at a time: `next()` must not be called again before it settles.
 * @module
 * @internal
 */
import type { Observable, Subscription } from 'rxjs';
import { ClosedError, abortErrorOf } from '../errors.js';

export class Inbox<T> implements Disposable {
  private readonly items: T[] = [];
  private failure: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly subscription: Subscription;

  constructor(source: Observable<T>) {
    this.subscription = source.subscribe({
      next: (value) => {
        this.items.push(value);
        this.notify();
      },
      error: (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.notify();
      },
      complete: () => {
        this.ended = true;
        this.notify();
      },
    });
  }

  /** The next value; rejects with the source's error, `ClosedError` when it completed, or the abort error of `signal`. */
  async next(signal?: AbortSignal): Promise<T> {
    for (;;) {
      if (this.items.length > 0) return this.items.shift()!;
      if (this.failure) throw this.failure;
      if (this.ended) throw new ClosedError();
      if (signal?.aborted) throw abortErrorOf(signal);
      await new Promise<void>((resolve) => {
        const onAbort = (): void => {
          this.wake = undefined;
          resolve();
        };
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** A value already received, if any (never waits, never throws). */
  poll(): T | undefined {
    return this.items.shift();
  }

  /** Unsubscribes from the source. Idempotent. */
  close(): void {
    this.subscription.unsubscribe();
    this.ended = true;
    this.notify();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
