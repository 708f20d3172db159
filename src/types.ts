/**
 * The types every layer shares: the SDK's bytes and int64s, a key-value and a watch event as a
 * user sees them, codecs, sessions, the core's figures and the connection status. Each
 * primitive's own contract lives beside it (`locks/api.ts`, `topics/api.ts`, ...).
 * @module
 */
import type { Observable } from 'rxjs';

/** An etcd revision, lease id or other int64, exact: `client.put(k, v)` resolves `{ revision: 42n }`. */
export type Rev = bigint;
/** A byte string. */
export type Bytes = Uint8Array;

/**
 * A key-value pair as a user of a (possibly namespaced) client sees it.
 *
 * @example
 * ```ts
 * const kv = await client.get('config/mode');
 * if (kv) console.log(kv.key, new TextDecoder().decode(kv.value), kv.modRevision);
 * ```
 */
export interface KeyValue {
  /** The key, without the client's namespace prefix. */
  key: string;
  value: Bytes;
  /** Revision of the key's creation: a fencing token for lock and election keys. */
  createRevision: Rev;
  modRevision: Rev;
  version: Rev;
  /** Lease id the key is attached to, or 0n. */
  lease: Rev;
}

/**
 * One change seen by a watch.
 *
 * @example
 * ```ts
 * client.watch('config/', { prefix: true, prevKv: true }).subscribe((e) => {
 *   console.log(e.type, e.key, e.revision, e.prevKv ? 'was set before' : 'new');
 * });
 * ```
 */
export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (empty for a delete). */
  value: Bytes;
  /** The revision of the change (the key's mod revision). */
  revision: Rev;
  kv: KeyValue;
  /** The previous key-value, when `prevKv: true` was asked and it exists. */
  prevKv?: KeyValue;
}

/**
 * Encodes values of type `T` to bytes and back. The default is JSON.
 *
 * @example
 * ```ts
 * const dates: Codec<Date> = {
 *   encode: (d) => new TextEncoder().encode(d.toISOString()),
 *   decode: (b) => new Date(new TextDecoder().decode(b)),
 * };
 * await client.topic('ticks', { codec: dates }).publish(new Date());
 * ```
 */
export interface Codec<T> {
  encode(value: T): Bytes;
  decode(bytes: Bytes): T;
}

/**
 * Live figures of a client's coalescing core (shared by all its namespaces).
 *
 * @example
 * ```ts
 * const subs = [1, 2, 3].map(() => client.watch('jobs/', { prefix: true }).subscribe());
 * console.log(client.stats()); // { serverWatchers: 1, watchSubscribers: 3, leases: 0, keepAliveStreams: 0 }
 * ```
 */
export interface CoreStats {
  /** Watchers open on etcd for this client right now. */
  serverWatchers: number;
  /** Observable subscriptions those watchers serve. */
  watchSubscribers: number;
  /** Leases this client keeps alive. */
  leases: number;
  /** Lease keep-alive streams open on etcd. */
  keepAliveStreams: number;
}

/**
 * A lease kept alive by the client; locks, elections and registrations hang off it.
 *
 * @example
 * ```ts
 * await using session = await client.session({ ttlSeconds: 10 });
 * await client.put('presence/worker-1', 'up', { lease: session.lease }); // gone when the lease is
 * session.lost$.subscribe(() => console.log('lease lost'));
 * ```
 */
export interface Session extends AsyncDisposable {
  readonly lease: Rev;
  readonly ttlSeconds: number;
  /** Emits once, then completes, when the lease is gone (expired, revoked, unreachable past its TTL). Completes without emitting on `close()`. */
  readonly lost$: Observable<void>;
  /** Aborted when the session ends, lost or closed. */
  readonly signal: AbortSignal;
  /** Revokes the lease. Idempotent. */
  close(): Promise<void>;
}

/**
 * The state of a client's connection to etcd, as seen from its own traffic:
 * every answer is a success, every `ConnectionError` of a call or stream a
 * failure. `connected` follows a successful `connect()`; `disconnected` carries
 * the first failure of an outage; `reconnected` ends it, with its length.
 *
 * @example
 * ```ts
 * client.status$.subscribe((s) => {
 *   if (s.state === 'disconnected') console.warn('etcd unreachable:', s.reason.message);
 *   if (s.state === 'reconnected') console.info(`etcd back after ${s.downtimeMs} ms`);
 * });
 * ```
 */
export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'disconnected'; reason: Error }
  | { state: 'reconnected'; downtimeMs: number };

/**
 * Options of every wait: abort it, or give up after `timeoutMs`.
 *
 * @example
 * ```ts
 * const lock = await client.mutex('jobs').acquire({ timeoutMs: 5000, signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface WaitOptions {
  signal?: AbortSignal;
  /** Rejects with `TimeoutError` after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Writes that take effect only while a lock (or leadership) is still held:
 * each is one etcd transaction guarded by `create_revision(lockKey) ==
 * fencingToken`, so it is rejected (nothing written) once the lock key is gone
 * or belongs to a newer holder — even if this process has not noticed yet.
 * Keys are relative to the namespace of the client that took the lock.
 *
 * @example
 * ```ts
 * await mutex.withLock(async (lock) => {
 *   const kv = await client.get('counter');
 *   const n = kv ? Number(new TextDecoder().decode(kv.value)) : 0;
 *   await lock.putIfHeld('counter', String(n + 1)); // LockLostError if the lock was lost meanwhile
 * });
 * ```
 */
export interface FencedWrites {
  /** Puts `key` only while the lock is held; rejects with `LockLostError` (and marks the lock lost) otherwise. */
  putIfHeld(key: string, value: string | Bytes, opts?: { lease?: Rev }): Promise<{ revision: Rev }>;
  /** Deletes `key` (or every key under it with `prefix`) only while the lock is held; rejects with `LockLostError` otherwise. */
  deleteIfHeld(key: string, opts?: { prefix?: boolean }): Promise<{ deleted: number; revision: Rev }>;
}
