/**
 * Public types of the Conclave client (the contract in API.md).
 * @module
 */
import type { Logger } from './logger.js';
import type { Observable } from 'rxjs';
import type { AsyncValueIterator, IterateOptions } from './events/async-iterable.js';
import type { ConclaveEvents } from './events/types.js';
import type { DeleteOptions, GetOptions, GetPrefixOptions, PutOptions, Stm, StmOptions, TxnResult, TxnSpec } from './kv/api.js';
import type { TelemetryOptions } from './telemetry/types.js';
import type { Bytes, Rev, TlsOptions, Transport } from './transport.js';

export type { Bytes, Rev } from './transport.js';

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
 * Options of {@link Conclave.watch}.
 *
 * @example
 * ```ts
 * // Replay every change under config/ since revision 100, then follow live.
 * client.watch('config/', { prefix: true, fromRevision: 100n }).subscribe((e) => console.log(e.key));
 * ```
 */
export interface WatchOptions {
  /** Watch every key starting with `key`. */
  prefix?: boolean;
  /** Replay history from this revision, then continue live. */
  fromRevision?: Rev;
  /** Include the previous key-value in each event. */
  prevKv?: boolean;
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
 *   auth: { username: 'billing', password: process.env.ETCD_PASSWORD! },
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
  /**
   * OpenTelemetry metrics and spans. Default: on when `@opentelemetry/api` is
   * installed and a global meter or tracer provider is registered before
   * `connect()`; otherwise off, at no cost. `false` turns it off; an object
   * names the providers to use.
   */
  telemetry?: boolean | TelemetryOptions;
  /**
   * Where the client logs reconnects, retries, session loss and lock handovers: any object with
   * pino/console-style `debug`/`info`/`warn`/`error(fields, message)` methods. Silent without one.
   */
  logger?: Logger;
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
 * A connected Conclave client. See API.md.
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

// ---- Locks -----------------------------------------------------------------

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

/**
 * A held lock (mutex, read/write lock, or semaphore permit).
 *
 * @example
 * ```ts
 * await using lock = await client.mutex('reports').acquire();
 * lock.signal.addEventListener('abort', () => console.log('stop working:', lock.signal.reason), { once: true });
 * await storage.write('report', data, { fencingToken: lock.fencingToken }); // the store refuses older tokens
 * ```
 */
export interface Lock extends AsyncDisposable, FencedWrites {
  /** The lock key, e.g. `${name}/${leaseIdHex}` as Go's `concurrency.Mutex` writes it. */
  readonly key: string;
  /**
   * The lock key's create revision: strictly increasing per lock (each
   * acquisition gets a new one). For writes to etcd use {@link FencedWrites};
   * for any other resource, send the token with each write and have the
   * resource remember the highest token it accepted and refuse lower ones,
   * so a holder that lost the lock (a long GC pause, a partition) cannot
   * overwrite the work of the next one.
   */
  readonly fencingToken: Rev;
  /** Emits (then completes) if the lock is lost before release (session lost, key deleted); completes without emitting on release or `client.close()`. */
  readonly lost$: Observable<void>;
  /** Aborted when the lock ends: with `LockLostError` when lost, `ClosedError` when released or the client closed. */
  readonly signal: AbortSignal;
  /** Deletes the lock key (only if it is still this lock's). Idempotent. */
  release(): Promise<void>;
}

/**
 * A distributed mutex, compatible with etcd's Go `concurrency.Mutex` and `etcdctl lock`.
 *
 * @example
 * ```ts
 * const mutex = client.mutex('jobs/nightly');
 * const lock = await mutex.acquire({ timeoutMs: 10_000 });
 * try {
 *   await rebuild(lock.signal);
 * } finally {
 *   await lock.release();
 * }
 * const maybe = await mutex.tryAcquire(); // undefined when held elsewhere
 * ```
 */
export interface Mutex {
  /** Waits for the lock, FIFO by create revision. */
  acquire(opts?: WaitOptions): Promise<Lock>;
  /** Takes the lock if it is free; never waits, leaves no key behind when it fails. */
  /** Never waits for the lock; `timeoutMs` / `signal` bound only the round trip (a late result is released). */
  tryAcquire(opts?: WaitOptions): Promise<Lock | undefined>;
  /** Runs `fn` holding the lock, and releases it after. */
  withLock<R>(fn: (lock: Lock) => Promise<R>, opts?: WaitOptions): Promise<R>;
}

/**
 * Many readers or one writer.
 *
 * @example
 * ```ts
 * const rw = client.rwlock('catalog');
 * const reading = await rw.readLock();   // many readers at once
 * await reading.release();
 * const writing = await rw.writeLock();  // waits for every reader to leave
 * await writing.release();
 * ```
 */
export interface RWLock {
  readLock(opts?: WaitOptions): Promise<Lock>;
  writeLock(opts?: WaitOptions): Promise<Lock>;
}

/**
 * At most `permits` holders at once.
 *
 * @example
 * ```ts
 * const slots = client.semaphore('gpu', 2); // at most 2 holders cluster-wide
 * await using permit = await slots.acquire({ timeoutMs: 30_000 });
 * ```
 */
export interface Semaphore {
  acquire(opts?: WaitOptions): Promise<Lock>;
  /** Never waits for the lock; `timeoutMs` / `signal` bound only the round trip (a late result is released). */
  tryAcquire(opts?: WaitOptions): Promise<Lock | undefined>;
}

// ---- Election --------------------------------------------------------------

/**
 * The current leader of an election: its key, its value (the proposal) and its term.
 *
 * @example
 * ```ts
 * const leader = await client.election('scheduler').leader();
 * console.log(leader ? new TextDecoder().decode(leader.value) : 'no leader');
 * ```
 */
export interface Leader {
  key: string;
  value: Bytes;
  /** The leader key's create revision: the term's fencing token. */
  revision: Rev;
}

/**
 * A won election term: held until resigned or lost.
 *
 * @example
 * ```ts
 * const term = await client.election('scheduler').campaign('node-1');
 * term.lost$.subscribe(() => console.log('no longer the leader'));
 * await term.proclaim('node-1 (draining)');
 * await term.resign(); // the next candidate takes over at once
 * ```
 */
export interface Leadership extends AsyncDisposable, FencedWrites {
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

/**
 * Options of {@link Election.lead}.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await client.election('scheduler').lead('node-1', runScheduler, { signal: stop.signal, onError: console.error });
 * ```
 */
export interface LeadOptions {
  /** Stop: resign (if leading), stop campaigning; `lead` resolves once `work` settled. */
  signal?: AbortSignal;
  /** Receives what `work` threw (default: emitted as `'error'` on `client.events`). */
  onError?: (err: unknown) => void;
}

/**
 * Leader election, compatible with Go's `concurrency.Election` and `etcdctl elect`.
 *
 * @example
 * ```ts
 * const election = client.election('scheduler');
 * election.leader$.subscribe((l) => console.log('leader:', l ? new TextDecoder().decode(l.value) : 'none'));
 * const term = await election.campaign('node-1', { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface Election {
  /** Resolves when elected. */
  campaign(value: string | Bytes, opts?: WaitOptions): Promise<Leadership>;
  /**
   * The leader loop: campaigns; when elected runs `work(term)`; when the term is lost
   * (`term.signal` aborts) waits for `work` to settle and campaigns again; when `work`
   * settles while leader, resigns and campaigns again. Errors of `work` go to `opts.onError`,
   * else to `client.events` (`'error'`). Resolves once `opts.signal` aborted and `work`
   * settled (resigning first); rejects with `ClosedError` when the client closes.
   */
  lead(value: string | Bytes, work: (term: Leadership) => Promise<void> | void, opts?: LeadOptions): Promise<void>;
  leader(): Promise<Leader | undefined>;
  /** The current leader at subscribe, then every change; `undefined` = no leader. */
  readonly leader$: Observable<Leader | undefined>;
}

// ---- Barriers and queues -----------------------------------------------------

/**
 * A barrier (etcd's `recipe.Barrier` layout): `hold()` raises it, `release()` lowers it, `wait()` blocks while it is up.
 *
 * @example
 * ```ts
 * // The coordinator holds the barrier; workers wait until it is released.
 * const gate = client.barrier('deploy/gate');
 * await gate.hold();
 * const waiting = client.barrier('deploy/gate').wait({ signal: AbortSignal.timeout(60_000) });
 * await gate.release(); // every wait() returns
 * ```
 */
export interface Barrier {
  hold(): Promise<void>;
  release(): Promise<void>;
  wait(opts?: WaitOptions): Promise<void>;
}

/**
 * A double barrier (etcd's `recipe.DoubleBarrier` layout) for `count` participants: they enter together and leave together.
 *
 * @example
 * ```ts
 * const phase = client.doubleBarrier('batch/42', 3);
 * await phase.enter(); // returns when 3 participants have entered
 * await computeMyShard();
 * await phase.leave(); // returns when all 3 have left
 * ```
 */
export interface DoubleBarrier {
  /** Returns when `count` participants have entered. */
  enter(opts?: WaitOptions): Promise<void>;
  /** Returns when every participant has left. */
  leave(opts?: WaitOptions): Promise<void>;
}

/**
 * An item claimed from a queue (at-least-once delivery): hidden from other
 * consumers by a marker on the client's session lease until `ack()`; served
 * again if the session is lost first, or after `release()`.
 *
 * @example
 * ```ts
 * await using job = await client.queue<{ id: number }>('jobs').claim();
 * await process(job.value);
 * await job.ack(); // without ack, `await using` puts it back for another consumer
 * ```
 */
export interface QueueClaim<T> extends AsyncDisposable {
  readonly value: T;
  /** The item's key. */
  readonly key: string;
  /** Aborted when the claim ends: acknowledged, released, or lost with the session (`LockLostError`). */
  readonly signal: AbortSignal;
  /** Removes the item for good. Rejects with `LockLostError` if the claim was lost (the item may be served again). Idempotent. */
  ack(): Promise<void>;
  /** Returns the item to the queue, at its place. Idempotent; a no-op after `ack()`. `await using` calls it. */
  release(): Promise<void>;
}

/**
 * Options of `enqueue` (both queues).
 *
 * @example
 * ```ts
 * await client.queue('mail').enqueue({ to: 'a@b.c' }, { delayMs: 60_000 }); // not delivered before a minute
 * ```
 */
export interface EnqueueOptions {
  /** Not delivered before this many ms (then FIFO by due time). Delayed items wait beside the queue, under `__jobs/`, until a `process()` consumer moves them in. */
  delayMs?: number;
}

/**
 * One delivery of an item to a `process()` handler.
 *
 * @example
 * ```ts
 * await queue.process(async (value, job) => {
 *   console.log(job.id, 'attempt', job.attempt);
 *   await fetch(url, { signal: job.signal }); // aborted when the delivery is lost (visibility timeout, session lost, stop)
 * });
 * ```
 */
export interface Job {
  /** The item's key: the same across deliveries. */
  readonly id: string;
  /** 1, 2, ...: every delivery counts, whatever ended the earlier ones. */
  readonly attempt: number;
  /** Aborted when this delivery is lost: visibility timeout (`TimeoutError`), lost session (`LockLostError`). */
  readonly signal: AbortSignal;
}

/**
 * Options of `process()` (both queues).
 *
 * @example
 * ```ts
 * await queue.process(handle, { concurrency: 4, maxDeliveries: 5, retryDelayMs: 2_000, visibilityTimeoutMs: 60_000, signal });
 * ```
 */
export interface ProcessOptions {
  /** Handlers running at once for this `process()` call; default 1. */
  concurrency?: number;
  /** A handler still running after this loses the item: `job.signal` aborts and it is redelivered; default none. */
  visibilityTimeoutMs?: number;
  /** After this many deliveries that did not succeed the item moves to the dead-letter queue; default no limit. */
  maxDeliveries?: number;
  /** Name of the queue (same client namespace) that receives it; default `${name}.dead`. */
  deadLetter?: string;
  /** Delay before a failed item is delivered again; default 1000. */
  retryDelayMs?: number;
  /** Stop taking items; `process()` resolves once running handlers settled. */
  signal?: AbortSignal;
}

/**
 * A FIFO queue (etcd's `recipe.Queue` layout): each item goes to exactly one consumer.
 *
 * @example
 * ```ts
 * const jobs = client.queue<{ id: number }>('jobs');
 * await jobs.enqueue({ id: 1 });
 * const next = await jobs.dequeue({ signal: AbortSignal.timeout(30_000) }); // { id: 1 }
 * ```
 */
export interface Queue<T> {
  /** With `delayMs`, not delivered before that many ms. */
  enqueue(value: T, opts?: EnqueueOptions): Promise<void>;
  /** Waits; each item goes to exactly one dequeuer. At-most-once: the item is deleted when taken. */
  dequeue(opts?: WaitOptions): Promise<T>;
  /** Waits, like `dequeue`, but at-least-once: the item stays until `ack()`, and comes back if this client's session is lost. */
  claim(opts?: WaitOptions): Promise<QueueClaim<T>>;
  /**
   * Jobs: runs `handler` for each item, at least once (deleted only after the handler resolved);
   * a throw, a lost session or a visibility timeout redelivers it with `attempt + 1`, up to
   * `maxDeliveries`, then it moves to the dead-letter queue. Resolves once `opts.signal` aborted
   * and running handlers settled; rejects with `ClosedError` when the client closes.
   */
  process(handler: (value: T, job: Job) => Promise<void>, opts?: ProcessOptions): Promise<void>;
}

/**
 * A priority queue (etcd's `recipe.PriorityQueue` layout): the lowest priority number first.
 *
 * @example
 * ```ts
 * const work = client.priorityQueue<string>('work');
 * await work.enqueue('rebuild index', 10);
 * await work.enqueue('page on-call', 0);
 * console.log(await work.dequeue()); // 'page on-call'
 * ```
 */
export interface PriorityQueue<T> {
  /** Lower number = served first; FIFO within a priority. `priority` is an integer in 0..65535. */
  enqueue(value: T, priority: number, opts?: EnqueueOptions): Promise<void>;
  dequeue(opts?: WaitOptions): Promise<T>;
  /** At-least-once, as {@link Queue.claim}. */
  claim(opts?: WaitOptions): Promise<QueueClaim<T>>;
  /** Jobs, as {@link Queue.process}. */
  process(handler: (value: T, job: Job) => Promise<void>, opts?: ProcessOptions): Promise<void>;
}

// ---- Service registry ----------------------------------------------------------

/**
 * One registered instance of a service.
 *
 * @example
 * ```ts
 * for (const i of await client.services('orders-api').instances()) console.log(i.id, i.address, i.metadata);
 * ```
 */
export interface ServiceInstance<M extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  address: string;
  /** As registered (JSON); typed by `client.services<M>(name)`. */
  metadata: M;
}

