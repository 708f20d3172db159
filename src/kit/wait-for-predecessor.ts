/**
 * The no-herd wait of Go's `concurrency.waitDeletes`, on the client's shared watch of the
 * lock's name: a waiter holds once fewer than `slots` own keys are older than its own, decided
 * locally from the older keys it read and the deletes the shared watch delivers after that read.
 * No waiter opens a server watcher, and none sends a request while it waits: a release wakes
 * only the waiters whose older set it empties, and the handover is the holder's delete plus one
 * watch event.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import { abortErrorOf, LockLostError } from '../errors.js';
import type { Bytes, Rev, WireKeyValue } from '../transport/index.js';
import { olderKeys } from './guarded-keys.js';
import { allOwn, ownKeys, type KeyShape } from './own-keys.js';
import type { SharedWatch } from './shared-watch.js';
import { rangeKvs, rangeOf, type Store } from './store.js';

/** How many older keys a read fetches beyond `slots`, to know them all (and decide locally) in the usual case. */
export const OLDER_READ_EXTRA = 64;

/** The older own keys of a waiter, all of them, as read at revision `at`. */
export interface KnownOlder {
  older: readonly WireKeyValue[];
  at: Rev;
}

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
  /** The shared watch of the lock's name (covering `blockers` and the own key), retained by the caller. */
  watch: SharedWatch;
  /** Every older own key, when the enqueue already read them all: no first read. */
  known?: KnownOlder | undefined;
  signal: AbortSignal;
}

/**
 * The older keys of `kvs` (the first keys under the blockers, ascending by create revision, as the
 * enqueue txn read them with `limit`), when they are all there: the list reaches the own revision
 * or is not full. Undefined when a foreign key is among them or the list may be cut short.
 */
export function knownOlder(shape: KeyShape, kvs: readonly WireKeyValue[], limit: number, revision: Rev, at: Rev): KnownOlder | undefined {
  if (!allOwn(shape, kvs)) return undefined;
  const older = kvs.filter((kv) => kv.createRevision < revision);
  return older.length < kvs.length || kvs.length < limit ? { older, at } : undefined;
}

/**
 * Resolves once fewer than `slots` keys of `blockers` are older than the own
 * key. A round reads the older keys (and checks that the own key still exists,
 * in the same transaction) unless `known` has them; when it has them all, the
 * shared watch's deletes after the read decide; when there were too many to
 * read, it waits for the delete of one of the `slots` nearest and reads again.
 * Rejects with `LockLostError` if the own key disappears, and with the abort
 * error of `signal` (timeout, abort, session lost, client closed).
 *
 * @example
 * ```ts
 * const blockers = store.prefix('jobs/');
 * await waitForPredecessors(store, { blockers, shape: shapeOf(blockers, SESSION_SUFFIX), ownKey, revision, watch, signal });
 * ```
 */
export async function waitForPredecessors(store: Store, wait: PredecessorWait): Promise<void> {
  const slots = wait.slots ?? 1;
  const limit = slots + OLDER_READ_EXTRA;
  let known = wait.known;
  const own = hex(wait.ownKey);
  for (;;) {
    if (wait.signal.aborted) throw abortErrorOf(wait.signal);
    let ahead: readonly WireKeyValue[];
    let complete: boolean;
    let at: Rev;
    if (known) {
      ({ older: ahead, at } = known);
      complete = true;
      known = undefined;
    } else {
      const read = olderKeys(wait.blockers, wait.revision, limit);
      const res = await store.txn({ compare: [], success: [{ range: read }, { range: { key: wait.ownKey, keysOnly: true } }], failure: [] }, wait.signal);
      const ownKv = rangeKvs(res.responses, 1)[0];
      if (!ownKv || ownKv.createRevision !== wait.revision) {
        if (wait.signal.aborted) throw abortErrorOf(wait.signal);
        throw new LockLostError('lock key was deleted while waiting for the lock');
      }
      const nearest = rangeKvs(res.responses, 0);
      complete = allOwn(wait.shape, nearest) && !rangeOf(res, 0).more;
      ahead = allOwn(wait.shape, nearest) ? nearest : await ownKeys(store, olderKeys(wait.blockers, wait.revision, slots), wait.shape, slots);
      at = res.header.revision;
    }
    if (ahead.length < slots) return;
    // All older keys known: wait until fewer than `slots` remain. Otherwise: until one of the nearest goes, then read again.
    const tracked = new Set((complete ? ahead : ahead.slice(0, slots)).map((kv) => hex(kv.key)));
    const size = tracked.size;
    const outcome = await wait.watch.waitFor(at, wait.signal, (batch) => {
      for (const e of batch.events) {
        if (e.type !== 'delete') continue;
        const id = hex(e.kv.key);
        if (id === own) return new LockLostError('lock key was deleted while waiting for the lock');
        tracked.delete(id);
      }
      return complete ? tracked.size < slots : tracked.size < size;
    });
    if (outcome === 'done' && complete) return;
  }
}
