/**
 * Public contracts of the client facade: the {@link Conclave} a user holds and the options of `connect`.
 * @module
 */
import type { Observable } from 'rxjs';
import type { Barrier, DoubleBarrier } from '../barriers/api.js';
import type { Election } from '../election/api.js';
import type { AsyncValueIterator, IterateOptions } from '../events/async-iterable.js';
import type { ConclaveEvents } from '../events/types.js';
import type { DeleteOptions, GetOptions, GetPrefixOptions, PutOptions, Stm, StmOptions, TxnResult, TxnSpec, WatchOptions } from '../kv/api.js';
import type { Mutex, RWLock, Semaphore } from '../locks/api.js';
import type { Logger } from '../logger.js';
import type { PriorityQueue, Queue } from '../queues/api.js';
import type { ServiceRegistry } from '../services/api.js';
import type { TelemetryOptions } from '../telemetry/types.js';
import type { Topic, TopicOptions } from '../topics/api.js';
import type { TlsOptions, Transport } from '../transport/index.js';
import type { Bytes, Codec, ConnectionStatus, CoreStats, KeyValue, Rev, Session, WaitOptions, WatchEvent } from '../types.js';

/**
 * The built-in transports, by name.
 *
 * @example
 * ```ts
 * const viaGateway = await connect({ transport: 'http', endpoints: ['http://127.0.0.1:2379'] });
 * ```
 */
export type TransportName = 'grpc' | 'grpc-proxy' | 'http';

/**
 * Options of {@link connect}. All optional.
 *
 * @example
 * ```ts
 * const client = await connect({
 *   endpoints: ['10.0.0.1:2379', '10.0.0.2:2379', '10.0.0.3:2379'],
 *   namespace: 'billing/',
 *   auth: { username: 'billing', password: etcdPassword }, // e.g. read from the environment or a secret store
 *   sessionTtlSeconds: 15,
 *   dialTimeoutMs: 3000,
 * });
 * ```
 */
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
  /** OpenTelemetry metrics and spans: default on when `@opentelemetry/api` has a global provider registered before `connect()`, else off; `false` turns it off, an object names the providers. */
  telemetry?: boolean | TelemetryOptions;
  /** Where the client logs reconnects, retries, session loss and lock handovers (pino/console-style `debug`/`info`/`warn`/`error(fields, message)`); silent without one. */
  logger?: Logger;
}

/**
 * A connected Conclave client: key-value calls, watches, sessions, and a factory for each primitive.
 *
 * @example
 * ```ts
 * await using client = await connect({ endpoints: ['127.0.0.1:2379'] });
 * await client.put('config/mode', 'active');
 * client.watch('config/', { prefix: true }).subscribe((e) => console.log(e.type, e.key));
 * await client.mutex('jobs/nightly').withLock(async (lock) => runNightlyJob(lock.signal)); // one at a time, cluster-wide
 * ```
 */
export interface Conclave extends AsyncDisposable {
  /** A client on the same connection and core whose keys are all prefixed with `prefix`. Composes. */
  namespace(prefix: string): Conclave;
  /** The key's current value, or its value at `revision` (`CompactedError` when that revision is compacted). */
  get(key: string, opts?: GetOptions): Promise<KeyValue | undefined>;
  /** The keys starting with `prefix`, in key order. */
  getPrefix(prefix: string, opts?: GetPrefixOptions): Promise<KeyValue[]>;
  put(key: string, value: string | Bytes, opts?: PutOptions): Promise<{ revision: Rev }>;
  delete(key: string, opts?: DeleteOptions): Promise<{ deleted: number; revision: Rev }>;
  /** One atomic transaction: `success` if every `compare` holds, else `failure`. Keys in this client's namespace. */
  txn(spec: TxnSpec, opts?: WaitOptions): Promise<TxnResult>;
  /**
   * Runs `fn` as a software transaction (Go's `concurrency.STM`), re-running it
   * on conflict, and commits its writes atomically. `fn` must have no other side effects.
   */
  stm<R>(fn: (tx: Stm) => Promise<R>, opts?: StmOptions): Promise<R>;
  /** Cold: subscribing opens (or joins) a shared server watcher. */
  watch(key: string, opts?: WatchOptions): Observable<WatchEvent>;
  /** A new session (its own lease, kept alive on the client's one keep-alive stream). */
  session(opts?: { ttlSeconds?: number }): Promise<Session>;
  topic<T = unknown>(name: string, opts?: TopicOptions<T>): Topic<T>;
  mutex(name: string): Mutex;
  rwlock(name: string): RWLock;
  semaphore(name: string, permits: number): Semaphore;
  election(name: string): Election;
  barrier(name: string): Barrier;
  doubleBarrier(name: string, count: number): DoubleBarrier;
  queue<T = unknown>(name: string, opts?: { codec?: Codec<T> }): Queue<T>;
  priorityQueue<T = unknown>(name: string, opts?: { codec?: Codec<T> }): PriorityQueue<T>;
  /** `M` types the instances' metadata (not checked at run time: it is what the registrants wrote). */
  services<M extends Record<string, unknown> = Record<string, unknown>>(name: string): ServiceRegistry<M>;
  stats(): CoreStats;
  /** The connection status: the current one at subscribe, then every change; completes on `close()`. */
  readonly status$: Observable<ConnectionStatus>;
  /** The client's events as an EventEmitter, for code without RxJS. */
  readonly events: ConclaveEvents;
  /** {@link Conclave.watch} as an async iterator: `for await (const e of client.watchIterator(key))`; `break` or `signal` ends the watch. */
  watchIterator(key: string, opts?: WatchOptions & IterateOptions): AsyncValueIterator<WatchEvent>;
  /** Idempotent; releases locks, resigns, revokes leases, closes the connection. */
  close(): Promise<void>;
}