/**
 * A live registration: kept while the client lives (and re-written after a network fault); `deregister()` or `await using` removes it.
 *
 * @example
 * ```ts
 * await using reg = await client.services('orders-api').register({ id: 'orders-1', address: '10.0.0.5:8080' });
 * console.log(reg.instance.id, reg.instance.address);
 * reg.lost$.subscribe(() => console.log('registration lost'));
 * // ... serve ...
 * await reg.deregister();
 * ```
 */
export interface Registration<M extends Record<string, unknown> = Record<string, unknown>> extends AsyncDisposable {
  /** The instance as registered (metadata defaulted to `{}`). */
  readonly instance: ServiceInstance<M>;
  readonly lost$: Observable<void>;
  deregister(): Promise<void>;
}

/**
 * The instances of one service: register yours, discover the others.
 *
 * @example
 * ```ts
 * const api = client.services<{ zone: string }>('orders-api');
 * await api.register({ id: 'orders-1', address: '10.0.0.5:8080', metadata: { zone: 'a' } });
 * api.instances$.subscribe((all) => console.log(all.map((i) => `${i.address} in ${i.metadata.zone}`)));
 * ```
 */
export interface ServiceRegistry<M extends Record<string, unknown> = Record<string, unknown>> {
  register(instance: { id: string; address: string; metadata?: M }): Promise<Registration<M>>;
  instances(): Promise<ServiceInstance<M>[]>;
  /** The full current set at subscribe, then on every change. */
  readonly instances$: Observable<ServiceInstance<M>[]>;
}

