/**
 * Locks built on a fresh key per acquisition (etcd recipes' unique ephemeral
 * keys): read/write locks and semaphores. Several of them can be held by one
 * client at once, so they need no local queue.
 * @module
 * @internal
 */
import { abortErrorOf } from '../errors.js';
import { deleteGuardedWithRetry, firstKeys, putUniqueKey } from '../kit/guarded-keys.js';
import { HeldLock } from '../kit/held-lock.js';
import { onLiveSession } from '../kit/live-session.js';
import { allOwn, ownKeys, shapeOf } from '../kit/own-keys.js';
import { heldKeysWatch, LOCK_LINGER_MS, sharedWatch } from '../kit/shared-watch.js';
import type { Store, StoredRange } from '../kit/store.js';
import { knownOlder, OLDER_READ_EXTRA, waitForPredecessors } from '../kit/wait-for-predecessor.js';
import type { WaitScope } from '../kit/wait-scope.js';
import type { Lock } from './api.js';

export interface QueuedKeyLockSpec {
  /** The new key is `${keyPrefix}/${nanos}`, e.g. `${name}/read`. */
  keyPrefix: string;
  /** User prefix of the keys that can block it: `${name}/write/` for a reader, `${name}/` otherwise. */
  blockersPrefix: string;
  /** Holds while fewer than `slots` blockers are older (1 for read/write locks, `permits` for a semaphore). */
  slots: number;
  /** What a blocker key looks like after `blockersPrefix` (keys of longer names sharing the prefix do not count). */
  blockersShape: RegExp;
  /** User prefix of every key of the lock (`${name}/`): its waiters share the client's one watch of it. */
  watchPrefix: string;
}

/**
 * Creates the key and, in the same txn, reads the oldest `slots` blockers: held
 * at once if fewer than `slots` of them are older. Otherwise, with a `scope`,
 * waits (no herd: only on the `slots` nearest older blockers); without one
 * (tryAcquire), deletes the key and resolves `undefined`. A failed or aborted
 * wait deletes the key, so the queue behind moves on.
 *
 * @example
 * ```ts
 * const lock = await acquireQueuedKey(store, { keyPrefix: 'rw/write', blockersPrefix: 'rw/', slots: 1, blockersShape: RW_SUFFIX }, scope);
 * ```
 */
export async function acquireQueuedKey(store: Store, spec: QueuedKeyLockSpec, scope: WaitScope | undefined): Promise<Lock | undefined> {
  // Already aborted (or timed out): refuse before creating any key, as the mutex does.
  if (scope?.signal.aborted) throw abortErrorOf(scope.signal);
  const blockers = store.prefix(spec.blockersPrefix);
  // Opened before the create, so it has usually started by the time the txn answers (no read to fill a gap).
  const unwatch = heldKeysWatch(store).retain();
  try {
    return await acquireWith(store, spec, scope, blockers);
  } finally {
    unwatch();
  }
}

async function acquireWith(
  store: Store,
  spec: QueuedKeyLockSpec,
  scope: WaitScope | undefined,
  blockers: StoredRange,
): Promise<Lock | undefined> {
  // The oldest keys (not only the `slots` first): a waiter then knows every key ahead of it without another read.
  const limit = spec.slots + OLDER_READ_EXTRA;
  const { session, key, revision, ranges, at } = await onLiveSession(store, async (session) => {
    const alive = (): boolean => session.state === 'alive' && !store.closed;
    return { session, ...(await putUniqueKey(store, spec.keyPrefix, session.lease, [firstKeys(blockers, limit)], alive)) };
  });
  scope?.link(session.signal);
  const stillNeeded = (): boolean => session.state === 'alive' && !store.closed;
  const dequeue = (): Promise<void> => deleteGuardedWithRetry(store, key, { revision }, stillNeeded).catch(() => undefined);
  const shape = shapeOf(blockers, spec.blockersShape);
  let first = ranges[0] ?? [];
  const known = knownOlder(shape, first, limit, revision, at);
  if (!allOwn(shape, first)) {
    // A longer name's keys share the prefix: look past them.
    try {
      first = await ownKeys(store, firstKeys(blockers, spec.slots), shape, spec.slots);
    } catch (error) {
      await dequeue();
      throw error;
    }
  }
  const older = first.filter((kv) => kv.createRevision < revision).length;
  if (older >= spec.slots) {
    if (!scope) {
      await dequeue();
      return undefined;
    }
    // The client's one watch of the name, open while anyone waits (and a second after).
    const watch = sharedWatch(store, store.prefix(spec.watchPrefix), LOCK_LINGER_MS);
    const unwatch = watch.retain();
    try {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      await waitForPredecessors(store, { blockers, shape, ownKey: key, revision, slots: spec.slots, watch, known, signal: scope.signal });
    } catch (error) {
      await dequeue();
      throw error;
    } finally {
      unwatch();
    }
  }
  return new HeldLock({ store, session, storedKey: key, revision });
}
