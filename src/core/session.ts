/**
 * Sessions: a lease kept alive by the client's {@link LeaseHub}, plus a
 * marker key under the lease so that a revoke from anywhere is noticed at
 * once through the (shared) watch, not only at the next keep-alive.
 * Opening one is in `session-open.ts` (no lease or marker left behind when a
 * reply is lost).
 *
 * ## State machine
 * | state | event | next state / action |
 * |-------|-------|---------------------|
 * | alive | keep-alive answer TTL <= 0, deadline (TTL − margin) passed, or marker key deleted | lost: `signal` aborts with `SessionLostError`, `lost$` emits and completes (once), lease revoked (retried until etcd answers: the client no longer keeps it, so its keys must not wait for the TTL) |
 * | alive | `close()` | closed: `signal` aborts with `ClosedError`, `lost$` completes, lease revoked (first attempt awaited, then retried in the background) |
 * | lost / closed | anything | unchanged (idempotent) |
 * @module
 * @internal
 */
import { AsyncSubject, type Observable } from 'rxjs';
import { ClosedError, SessionLostError } from '../errors.js';
import type { Session } from '../types.js';
import type { KeptLease } from './lease-hub.js';

export type SessionState = 'alive' | 'lost' | 'closed';

export class SessionImpl implements Session {
  private readonly lostSubject = new AsyncSubject<void>();
  private readonly controller = new AbortController();
  private state_: SessionState = 'alive';
  private kept: KeptLease | undefined;
  private unwatchMarker: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  readonly lost$: Observable<void> = this.lostSubject.asObservable();
  readonly signal: AbortSignal = this.controller.signal;

  constructor(
    readonly lease: bigint,
    readonly ttlSeconds: number,
    /** Revokes the lease; resolves after the first attempt, never rejects (see `lease-revoker.ts`). */
    private readonly revoke: (lease: bigint) => Promise<unknown>,
    private readonly onEnd: (session: SessionImpl) => void,
  ) {}

  get state(): SessionState {
    return this.state_;
  }

  /** The lease id as Go's concurrency package prints it: lowercase hex, no padding. */
  get leaseHex(): string {
    return this.lease.toString(16);
  }

  /** @internal Wires the keep-alive and the marker watch. */
  attach(kept: KeptLease, unwatchMarker: (() => void) | undefined): void {
    this.kept = kept;
    this.unwatchMarker = unwatchMarker;
    if (this.state_ !== 'alive') this.detach();
  }

  /** @internal The lease is gone. */
  markLost(reason: string): void {
    if (this.state_ !== 'alive') return;
    this.state_ = 'lost';
    this.detach();
    this.controller.abort(new SessionLostError(`session lease ${this.leaseHex} lost: ${reason}`));
    this.lostSubject.next();
    this.lostSubject.complete();
    this.onEnd(this);
    // Counted lost (maybe before etcd's expiry, or while etcd was down and renewed it): make it so.
    void this.revoke(this.lease).catch(() => undefined);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state_ !== 'alive') return (this.closing = Promise.resolve());
    this.state_ = 'closed';
    this.detach();
    this.controller.abort(new ClosedError('session closed'));
    this.lostSubject.complete();
    this.onEnd(this);
    this.closing = this.revoke(this.lease).then(
      () => undefined,
      () => undefined, // (the revoker retries in the background)
    );
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private detach(): void {
    this.kept?.release();
    this.kept = undefined;
    const unwatch = this.unwatchMarker;
    this.unwatchMarker = undefined;
    unwatch?.();
  }
}