// ---- Topics ------------------------------------------------------------------

/**
 * One message of a topic, with the revision that stored it (the position to replay from).
 *
 * @example
 * ```ts
 * client.topic<{ id: number }>('orders').messages$().subscribe((m) => console.log(m.topic, m.revision, m.value.id));
 * ```
 */
export interface TopicMessage<T> {
  topic: string;
  value: T;
  revision: Rev;
}

/**
 * How much of a topic stays stored as keys. Trimming is done by publishers, as
 * part of `publish()` (no daemon). Replay by `fromRevision` reaches further: as
 * far back as etcd's history (until compaction).
 *
 * @example
 * ```ts
 * const metrics = client.topic('metrics', { retention: { maxMessages: 10_000, maxAgeMs: 3_600_000 } });
 * ```
 */
export interface TopicRetention {
  /** Keep the newest `maxMessages` (trimmed in bulk once 10% over). Default 1000; `Infinity` for no count bound. */
  maxMessages?: number;
  /** Drop messages older than this, by publish time, at the next publish. Default 86 400 000 (24 h); `Infinity` for no age bound. */
  maxAgeMs?: number;
}

/**
 * Options of {@link Conclave.topic}.
 *
 * @example
 * ```ts
 * const logs = client.topic<string>('logs', { codec: stringCodec, retention: { maxMessages: 500 } });
 * ```
 */
