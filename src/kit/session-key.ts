/**
 * Session keys: the `${name}/${leaseIdHex}` keys of Go's `concurrency.Mutex`
 * and `concurrency.Election`, one per name and session lease, queued in etcd
 * by create revision.
 * @module
 * @internal
 */
import { equals } from '../bytes.js';
import type { SessionImpl } from '../core/session.js';
import { abortErrorOf, LockLostError } from '../errors.js';
import type { Bytes, Rev } from '../transport/index.js';
import { deleteGuardedWithRetry, firstKeys, heldCompare } from './guarded-keys.js';
import { isLeaseGone, onLiveSession } from './live-session.js';
import { isOwnKey, ownKeys, SESSION_SUFFIX, shapeOf } from './own-keys.js';
import { rangeKvs, type Store } from './store.js';
import { LOCK_LINGER_MS, sharedWatch, type SharedWatch } from './shared-watch.js';
import { knownOlder, OLDER_READ_EXTRA, waitForPredecessors, type KnownOlder } from './wait-for-predecessor.js';
import type { WaitScope } from './wait-scope.js';

/** A session key `${name}/${leaseIdHex}` taken in etcd's queue for `name`. */
export interface QueuedKey {
  session: SessionImpl;
  key: Bytes;
  revision: Rev;
  /** The key was the oldest under the name: held at once. */
  owner: boolean;
  /** Every older key, when the enqueue read them all (the waiter then reads nothing more). */
  known?: KnownOlder | undefined;
}

/** The client's shared watch of the name `${name}/`, for its waiters. */
export function nameWatch(store: Store, name: string): SharedWatch {
  return sharedWatch(store, store.prefix(`${name}/`), LOCK_LINGER_MS);
}

/**
 * Go's `Mutex.tryAcquire` / `Election.Campaign` first step: one txn creates
 * `${name}/${leaseHex}` with `value` (if absent) and reads the oldest key under
 * `${name}/`. The caller holds the local slot, so a key of this lease that
 * already exists cannot belong to a live local holder: it is a leftover of a
 * failed release. With `existing: 'recreate'` (mutex) it is deleted (guarded)
 * and created anew, so every acquisition gets a fresh fencing token; with
 * `'reuse'` (election, as Go does) it is kept and `value` proclaimed on it.
 */
export function enqueueSessionKey(
  store: Store,
  name: string,
  value: Bytes,
  existing: 'recreate' | 'reuse',
): Promise<QueuedKey> {
  return onLiveSession(store, (session) => enqueueOn(store, session, name, value, existing));
}

async function enqueueOn(
  store: Store,
  session: SessionImpl,
  name: string,
  value: Bytes,
  existing: 'recreate' | 'reuse',
): Promise<QueuedKey> {
  const key = store.key(`${name}/${session.leaseHex}`);
  // The oldest keys (not only the owner): a waiter then knows every key ahead of it without another read.
  const limit = 1 + OLDER_READ_EXTRA;
  const owners = firstKeys(store.prefix(`${name}/`), limit);
  const shape = shapeOf(owners, SESSION_SUFFIX);
  const alive = (): boolean => session.state === 'alive' && !store.closed;
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await store.txn({
        compare: [{ target: 'create', result: 'equal', key, value: 0n }],
        success: [{ put: { key, value, lease: session.lease } }, { range: owners }],
        failure: [{ range: { key } }, { range: owners }],
      });
    } catch (error) {
      // The put may have been applied: remove the key of this lease (only the slot holder uses it) before giving up.
      if (!isLeaseGone(error)) await deleteGuardedWithRetry(store, key, { lease: session.lease }, alive).catch(() => undefined);
      throw error;
    }
    const stale = res.succeeded ? undefined : rangeKvs(res.responses, 0)[0];
    const revision = stale ? stale.createRevision : res.header.revision;
    let owner = rangeKvs(res.responses, 1)[0];
    // The oldest key under `${name}/` may belong to a longer name (`${name}/x/...`): look past it.
    if (owner && !isOwnKey(shape, owner.key)) {
      try {
        owner = (await ownKeys(store, owners, shape, 1))[0];
      } catch (error) {
        await deleteGuardedWithRetry(store, key, { revision }, alive).catch(() => undefined);
        throw error;
      }
    }
    const known = knownOlder(shape, rangeKvs(res.responses, 1), limit, revision, res.header.revision);
    const queued = { session, key, revision, owner: !owner || owner.createRevision === revision, known };
    if (res.succeeded) return queued;
    if (attempt >= 2) throw new LockLostError(`cannot create ${name}/${session.leaseHex}: the key keeps changing`);
    if (!stale) continue; // deleted in between: create it now
    if (existing === 'reuse') {
      if (equals(stale.value, value)) return queued;
      const put = await store.txn({
        compare: [heldCompare(key, revision)],
        success: [{ put: { key, value, lease: session.lease } }],
        failure: [],
      });
      if (put.succeeded) return queued;
    } else {
      await deleteGuardedWithRetry(store, key, { revision }, alive);
    }
  }
}

/**
 * Removes a queued key after a failed or aborted wait (guarded by its create
 * revision, retried while the session lives) so the queue behind moves on.
 */
export function dequeueKey(store: Store, queued: { session: SessionImpl; key: Bytes; revision: Rev }): Promise<void> {
  const stillNeeded = (): boolean => queued.session.state === 'alive' && !store.closed;
  return deleteGuardedWithRetry(store, queued.key, { revision: queued.revision }, stillNeeded).catch(() => undefined);
}

/**
 * Waits until `queued` (the session key of `name`) is the oldest own key under
 * `${name}/` — Go's `waitDeletes` on the immediate predecessors, on the
 * client's shared watch of the name (open while anyone waits, and a second
 * after). On failure or abort it removes the key (so the queue behind moves
 * on) and rethrows.
 */
export async function waitForTurn(store: Store, name: string, queued: QueuedKey, scope: WaitScope): Promise<void> {
  scope.link(queued.session.signal);
  let unwatch: (() => void) | undefined;
  try {
    if (scope.signal.aborted) throw abortErrorOf(scope.signal);
    if (queued.owner) return;
    const watch = nameWatch(store, name);
    unwatch = watch.retain();
    const blockers = store.prefix(`${name}/`);
    await waitForPredecessors(store, {
      blockers,
      shape: shapeOf(blockers, SESSION_SUFFIX),
      ownKey: queued.key,
      revision: queued.revision,
      watch,
      known: queued.known,
      signal: scope.signal,
    });
  } catch (error) {
    await dequeueKey(store, queued);
    throw error;
  } finally {
    unwatch?.();
  }
}
