/**
 * A claimed queue item (the at-least-once mode): the item stays in the queue,
 * hidden from other consumers by a marker key on the claimant's session lease,
 * until `ack()` deletes both. If the claimant's session is lost (process died,
 * network partition past the TTL) the marker vanishes with the lease and the
 * item is served again, at its original place.
 * @module
 * @internal
 */
import { ClosedError, ConclaveError, LockLostError } from '../errors.js';
import type { TxnRequest, TxnResponse } from '../transport/index.js';
import type { QueueClaim } from './api.js';
import { Backoff, sleep } from '../backoff.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { dropMarker, type HeldClaim, type TakenItem } from './markers.js';

/** How often an ack is re-sent after a retryable failure (connection lost mid-call) before it rejects (the claim stays held). */
const MAX_ATTEMPTS = 20;

export class QueueClaimImpl<T> implements QueueClaim<T> {
  private readonly controller = new AbortController();
  private state: 'held' | 'acked' | 'released' = 'held';
  /** Whether an ack txn was sent before (its outcome may be unknown), so that a failed guard may mean "already acked". */
  private ackSent = false;
  private readonly claim: HeldClaim;
  private readonly onSessionEnd = (): void => this.end(new LockLostError(`claim on ${this.key} lost with its session; the item is served again`));
  readonly signal: AbortSignal = this.controller.signal;
  readonly key: string;

  constructor(
    private readonly store: Store,
    private readonly item: TakenItem,
    readonly value: T,
    /** Called when the item went back to the queue through this claim, with the revision of the marker's delete (if this call applied it). */
    private readonly onReturn: (revision: bigint | undefined) => void = () => {},
    /** Stored keys deleted with the item by `ack()` (the jobs mode's bookkeeping of the item). */
    private readonly ackAlso: readonly Uint8Array[] = [],
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
    const sentBefore = this.ackSent;
    this.ackSent = true;
    const { res, retried } = await this.guarded({
      compare: [{ target: 'create', result: 'equal', key: this.claim.marker, value: this.claim.markerRevision }],
      success: [op.del({ key: this.item.stored }), op.del({ key: this.claim.marker }), ...this.ackAlso.map((key) => op.del({ key }))],
      failure: [op.range({ key: this.item.stored, keysOnly: true })],
    });
    // A re-sent ack whose guard fails: the earlier attempt was applied if the item is gone (or its key holds a newer item).
    const appliedBefore = !res.succeeded && (retried || sentBefore) && rangeOf(res, 0).kvs[0]?.modRevision !== this.item.revision;
    if (!res.succeeded && !appliedBefore) {
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
    this.onReturn(await dropMarker(this.store, this.claim));
  }

  /**
   * Runs a txn guarded by the claim marker, re-sending it after a retryable
   * failure (its outcome unknown) while the claim's session lives: the guard
   * makes a repeat harmless. After {@link MAX_ATTEMPTS} the error is thrown and
   * the claim stays held (ack again, or release; a lost session frees the item).
   */
  private async guarded(request: TxnRequest): Promise<{ res: TxnResponse; retried: boolean }> {
    const backoff = new Backoff(50, 1000);
    for (let attempt = 1; ; attempt++) {
      try {
        return { res: await this.store.txn(request), retried: attempt > 1 };
      } catch (error) {
        const retry =
          error instanceof ConclaveError && error.retryable && !(error instanceof ClosedError) && this.claim.session.state === 'alive' && attempt < MAX_ATTEMPTS;
        if (!retry) throw error;
        await sleep(backoff.next());
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  private end(reason: Error): void {
    this.claim.session.signal.removeEventListener('abort', this.onSessionEnd);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