export interface TopicOptions<T> {
  /** Encodes message values. Default JSON. */
  codec?: Codec<T>;
  /** The stored window. At least one bound must be finite. */
  retention?: TopicRetention;
}

/**
 * Options of {@link Topic.messages$}.
 *
 * @example
 * ```ts
 * orders.messages$({ fromRevision: lastSeen + 1n, onDecodeError: 'skip', onCompacted: 'retained' })
 *   .subscribe((m) => { lastSeen = m.revision; handle(m.value); });
 * ```
 */
export interface MessagesOptions {
  /** Replay every message from this revision on, then continue live. */
  fromRevision?: Rev;
  /** A value the codec cannot decode: `'error'` (default) ends this subscriber's stream with a `DecodeError` (carrying the bytes and revision); `'skip'` drops it. Other subscribers are never affected. */
  onDecodeError?: 'error' | 'skip';
  /** When the history from `fromRevision` is compacted: `'error'` (default) errors with `CompactedError`; `'retained'` replays what the topic still retains from `fromRevision` on (messages trimmed meanwhile are missing), then continues live. The same holds for every later compaction found on resuming (e.g. after an outage): `'retained'` replays from the message after the last one delivered, never one twice. */
  onCompacted?: 'error' | 'retained';
}

/**
 * A pub/sub topic: every subscriber sees every message published after it subscribed, in order, exactly once.
 *
 * @example
 * ```ts
 * const orders = client.topic<{ id: number }>('orders');
 * orders.messages$().subscribe((m) => console.log('order', m.value.id));
 * await orders.publish({ id: 1 });
 * for await (const m of orders.messages({ signal: AbortSignal.timeout(60_000) })) console.log(m.value);
 * ```
 */
