/**
 * Leader election with the algorithm and key layout of etcd's Go
 * `concurrency.Election` (and so of `etcdctl elect`): each candidate puts
 * `${name}/${leaseIdHex}` = its proposal on the client's shared session
 * lease; the leader is the key with the smallest create revision; a candidate
 * waits only for the delete of its immediate predecessor. Campaigns of one
 * name inside one client share the session key, so they queue locally, FIFO
 * (with mutexes of the same name, which would share the key too). Candidates
 * of longer names under the same prefix (election `${name}/x`) are not
 * candidates here (see `../kit/own-keys.ts`).
 * @module
 * @internal
 */
import type { Observable } from 'rxjs';
import { hex, toBytes } from '../bytes.js';
import { firstKeys } from '../kit/guarded-keys.js';
import { localQueueFor } from '../kit/local-queue.js';
import { isOwnKey, ownKeys, SESSION_SUFFIX, shapeOf } from '../kit/own-keys.js';
import { Registry } from '../kit/registry.js';
import { enqueueSessionKey, waitForTurn, type QueuedKey } from '../kit/session-key.js';
import { heldKeysWatch } from '../kit/shared-watch.js';
import type { Store } from '../kit/store.js';
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { WaitOptions } from '../types.js';
import type { Election, LeadOptions, Leader, Leadership } from './api.js';
import { checkSize, checkValue, NAME_COPIES } from '../validate.js';
import { lead } from './lead.js';
import { LeadershipImpl } from './leadership.js';
import { leaderStream, toLeader } from './leader-stream.js';

/**
 * The newest fencing token a term of each session key had (per session, by stored key in hex).
 * A leftover key of a term whose resign failed still has that token: it must not be reused.
 */
const issuedTokens = new Registry<Rev>();

function lastToken(queued: QueuedKey): Rev | undefined {
  return issuedTokens.table(queued.session).get(hex(queued.key));
}

function recordToken(queued: QueuedKey): void {
  issuedTokens.table(queued.session).set(hex(queued.key), queued.revision);
}

class ElectionImpl implements Election {
  readonly leader$: Observable<Leader | undefined>;

  constructor(
    private readonly store: Store,
    private readonly name: string,
    /** Where `lead` reports a failed `work` when the caller gave no `onError`. */
    private readonly reportError: (error: Error) => void,
  ) {
    this.leader$ = leaderStream(store, name);
  }

  async campaign(value: string | Bytes, opts: WaitOptions = {}): Promise<Leadership> {
    checkValue(value);
    checkWaitOptions(opts);
    const bytes = toBytes(value);
    // The key is `${name}/` + at most 16 hex digits.
    checkSize(this.store.key(`${this.name}/ffffffffffffffff`), bytes, this.store.maxRequestBytes, { key: NAME_COPIES });
    this.store.checkOpen();
    const scope = new WaitScope(opts);
    try {
      const slot = await localQueueFor(this.store, `${this.name}/`).take(scope.signal);
      // Opened before the enqueue, so it has usually started by the time the txn answers (no read to fill a gap).
      const unwatch = heldKeysWatch(this.store).retain();
      try {
        // Go reuses a leftover key of the session (its value proclaimed); but a key left by an earlier
        // term (a resign whose delete failed) carries that term's token: create it anew so tokens increase.
        let queued = await enqueueSessionKey(this.store, this.name, bytes, 'reuse');
        const last = lastToken(queued);
        if (last !== undefined && queued.revision <= last) queued = await enqueueSessionKey(this.store, this.name, bytes, 'recreate');
        await waitForTurn(this.store, this.name, queued, scope);
        recordToken(queued);
        return new LeadershipImpl({ store: this.store, session: queued.session, storedKey: queued.key, revision: queued.revision, slot });
      } catch (error) {
        slot.release();
        throw error;
      } finally {
        unwatch();
      }
    } finally {
      scope.dispose();
    }
  }

  lead(value: string | Bytes, work: (term: Leadership) => Promise<void> | void, opts?: LeadOptions): Promise<void> {
    return lead(this.store, this.reportError, this, this.name, value, work, opts);
  }

  async leader(): Promise<Leader | undefined> {
    this.store.checkOpen();
    const first = firstKeys(this.store.prefix(`${this.name}/`), 1, false);
    const res = await this.store.range(first);
    const shape = shapeOf(first, SESSION_SUFFIX);
    // The oldest key under `${name}/` may be a candidate of a longer name (`${name}/x`): look past it.
    const kv = res.kvs[0] && !isOwnKey(shape, res.kvs[0].key) ? (await ownKeys(this.store, first, shape, 1))[0] : res.kvs[0];
    return kv && toLeader(this.store, kv);
  }
}

/**
 * An election named `name`, compatible with Go's `concurrency.NewElection(s, name)` and `etcdctl elect name`.
 *
 * @example
 * ```ts
 * const election = client.election('scheduler');
 * election.leader$.subscribe((l) => console.log('leader:', l && new TextDecoder().decode(l.value)));
 * const term = await election.campaign('node-a');   // resolves when elected
 * term.signal.addEventListener('abort', () => stopWork());
 * ```
 */
export function createElection(store: Store, name: string, reportError: (error: Error) => void): Election {
  return new ElectionImpl(store, name, reportError);
}
