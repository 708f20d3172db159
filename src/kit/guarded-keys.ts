/**
 * Guarded key operations shared by locks, semaphores, elections and barriers:
 * the create-revision guard, the guarded delete that never removes a newer
 * holder's key, recipes-style unique keys, and the range shapes of Go's
 * `concurrency` package.
 * @module
 * @internal
 */
import { Backoff, sleep } from '../backoff.js';
import { ConclaveError } from '../errors.js';
import type { Bytes, Compare, RangeRequest, Rev, WireKeyValue } from '../transport/index.js';
import { rangeKvs, type Store } from './store.js';
import { uniqueNanos } from './unique-key.js';

/** "`key` still has create revision `revision`": holds exactly while the lock (or term) is held. */
export function heldCompare(key: Bytes, revision: Rev): Compare {
  return { target: 'create', result: 'equal', key, value: revision };
}

/** Range options selecting the keys of a prefix created before `revision`, newest first. */
export function olderKeys(prefix: { key: Bytes; rangeEnd: Bytes }, revision: Rev, limit: number): RangeRequest {
  return {
    ...prefix,
    maxCreateRevision: revision - 1n,
    sortOrder: 'descend',
    sortTarget: 'create',
    limit: BigInt(limit),
    keysOnly: true,
  };
}

/** Range options selecting the oldest keys of a prefix (Go's `WithFirstCreate`, with a limit). */
export function firstKeys(prefix: { key: Bytes; rangeEnd: Bytes }, limit: number, keysOnly = true): RangeRequest {
  return { ...prefix, sortOrder: 'ascend', sortTarget: 'create', limit: BigInt(limit), keysOnly };
}

/** Which key version a guarded delete may remove: the one with this create revision, or any key of this lease. */
export type DeleteGuard = { revision: Rev } | { lease: Rev };

/** Deletes `key` only if it matches `guard`. Resolves whether it deleted. */
export async function deleteGuarded(store: Store, key: Bytes, guard: DeleteGuard): Promise<boolean> {
  const compare: Compare =
    'revision' in guard ? heldCompare(key, guard.revision) : { target: 'lease', result: 'equal', key, value: guard.lease };
  const res = await store.txn({ compare: [compare], success: [{ deleteRange: { key } }], failure: [] });
  return res.succeeded;
}

/**
 * {@link deleteGuarded}, retried on retryable failures (a broken connection)
 * until it succeeds or `stillNeeded()` turns false (the session is gone, so
 * the key went with its lease, or the client closed and revoked it).
 * Non-retryable failures reject at once.
 */
export async function deleteGuardedWithRetry(
  store: Store,
  key: Bytes,
  guard: DeleteGuard,
  stillNeeded: () => boolean,
): Promise<void> {
  const backoff = new Backoff(50, 1000);
  for (;;) {
    try {
      await deleteGuarded(store, key, guard);
      return;
    } catch (error) {
      if (!stillNeeded()) return; // the key went with the lease
      if (!(error instanceof ConclaveError && error.retryable)) throw error;
    }
    await sleep(backoff.next());
    if (!stillNeeded()) return;
  }
}

/**
 * Creates a new key `${prefix}/${nanos}` under `lease` (the layout of etcd's
 * `recipes.newUniqueEphemeralKey`), retrying with another suffix if the key
 * exists. In the same transaction, runs `alsoRange` (e.g. the oldest keys of
 * the queue). If the transaction fails (it may have been applied), the key is
 * deleted (retried while `stillNeeded()`) before the error is rethrown.
 */
export async function putUniqueKey(
  store: Store,
  prefix: string,
  lease: Rev,
  alsoRange: RangeRequest[],
  stillNeeded: () => boolean,
): Promise<{ key: Bytes; revision: Rev; ranges: WireKeyValue[][]; at: Rev }> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const key = store.key(`${prefix}/${uniqueNanos()}`);
    let res;
    try {
      res = await store.txn({
        compare: [{ target: 'version', result: 'equal', key, value: 0n }],
        success: [{ put: { key, value: new Uint8Array(0), lease } }, ...alsoRange.map((range) => ({ range }))],
        failure: [],
      });
    } catch (error) {
      await deleteGuardedWithRetry(store, key, { lease }, stillNeeded).catch(() => undefined);
      throw error;
    }
    if (res.succeeded) {
      return { key, revision: res.header.revision, ranges: alsoRange.map((_, i) => rangeKvs(res.responses, i + 1)), at: res.header.revision };
    }
  }
  throw new ConclaveError(`could not create a unique key under ${prefix}/`, { code: 'KEY_EXISTS', retryable: true });
}
