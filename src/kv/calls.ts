/**
 * The key-value calls of the client (`get`, `getPrefix`, `put`, `delete`) with
 * their options: every option checked before anything is sent, keys mapped
 * through the store's namespace, `{ signal, timeoutMs }` bounding the call.
 * @module
 * @internal
 */
import { toBytes } from '../bytes.js';
import { InvalidArgumentError } from '../errors.js';
import type { Store } from '../kit/store.js';
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { KeyValue, WaitOptions } from '../types.js';
import { checkKey, checkPrefix, checkRevision, checkSize, checkValue } from '../validate.js';
import type { DeleteOptions, GetOptions, GetPrefixOptions, PutOptions } from './api.js';

/** Options as an object (absent: `{}`); anything else is refused. */
export function checkOptions<T extends WaitOptions>(opts: T | undefined): T {
  if (opts === undefined) return {} as T;
  checkWaitOptions(opts);
  return opts;
}

/** An optional boolean option. */
export function checkFlag(value: unknown, what: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean, got ${typeof value}`);
}

/**
 * Runs one call on `store` under the scope of `opts` (`signal`, `timeoutMs`):
 * `ClosedError` after close, `AbortError`/`TimeoutError` when the scope aborts
 * (the transport cancels the request; one that etcd never received writes nothing).
 *
 * @example
 * ```ts
 * const res = await scoped(store, { timeoutMs: 500 }, (signal) => store.range({ key }, signal));
 * ```
 */
export async function scoped<T>(store: Store, opts: WaitOptions, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  store.checkOpen();
  const scope = new WaitScope(opts);
  try {
    return await call(scope.signal);
  } finally {
    scope.dispose();
  }
}

/**
 * `get(key, { revision, signal, timeoutMs })`.
 *
 * @example
 * ```ts
 * const kv = await getKey(store, 'config/mode', { revision: 42n });
 * ```
 */
export async function getKey(store: Store, key: string, options?: GetOptions): Promise<KeyValue | undefined> {
  checkKey(key);
  const opts = checkOptions(options);
  if (opts.revision !== undefined) checkRevision(opts.revision, 'revision');
  const res = await scoped(store, opts, (signal) => store.range({ key: store.key(key), revision: opts.revision }, signal));
  const kv = res.kvs[0];
  return kv && store.toKeyValue(kv);
}

/**
 * `getPrefix(prefix, { revision, limit, keysOnly, signal, timeoutMs })`: the keys in key order.
 *
 * @example
 * ```ts
 * const page = await getPrefixKeys(store, 'jobs/', { limit: 100, keysOnly: true });
 * ```
 */
export async function getPrefixKeys(store: Store, prefix: string, options?: GetPrefixOptions): Promise<KeyValue[]> {
  checkPrefix(prefix);
  const opts = checkOptions(options);
  if (opts.revision !== undefined) checkRevision(opts.revision, 'revision');
  const { limit } = opts;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  checkFlag(opts.keysOnly, 'keysOnly');
  const range = store.prefix(prefix);
  const request = {
    ...range,
    sortOrder: 'ascend' as const,
    sortTarget: 'key' as const,
    revision: opts.revision,
    limit: limit ? BigInt(limit) : undefined,
    keysOnly: opts.keysOnly === true ? true : undefined,
  };
  const res = await scoped(store, opts, (signal) => store.range(request, signal));
  return res.kvs.map((kv) => store.toKeyValue(kv));
}

/**
 * `put(key, value, { lease, signal, timeoutMs })`.
 *
 * @example
 * ```ts
 * const { revision } = await putKey(store, 'config/mode', 'active', { timeoutMs: 2000 });
 * ```
 */
export async function putKey(store: Store, key: string, value: string | Bytes, options?: PutOptions): Promise<{ revision: Rev }> {
  checkKey(key);
  checkValue(value);
  const opts = checkOptions(options);
  if (opts.lease !== undefined) checkRevision(opts.lease, 'lease');
  const stored = store.key(key);
  const bytes = toBytes(value);
  checkSize(stored, bytes, store.maxRequestBytes);
  const res = await scoped(store, opts, (signal) => store.put({ key: stored, value: bytes, lease: opts.lease }, signal));
  return { revision: res.header.revision };
}

/**
 * `delete(key, { prefix, signal, timeoutMs })`.
 *
 * @example
 * ```ts
 * const { deleted } = await deleteKeys(store, 'tmp/', { prefix: true });
 * ```
 */
export async function deleteKeys(store: Store, key: string, options?: DeleteOptions): Promise<{ deleted: number; revision: Rev }> {
  const opts = checkOptions(options);
  checkFlag(opts.prefix, 'prefix');
  if (opts.prefix) checkPrefix(key);
  else checkKey(key);
  const range = opts.prefix ? store.prefix(key) : { key: store.key(key) };
  const res = await scoped(store, opts, (signal) => store.deleteRange(range, signal));
  return { deleted: Number(res.deleted), revision: res.header.revision };
}