export interface Topic<T> {
  /** Publishes `value`; resolves with the message's revision. */
  publish(value: T): Promise<{ revision: Rev }>;
  /** Live, or replay from a revision then live. */
  messages$(opts?: MessagesOptions): Observable<TopicMessage<T>>;
  /** {@link Topic.messages$} as an async iterator: `for await (const m of topic.messages())`; `break` or `signal` unsubscribes. */
  messages(opts?: MessagesOptions & IterateOptions): AsyncValueIterator<TopicMessage<T>>;
  /**
   * Joins consumer group `opts.group`: each group receives every message, and within a group each
   * message is handled by one live member at a time, at least once. Resolves once `opts.signal`
   * aborted and running handlers settled; rejects with `CompactedError` when the group's position
   * fell out of etcd's history and the topic's retained messages, `ClosedError` when the client closes.
   */
  consume(handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>, opts: ConsumeOptions): Promise<void>;
}

/**
 * What a consumer-group handler gets beside the message.
 *
 * @example
 * ```ts
 * await orders.consume(async (m, { signal, attempt }) => { await bill(m.value, { signal }); }, { group: 'billing' });
 * ```
 */
export interface ConsumeContext {
  /** Aborted when this member loses the message (its session ended, or the client closed): another member will get it. */
  signal: AbortSignal;
  /** 1 for the first delivery, then 2, 3, ... */
  attempt: number;
}

/**
 * Options of {@link Topic.consume}.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await orders.consume(handle, { group: 'billing', concurrency: 4, startAt: 'earliest', maxDeliveries: 5, signal: stop.signal });
 * ```
 */
export interface ConsumeOptions {
  /** Consumers with the same group name, in any process, share the work. */
  group: string;
  /** Handlers running at once for this consume() call; default 1. */
  concurrency?: number;
  /** Where a NEW group starts: `'latest'` (default: messages published from now on), `'earliest'` (the oldest message the topic retains), or a revision (inclusive). An existing group resumes where it stopped. */
  startAt?: 'latest' | 'earliest' | Rev;
  /** After this many deliveries that did not succeed the message moves to the dead-letter queue; default no limit. */
  maxDeliveries?: number;
  /** Delay before a failed message is delivered again; default 1000. */
  retryDelayMs?: number;
  /**
   * Name of the queue (same client namespace) that receives dead messages (their original values); default `${topic}.${group}.dead`.
   * Beside each, in the same txn, its error record as the jobs keep it: JSON at `__jobs/<encodeURIComponent(deadLetter)>/dead/<k>`
   * for the item `${deadLetter}/<k>`, `{ queue: topic, key, group, revision, attempt, error: { name, message, code?, stack? }, at }`.
   */
  deadLetter?: string;
  /** Stop: resolves once running handlers settled. */
  signal?: AbortSignal;
}
