/**
 * Public types of the Conclave client (the contract in API.md).
 * @module
 */
import type { Observable } from 'rxjs';
import type { Bytes, Rev, TlsOptions, Transport } from './transport.js';

export type { Bytes, Rev } from './transport.js';

/** A key-value pair as a user of a (possibly namespaced) client sees it. */
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

/** One change seen by a watch. */
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

/** Options of {@link Conclave.watch}. */
export interface WatchOptions {
  /** Watch every key starting with `key`. */
  prefix?: boolean;
  /** Replay history from this revision, then continue live. */
  fromRevision?: Rev;
  /** Include the previous key-value in each event. */
  prevKv?: boolean;
}

/** Encodes values of type `T` to bytes and back. The default is JSON. */
export interface Codec<T> {
  encode(value: T): Bytes;
  decode(bytes: Bytes): T;
}

/** Live figures of a client's coalescing core (shared by all its namespaces). */
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

/** A lease kept alive by the client; locks, elections and registrations hang off it. */
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

/** The built-in transports, by name. */
export type TransportName = 'grpc' | 'grpc-proxy' | 'http';

/** Options of {@link connect}. All optional. */
export interface ConnectOptions {
  /** etcd (or grpc-proxy, or gateway) addresses, `host:port` or `http(s)://host:port`. Default: `CONCLAVE_ENDPOINTS` (comma-separated), else `['127.0.0.1:2379']`. */
  endpoints?: string[];
  /** Which adapter talks to etcd. Default `'grpc'`. */
  transport?: TransportName | Transport;
  /** Prefix applied to every key, transparently. Default `''`. */
  namespace?: string;
  /** etcd user auth; tokens are fetched and refreshed by the SDK. */
  auth?: { username: string; password: string };
  /** TLS to etcd (PEM strings or Buffers). */
  tls?: TlsOptions;
  /** TTL of the shared session lease used by locks, elections, barriers. Default 10. */
  sessionTtlSeconds?: number;
  /** Aborts connecting. */
  signal?: AbortSignal;
  /** Bounds how long `connect` (and each call's wait for a connection) may take. Default 5000. */
  dialTimeoutMs?: number;
}

/** A connected Conclave client. See API.md. */
export interface Conclave extends AsyncDisposable {
  /** A client on the same connection and core whose keys are all prefixed with `prefix`. Composes. */
  namespace(prefix: string): Conclave;
  get(key: string): Promise<KeyValue | undefined>;
  getPrefix(prefix: string): Promise<KeyValue[]>;
  put(key: string, value: string | Bytes, opts?: { lease?: Rev }): Promise<{ revision: Rev }>;
  delete(key: string, opts?: { prefix?: boolean }): Promise<{ deleted: number; revision: Rev }>;
  /** Cold: subscribing opens (or joins) a shared server watcher. */
  watch(key: string, opts?: WatchOptions): Observable<WatchEvent>;
  /** A new session (its own lease, kept alive on the client's one keep-alive stream). */
  session(opts?: { ttlSeconds?: number }): Promise<Session>;
  stats(): CoreStats;
  /** Idempotent; releases locks, resigns, revokes leases, closes the connection. */
  close(): Promise<void>;
}
