/**
 * Telling a lock's own keys apart from the keys of other names that share its prefix.
 *
 * Lock and election names are used verbatim, as Go's `concurrency` package and `etcdctl`
 * use them: mutex `jobs` queues its keys under `jobs/`, and so do the keys of mutex
 * `jobs/nightly` (`jobs/nightly/<lease>`). Go counts those as waiters of `jobs`; Conclave
 * does not: a key counts only if the rest of it after the prefix has the shape its kind of
 * lock writes (a lease id in hex, a timestamp in digits, ...). The keys themselves are the
 * same as Go's, so Conclave, Go and `etcdctl` locks of one name still exclude each other.
 *
 * Reads first take the usual short range; only when it holds a foreign key do they page on
 * ({@link ownKeys}).
 * @module
 * @internal
 */
import { hex, utf8 } from '../bytes.js';
import type { Bytes, RangeRequest, Rev, WireKeyValue } from '../transport/index.js';
import type { Store } from './store.js';

/** The keys of one kind of lock under a stored prefix. */
export interface KeyShape {
  /** The stored (namespaced) prefix, e.g. of `jobs/`. */
  readonly prefix: Bytes;
  /** What the rest of an own key looks like. */
  readonly suffix: RegExp;
}

/** Mutex and election keys: `${name}/${leaseId in lowercase hex}` (Go's `%x`). */
export const SESSION_SUFFIX = /^[0-9a-f]+$/;
/** Recipes' unique keys: `${prefix}/${unix nanoseconds}` (semaphores, rwlock halves, barrier waiters). */
export const UNIQUE_SUFFIX = /^[0-9]+$/;
/** Read/write lock keys seen from `${name}/`: `read/<nanos>` or `write/<nanos>`. */
export const RW_SUFFIX = /^(?:read|write)\/[0-9]+$/;

/** The shape of the keys matching `suffix` under the stored range `range`. */
export function shapeOf(range: { key: Bytes }, suffix: RegExp): KeyShape {
  return { prefix: range.key, suffix };
}

/** Whether `key` (stored) is one of `shape`'s. */
export function isOwnKey(shape: KeyShape, key: Bytes): boolean {
  const { prefix } = shape;
  if (key.length <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return shape.suffix.test(utf8(key.subarray(prefix.length)));
}

/** Whether every kv of `kvs` is one of `shape`'s keys. */
export function allOwn(shape: KeyShape, kvs: readonly WireKeyValue[]): boolean {
  return kvs.every((kv) => isOwnKey(shape, kv.key));
}

/**
 * The first `limit` keys of `shape` in the order of `request` (sorted by create revision,
 * ascending or descending), paging past foreign keys. Later pages are read at the first
 * page's revision.
 *
 * @example
 * ```ts
 * const shape = shapeOf(store.prefix('jobs/'), SESSION_SUFFIX);
 * const [owner] = await ownKeys(store, firstKeys(store.prefix('jobs/'), 1), shape, 1);
 * ```
 */
export async function ownKeys(store: Store, request: RangeRequest, shape: KeyShape, limit: number): Promise<WireKeyValue[]> {
  const ascending = request.sortOrder !== 'descend';
  const found: WireKeyValue[] = [];
  const seen = new Set<string>();
  let page: RangeRequest = { ...request, limit: BigInt(Math.max(64, limit * 4)) };
  let revision: Rev | undefined;
  for (;;) {
    const res = await store.range(revision === undefined ? page : { ...page, revision });
    revision ??= res.header.revision;
    let fresh = 0;
    for (const kv of res.kvs) {
      const id = hex(kv.key);
      if (seen.has(id)) continue;
      seen.add(id);
      fresh++;
      if (!isOwnKey(shape, kv.key)) continue;
      found.push(kv);
      if (found.length >= limit) return found;
    }
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || !last) return found;
    // Keys written by one txn share a create revision: go on from the last one (inclusive), past it when a page held nothing new.
    const step = fresh === 0 ? 1n : 0n;
    page = ascending ? { ...page, minCreateRevision: last.createRevision + step } : { ...page, maxCreateRevision: last.createRevision - step };
  }
}
