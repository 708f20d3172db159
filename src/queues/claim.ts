/**
 * A claimed queue item (the at-least-once mode): the item stays in the queue,
 * hidden from other consumers by a marker key on the claimant's session lease,
 * until `ack()` deletes both. If the claimant's session is lost (process died,
 * network partition past the TTL) the marker vanishes with the lease and the
 * item is served again, at its original place.
 * @module
 * @internal
 */
import { LockLostError } from '../errors.js';
import type { QueueClaim } from '../types.js';
import { op, type Store } from '../recipes/store.js';
import type { HeldClaim, TakenItem } from './dispatcher.js';

export class QueueClaimImpl<T> implements QueueClaim<T> {
  private readonly controller = new AbortController();
  private state: 'held' | 'acked' | 'released' = 'held';
  private readonly claim: HeldClaim;
  private readonly onSessionEnd = (): void => this.end(new LockLostError(`claim on ${this.key} lost with its session; the item is served again`));
  readonly signal: AbortSignal = this.controller.signal;
  readonly key: string;

  constructor(
    private readonly store: Store,
    private readonly item: TakenItem,
    readonly value: T,
    /** Called when the item goes back to the queue through this claim. */
    private readonly onReturn: () => void = () => {},
  ) {
    this.key = item.key;
    this.claim = item.claim!;
    const sessionSignal = this.claim.session.signal;
    if (sessionSignal.aborted) this.onSessionEnd();
    else sessionSignal.addEventListener('abort', this.onSessionEnd, { once: true });
  }

  async ack(): Promise<void> {
    if (this.state === 'acked') return;
    if (this.state === 'released') throw new LockLostError(`claim on ${this.key} was released; the item is back in the queue`);
    if (this.signal.aborted) throw this.signal.reason as Error;
    const res = await this.store.txn({
      compare: [{ target: 'create', result: 'equal', key: this.claim.marker, value: this.claim.markerRevision }],
      success: [op.del({ key: this.item.stored }), op.del({ key: this.claim.marker })],
      failure: [],
    });
    if (!res.succeeded) {
      const lost = new LockLostError(`claim on ${this.key} was lost before ack; the item may be served again`);
      this.end(lost);
      throw lost;
    }
    this.state = 'acked';
    this.end(new LockLostError('claim acknowledged'));
  }

  async release(): Promise<void> {
    if (this.state !== 'held') return;
    this.state = 'released';
    const lost = this.signal.aborted;
    this.end(new LockLostError('claim released'));
    if (lost) return;
    this.onReturn();
    await this.store.txn({
      compare: [{ target: 'create', result: 'equal', key: this.claim.marker, value: this.claim.markerRevision }],
      success: [op.del({ key: this.claim.marker })],
      failure: [],
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  private end(reason: Error): void {
    this.claim.session.signal.removeEventListener('abort', this.onSessionEnd);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
