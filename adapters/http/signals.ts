/**
 * Abort plumbing for `fetch` calls: one controller per request, aborted by the
 * caller's signal, the transport's close, or a timer, each with its own reason.
 * The transport does not listen on one shared signal (that would collect one
 * listener per request in flight): it keeps the live requests in a
 * {@link Inflight} set and aborts each on close. The caller's listener is
 * removed when the request settles.
 *
 * @module
 * @internal
 */
import { ClosedError, abortErrorOf } from '../../src/errors.js';

/** The abort reason of a request whose attempt timer fired. */
export const ATTEMPT_TIMEOUT: unique symbol = Symbol('attempt timeout');

/** The requests in flight on a transport, aborted together by {@link Inflight.close}. */
export class Inflight {
  private readonly live = new Set<RequestSignal>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  add(request: RequestSignal): void {
    if (this.closed) request.abort(new ClosedError('transport is closed'));
    else this.live.add(request);
  }

  delete(request: RequestSignal): void {
    this.live.delete(request);
  }

  /** Aborts every request in flight (and every later one) with a `ClosedError`. */
  close(): void {
    this.closed = true;
    const all = [...this.live];
    this.live.clear();
    for (const r of all) r.abort(new ClosedError('transport is closed'));
  }
}

/** One request's AbortController, linked to its sources. */
export class RequestSignal {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unlinks: Array<() => void> = [];

  /**
   * @param caller aborts with `abortErrorOf(caller)`.
   * @param inflight the transport's; its close aborts with a `ClosedError`.
   * @param timeoutMs aborts with {@link ATTEMPT_TIMEOUT} (undefined: no timer).
   */
  constructor(caller: AbortSignal | undefined, inflight: Inflight, timeoutMs: number | undefined) {
    this.link(caller, (s) => abortErrorOf(s));
    inflight.add(this);
    this.unlinks.push(() => inflight.delete(this));
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(() => this.abort(ATTEMPT_TIMEOUT), Math.max(0, timeoutMs));
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the request (reason: `reason`; the first one wins). */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops the timer (a stream whose headers arrived lives on). */
  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer and unlinks the sources. Idempotent. */
  dispose(): void {
    this.clearTimer();
    for (const unlink of this.unlinks.splice(0)) unlink();
  }

  private link(source: AbortSignal | undefined, reason: (s: AbortSignal) => unknown): void {
    if (!source) return;
    if (source.aborted) {
      this.abort(reason(source));
      return;
    }
    const onAbort = (): void => this.abort(reason(source));
    source.addEventListener('abort', onAbort, { once: true });
    this.unlinks.push(() => source.removeEventListener('abort', onAbort));
  }
}

/** Waits `ms`; rejects early with `abortErrorOf(signal)` / ClosedError. */
export function sleep(ms: number, signal: AbortSignal | undefined, inflight: Inflight): Promise<void> {
  return new Promise((resolve, reject) => {
    const link = new RequestSignal(signal, inflight, undefined);
    if (link.signal.aborted) {
      reject(link.signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      link.dispose();
      resolve();
    }, ms);
    link.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        link.dispose();
        reject(link.signal.reason as Error);
      },
      { once: true },
    );
  });
}
