/**
 * Revoking leases that must not outlive the client's view of them: a session
 * closed or declared lost, a grant whose outcome is unknown. A revoke that
 * fails with a retryable error (etcd unreachable, reply lost) is retried in
 * the background with backoff until etcd answers — a revoke of a lease that
 * no longer exists resolves too — or the client closes. So a session the
 * client counted lost while etcd was down is revoked once etcd is back (an
 * etcd restart renews every lease for a full TTL), and its keys go at once.
 * @module
 * @internal
 */
import { Backoff } from '../backoff.js';
import { ClosedError, ConclaveError } from '../errors.js';
import type { Transport } from '../transport/index.js';

export class LeaseRevoker {
  /** Leases being revoked, with the promise of their first attempt. */
  private readonly pending = new Map<bigint, Promise<void>>();
  /** One controller per revoke in progress (not one shared signal: a burst of revokes would pass an EventTarget's listener limit). */
  private readonly running = new Set<AbortController>();
  private closed = false;

  constructor(private readonly transport: Transport) {}

  /** Leases whose revoke has not been confirmed yet. */
  get outstanding(): number {
    return this.pending.size;
  }

  /**
   * Revokes lease `id`. Resolves after the first attempt (whatever its
   * outcome); when that attempt failed with a retryable error, keeps trying
   * in the background until etcd answers or {@link close}.
   */
  revoke(id: bigint): Promise<void> {
    const existing = this.pending.get(id);
    if (existing) return existing;
    let firstDone!: () => void;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    this.pending.set(id, first);
    void this.run(id, firstDone).finally(() => {
      firstDone();
      if (this.pending.get(id) === first) this.pending.delete(id);
    });
    return first;
  }

  /** Stops every background retry (the leases left expire by their TTL). */
  close(): void {
    this.closed = true;
    for (const controller of this.running) controller.abort(new ClosedError('client closed'));
    this.running.clear();
  }

  private async run(id: bigint, firstDone: () => void): Promise<void> {
    if (this.closed) return;
    const backoff = new Backoff(100, 2000);
    const controller = new AbortController();
    const { signal } = controller;
    this.running.add(controller);
    try {
      while (!signal.aborted) {
        try {
          await this.transport.leaseRevoke(id, { signal });
          return;
        } catch (error) {
          firstDone();
          if (signal.aborted || !(error instanceof ConclaveError && error.retryable)) return;
        }
        await pause(backoff.next(), signal);
      }
    } finally {
      this.running.delete(controller);
    }
  }
}

/** Waits `ms` (or until `signal` aborts) without keeping the process alive for it. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal.addEventListener('abort', done, { once: true });
  });
}
