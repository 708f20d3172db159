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
  topic<T = unknown>(name: string, opts?: { codec?: Codec<T> }): Topic<T>;
  mutex(name: string): Mutex;
  rwlock(name: string): RWLock;
  semaphore(name: string, permits: number): Semaphore;
  election(name: string): Election;
  barrier(name: string): Barrier;
  doubleBarrier(name: string, count: number): DoubleBarrier;
  queue<T = unknown>(name: string, opts?: { codec?: Codec<T> }): Queue<T>;
  priorityQueue<T = unknown>(name: string, opts?: { codec?: Codec<T> }): PriorityQueue<T>;
  services(name: string): ServiceRegistry;
  stats(): CoreStats;
  /** Idempotent; releases locks, resigns, revokes leases, closes the connection. */
  close(): Promise<void>;
}

// ---- Locks -----------------------------------------------------------------

/** Options of every wait: abort it, or give up after `timeoutMs`. */
export interface WaitOptions {
  signal?: AbortSignal;
  /** Rejects with `TimeoutError` after this many milliseconds. */
  timeoutMs?: number;
}

/** A held lock (mutex, read/write lock, or semaphore permit). */
export interface Lock extends AsyncDisposable {
  /** The lock key, e.g. `${name}/${leaseIdHex}` as Go's `concurrency.Mutex` writes it. */
  readonly key: string;
  /** The lock key's create revision: strictly increasing per lock. Pass it to the resource you protect. */
  readonly fencingToken: Rev;
  /** Emits if the lock is lost before release (session lost, key deleted). */
  readonly lost$: Observable<void>;
  /** Aborted when the lock is lost or released. */
  readonly signal: AbortSignal;
  /** Idempotent. */
  release(): Promise<void>;
}

/** A distributed mutex, compatible with etcd's Go `concurrency.Mutex` and `etcdctl lock`. */
export interface Mutex {
  /** Waits for the lock, FIFO by create revision. */
  acquire(opts?: WaitOptions): Promise<Lock>;
  /** Takes the lock if it is free; never waits, leaves no key behind when it fails. */
  tryAcquire(): Promise<Lock | undefined>;
  /** Runs `fn` holding the lock, and releases it after. */
  withLock<R>(fn: (lock: Lock) => Promise<R>, opts?: WaitOptions): Promise<R>;
}

/** Many readers or one writer. */
export interface RWLock {
  readLock(opts?: WaitOptions): Promise<Lock>;
  writeLock(opts?: WaitOptions): Promise<Lock>;
}

/** At most `permits` holders at once. */
export interface Semaphore {
  acquire(opts?: WaitOptions): Promise<Lock>;
  tryAcquire(): Promise<Lock | undefined>;
}

// ---- Election --------------------------------------------------------------

export interface Leader {
  key: string;
  value: Bytes;
  /** The leader key's create revision: the term's fencing token. */
  revision: Rev;
}

export interface Leadership extends AsyncDisposable {
  readonly key: string;
  /** Fencing token of this term. */
  readonly revision: Rev;
  readonly lost$: Observable<void>;
  /** Aborted when leadership ends. */
  readonly signal: AbortSignal;
  /** Updates the leader's value without re-election. */
  proclaim(value: string | Bytes): Promise<void>;
  /** Idempotent; the next candidate takes over at once. */
  resign(): Promise<void>;
}

/** Leader election, compatible with Go's `concurrency.Election` and `etcdctl elect`. */
export interface Election {
  /** Resolves when elected. */
  campaign(value: string | Bytes, opts?: { signal?: AbortSignal }): Promise<Leadership>;
  leader(): Promise<Leader | undefined>;
  /** The current leader at subscribe, then every change; `undefined` = no leader. */
  readonly leader$: Observable<Leader | undefined>;
}

// ---- Barriers and queues -----------------------------------------------------

export interface Barrier {
  hold(): Promise<void>;
  release(): Promise<void>;
  wait(opts?: { signal?: AbortSignal }): Promise<void>;
}

export interface DoubleBarrier {
  /** Returns when `count` participants have entered. */
  enter(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Returns when every participant has left. */
  leave(opts?: { signal?: AbortSignal }): Promise<void>;
}

export interface Queue<T> {
  enqueue(value: T): Promise<void>;
  /** Waits; each item goes to exactly one dequeuer. */
  dequeue(opts?: { signal?: AbortSignal }): Promise<T>;
}

export interface PriorityQueue<T> {
  /** Lower number = served first; FIFO within a priority. */
  enqueue(value: T, priority: number): Promise<void>;
  dequeue(opts?: { signal?: AbortSignal }): Promise<T>;
}

// ---- Service registry ----------------------------------------------------------

export interface ServiceInstance {
  id: string;
  address: string;
  metadata: Record<string, unknown>;
}

export interface Registration extends AsyncDisposable {
  readonly lost$: Observable<void>;
  deregister(): Promise<void>;
}

export interface ServiceRegistry {
  register(instance: { id: string; address: string; metadata?: Record<string, unknown> }): Promise<Registration>;
  instances(): Promise<ServiceInstance[]>;
  /** The full current set at subscribe, then on every change. */
  readonly instances$: Observable<ServiceInstance[]>;
}

// ---- Topics ------------------------------------------------------------------

export interface TopicMessage<T> {
  topic: string;
  value: T;
  revision: Rev;
}

export interface Topic<T> {
  publish(value: T): Promise<{ revision: Rev }>;
  /** Live, or replay from a revision then live. */
  messages$(opts?: { fromRevision?: Rev }): Observable<TopicMessage<T>>;
}
