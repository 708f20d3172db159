/**
 * Raw key operations shared by locks, semaphores and elections: stored
 * (namespaced) key math, the create-revision guard, the guarded delete that
 * never removes a newer holder's key, and recipes-style unique keys.
 * @module
 * @internal
 */
import { uniqueNanos } from '../recipes/unique-key.js';
import { toBytes, utf8 } from '../bytes.js';
import type { ConclaveClient } from '../client.js';
import { ConclaveError } from '../errors.js';
import type { Compare, RangeRequest, WireKeyValue } from '../transport/index.js';
import type { Bytes, Rev } from '../types.js';

/** The stored form of a user key of `client`. */
export function storedKey(client: ConclaveClient, key: string): Bytes {
  return client.ns.key(toBytes(key));
}

/** The stored range of every key under the user prefix `prefix`. */
export function storedPrefix(client: ConclaveClient, prefix: string): { key: Bytes; rangeEnd: Bytes } {
  return client.ns.prefixRange(toBytes(prefix));
}

/** A stored key as `client`'s user sees it. */
export function userKey(client: ConclaveClient, stored: Bytes): string {
  return utf8(client.ns.strip(stored));
}

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

/** The kvs of the `index`-th response of a txn, when it is a range. */
export function rangeKvs(responses: readonly unknown[], index: number): WireKeyValue[] {
  const op = responses[index] as { range?: { kvs: WireKeyValue[] } } | undefined;
  return op?.range?.kvs ?? [];
}

/** Which key version a guarded delete may remove: the one with this create revision, or any key of this lease. */
export type DeleteGuard = { revision: Rev } | { lease: Rev };

/** Deletes `key` only if it matches `guard`. Resolves whether it deleted. */
export async function deleteGuarded(client: ConclaveClient, key: Bytes, guard: DeleteGuard): Promise<boolean> {
  const compare: Compare =
    'revision' in guard ? heldCompare(key, guard.revision) : { target: 'lease', result: 'equal', key, value: guard.lease };
  const res = await client.core.transport.txn({ compare: [compare], success: [{ deleteRange: { key } }], failure: [] });
  client.core.observe(res.header);
  return res.succeeded;
}

/**
 * {@link deleteGuarded}, retried on retryable failures (a broken connection)
 * until it succeeds or `stillNeeded()` turns false (the session is gone, so
 * the key went with its lease, or the client closed and revoked it).
 * Non-retryable failures reject at once.
 */
export async function deleteGuardedWithRetry(
  client: ConclaveClient,
  key: Bytes,
  guard: DeleteGuard,
  stillNeeded: () => boolean,
): Promise<void> {
  let delay = 50;
  for (;;) {
    try {
      await deleteGuarded(client, key, guard);
      return;
    } catch (error) {
      if (!stillNeeded()) return; // the key went with the lease
      if (!(error instanceof ConclaveError && error.retryable)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1000);
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
  client: ConclaveClient,
  prefix: string,
  lease: Rev,
  alsoRange: RangeRequest[],
  stillNeeded: () => boolean,
): Promise<{ key: Bytes; revision: Rev; ranges: WireKeyValue[][] }> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const key = storedKey(client, `${prefix}/${uniqueNanos()}`);
    let res;
    try {
      res = await client.core.transport.txn({
        compare: [{ target: 'version', result: 'equal', key, value: 0n }],
        success: [{ put: { key, value: new Uint8Array(0), lease } }, ...alsoRange.map((range) => ({ range }))],
        failure: [],
      });
    } catch (error) {
      await deleteGuardedWithRetry(client, key, { lease }, stillNeeded).catch(() => undefined);
      throw error;
    }
    client.core.observe(res.header);
    if (res.succeeded) {
      return { key, revision: res.header.revision, ranges: alsoRange.map((_, i) => rangeKvs(res.responses, i + 1)) };
    }
  }
  throw new ConclaveError(`could not create a unique key under ${prefix}/`, { code: 'KEY_EXISTS', retryable: true });
}
