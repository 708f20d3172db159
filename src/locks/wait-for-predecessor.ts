/**
 * The no-herd wait of Go's `concurrency.waitDeletes`: a waiter watches only
 * the key(s) immediately ahead of it, so a release wakes the next waiter(s)
 * only, never every waiter.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { abortErrorOf, LockLostError } from '../errors.js';
import type { Bytes, Rev } from '../types.js';
import { olderKeys, rangeKvs } from './lock-keys.js';
import { allOwn, ownKeys, type KeyShape } from './own-keys.js';
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
 * const blockers = storedPrefix(client, 'jobs/');
 * await waitForPredecessors(client, { blockers, shape: shapeOf(blockers, SESSION_SUFFIX), ownKey, revision, signal });
 * ```
 */
export async function waitForPredecessors(client: ConclaveClient, wait: PredecessorWait): Promise<void> {
  const slots = wait.slots ?? 1;
  const { transport } = client.core;
  for (;;) {
    if (wait.signal.aborted) throw abortErrorOf(wait.signal);
    const res = await transport.txn(
      {
        compare: [],
        success: [{ range: olderKeys(wait.blockers, wait.revision, slots) }, { range: { key: wait.ownKey, keysOnly: true } }],
        failure: [],
      },
      { signal: wait.signal },
    );
    client.core.observe(res.header);
    const own = rangeKvs(res.responses, 1)[0];
    if (!own || own.createRevision !== wait.revision) {
      if (wait.signal.aborted) throw abortErrorOf(wait.signal);
      throw new LockLostError('lock key was deleted while waiting for the lock');
    }
    const nearest = rangeKvs(res.responses, 0);
    const ahead = allOwn(wait.shape, nearest) ? nearest : await ownKeys(client, olderKeys(wait.blockers, wait.revision, slots), wait.shape, slots);
    if (ahead.length < slots) return;
    const range = slots === 1 ? { key: ahead[0]!.key } : wait.blockers;
    await waitForDelete(
      client,
      range,
      ahead.map((kv) => kv.key),
      res.header.revision + 1n,
      wait.signal,
    );
  }
}
