/**
 * The no-herd wait of Go's `concurrency.waitDeletes`: a waiter watches only
 * the key(s) immediately ahead of it, so a release wakes the next waiter(s)
 * only, never every waiter.
 * @module
 * @internal
 */
import { abortErrorOf, LockLostError } from '../errors.js';
import type { Bytes, Rev } from '../transport/index.js';
import { olderKeys } from './guarded-keys.js';
import { allOwn, ownKeys, type KeyShape } from './own-keys.js';
import { rangeKvs, type Store } from './store.js';
import { waitForDelete } from './wait-for-delete.js';

export interface PredecessorWait {
  /** Stored range of the keys that may block this one (e.g. `${name}/`, or `${name}/write/` for a reader). */
  blockers: { key: Bytes; rangeEnd: Bytes };
  /** Which keys of `blockers` count: those of this lock's kind (not those of a longer name sharing the prefix). */
  shape: KeyShape;
  /** The waiter's own stored key and its create revision. */
  ownKey: Bytes;
  revision: Rev;
  /**
   * How many older blockers may exist while this key holds: 1 for a mutex,
   * `permits` for a semaphore (it holds while fewer than `permits` are older).
   */
  slots?: number;
  signal: AbortSignal;
}

/**
 * Resolves once fewer than `slots` keys of `blockers` are older than the own
 * key. Each round reads the `slots` nearest older keys (and checks that the own
 * key still exists, in the same transaction) and waits for the delete of any of
 * them: with `slots = 1` that is the immediate predecessor only (a single-key
 * watch); otherwise one watch on the blockers' prefix, shared by every waiter of
 * the client. Rejects with `LockLostError` if the own key disappears, and with
 * the abort error of `signal` (timeout, abort, session lost, client closed).
 *
 * @example
 * ```ts
 * const blockers = store.prefix('jobs/');
 * await waitForPredecessors(store, { blockers, shape: shapeOf(blockers, SESSION_SUFFIX), ownKey, revision, signal });
 * ```
 */
export async function waitForPredecessors(store: Store, wait: PredecessorWait): Promise<void> {
  const slots = wait.slots ?? 1;
  for (;;) {
    if (wait.signal.aborted) throw abortErrorOf(wait.signal);
    const res = await store.txn(
      {
        compare: [],
        success: [{ range: olderKeys(wait.blockers, wait.revision, slots) }, { range: { key: wait.ownKey, keysOnly: true } }],
        failure: [],
      },
      wait.signal,
    );
    const own = rangeKvs(res.responses, 1)[0];
    if (!own || own.createRevision !== wait.revision) {
      if (wait.signal.aborted) throw abortErrorOf(wait.signal);
      throw new LockLostError('lock key was deleted while waiting for the lock');
    }
    const nearest = rangeKvs(res.responses, 0);
    const ahead = allOwn(wait.shape, nearest) ? nearest : await ownKeys(store, olderKeys(wait.blockers, wait.revision, slots), wait.shape, slots);
    if (ahead.length < slots) return;
    const range = slots === 1 ? { key: ahead[0]!.key } : wait.blockers;
    await waitForDelete(
      store,
      range,
      ahead.map((kv) => kv.key),
      res.header.revision + 1n,
      wait.signal,
    );
  }
}
