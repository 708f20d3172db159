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
import type { Store } from '../kit/store.js';
import { waitForPredecessors } from '../kit/wait-for-predecessor.js';
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
  const { session, key, revision, ranges } = await onLiveSession(store, async (session) => {
    const alive = (): boolean => session.state === 'alive' && !store.closed;
    return { session, ...(await putUniqueKey(store, spec.keyPrefix, session.lease, [firstKeys(blockers, spec.slots)], alive)) };
  });
  scope?.link(session.signal);
  const stillNeeded = (): boolean => session.state === 'alive' && !store.closed;
  const dequeue = (): Promise<void> => deleteGuardedWithRetry(store, key, { revision }, stillNeeded).catch(() => undefined);
  const shape = shapeOf(blockers, spec.blockersShape);
  let first = ranges[0] ?? [];
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
    try {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      await waitForPredecessors(store, { blockers, shape, ownKey: key, revision, slots: spec.slots, signal: scope.signal });
    } catch (error) {
      await dequeue();
      throw error;
    }
  }
  return new HeldLock({ store, session, storedKey: key, revision });
}
