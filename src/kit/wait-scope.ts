/**
 * The abort scope of one wait: the caller's `signal`, an optional
 * `timeoutMs`, and any signal the wait depends on (the session's, a loop's
 * stop signal) merged into one signal, with every listener and timer removed
 * by `dispose()`. The one way the kit links signals.
 * @module
 * @internal
 */
import { InvalidArgumentError, TimeoutError, abortErrorOf } from '../errors.js';
import type { WaitOptions } from '../types.js';
import { checkSignal, MAX_TIMER_MS } from '../validate.js';
import { onAbort } from '../abort-listeners.js';

/** Checks `{ signal, timeoutMs }` before anything is sent. */
export function checkWaitOptions(opts: unknown): asserts opts is WaitOptions {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('options must be an object');
  const { signal, timeoutMs } = opts as WaitOptions;
  checkSignal(signal);
  // A timer cannot wait longer than MAX_TIMER_MS: a longer timeout would fire at once.
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMER_MS)) {
    throw new InvalidArgumentError(`timeoutMs must be a number between 0 and ${MAX_TIMER_MS}, got ${String(timeoutMs)}`);
  }
}

/**
 * One merged abort signal for a wait; `dispose()` when the wait settles.
 *
 * @example
 * ```ts
 * const scope = new WaitScope({ signal, timeoutMs: 500 });
 * try { scope.link(session.signal); await waitSomething(scope.signal); } finally { scope.dispose(); }
 * ```
 */
export class WaitScope {
  private readonly controller = new AbortController();
  private readonly unlinks: Array<() => void> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts with the first source's reason (a `TimeoutError` for the timeout). */
  readonly signal: AbortSignal = this.controller.signal;

  constructor(opts: WaitOptions = {}) {
    if (opts.signal) this.link(opts.signal);
    const ms = opts.timeoutMs;
    if (ms !== undefined && !this.signal.aborted) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.controller.abort(new TimeoutError(`timed out after ${ms} ms`));
      }, ms);
    }
  }

  /** Aborts this scope when `source` aborts. */
  link(source: AbortSignal): void {
    if (this.signal.aborted) return;
    if (source.aborted) {
      this.controller.abort(source.reason);
      return;
    }
    // (One real listener per source however many waits link it: no MaxListenersExceededWarning.)
    this.unlinks.push(onAbort(source, () => this.controller.abort(source.reason)));
  }

  /** Removes every listener and the timer. Idempotent. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const unlink of this.unlinks.splice(0)) unlink();
  }
}

/**
 * Runs a call that does not wait (e.g. `tryAcquire`) bounded by `opts`: it rejects with
 * `AbortError` / `TimeoutError` as soon as the scope ends; a result that still arrives after that is
 * handed to `discard` (e.g. the lock is released), so nothing is left behind.
 *
 * @example
 * ```ts
 * return bounded(opts, () => this.tryOnce(), (lock) => lock?.release());
 * ```
 */
export async function bounded<T>(opts: WaitOptions, op: () => Promise<T>, discard: (late: T) => Promise<unknown> | undefined): Promise<T> {
  checkWaitOptions(opts);
  const scope = new WaitScope(opts);
  try {
    if (scope.signal.aborted) throw abortErrorOf(scope.signal);
    const call = op();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortErrorOf(scope.signal));
      scope.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([call, aborted]);
    } catch (error) {
      if (scope.signal.aborted) void call.then((late) => discard(late), () => undefined)?.catch(() => undefined);
      throw error;
    } finally {
      if (onAbort) scope.signal.removeEventListener('abort', onAbort);
    }
  } finally {
    scope.dispose();
  }
}
