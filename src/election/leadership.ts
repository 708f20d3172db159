/**
 * A won election term: the leader key `${name}/${leaseIdHex}` held on the
 * session lease, with Go's guarded `Proclaim` and `Resign`.
 * @module
 * @internal
 */
import { toBytes } from '../bytes.js';
import { LockLostError } from '../errors.js';
import { HeldLock, type HeldLockInit } from '../kit/held-lock.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { Leadership } from './api.js';
import { checkSize, checkValue } from '../validate.js';

/**
 * A leadership: a {@link HeldLock} whose key carries the leader's value.
 * `lost$` / `signal` behave as for locks (lost when the session or the key is
 * gone; `resign()` and `client.close()` end it without emitting).
 *
 * @example
 * ```ts
 * const term = await election.campaign('node-a');
 * await term.proclaim('node-a (draining)');
 * await term.resign();
 * ```
 */
export class LeadershipImpl extends HeldLock implements Leadership {
  constructor(init: HeldLockInit) {
    super({ ...init, what: 'leadership' });
  }

  /** The create revision of the leader key: the term's fencing token. */
  get revision(): Rev {
    return this.fencingToken;
  }

  /**
   * Go's `Proclaim`: puts the new value on the leader key in a txn guarded by
   * the term's create revision. Rejects with `LockLostError` (code
   * `NOT_LEADER`) when this term is over (resigned, lost, or taken over).
   */
  async proclaim(value: string | Bytes): Promise<void> {
    checkValue(value);
    const bytes = toBytes(value);
    checkSize(this.storedKey, bytes, this.store.maxRequestBytes);
    await this.fenced({ put: { key: this.storedKey, value: bytes, lease: this.session.lease } });
  }

  /** Go's `Resign`: deletes the leader key (guarded), so the next candidate is elected at once. Idempotent. */
  resign(): Promise<void> {
    return this.release();
  }

  protected override notHeldError(): LockLostError {
    const cause: unknown = this.signal.aborted ? this.signal.reason : undefined;
    return new LockLostError(`election: not leader (${this.state === 'held' ? 'lost' : this.state})`, { code: 'NOT_LEADER', cause });
  }
}
