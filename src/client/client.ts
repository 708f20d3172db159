/**
 * The client a user holds: key-value calls, watches and sessions, over the
 * shared {@link Core}; `namespace()` returns a sibling on the same core.
 * @module
 * @internal
 */
import type { Observable } from 'rxjs';
import { toBytes } from '../bytes.js';
import type { Core } from '../core/core.js';
import type { Namespace } from '../core/namespace.js';
import { InvalidArgumentError } from '../errors.js';
import { Store } from '../kit/store.js';
import type { DeleteOptions, GetOptions, GetPrefixOptions, PutOptions, Stm, StmOptions, TxnResult, TxnSpec } from '../kv/api.js';
import { deleteKeys, getKey, getPrefixKeys, putKey } from '../kv/calls.js';
import { runStm } from '../kv/stm.js';
import { runTxn } from '../kv/txn.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { Codec, ConnectionStatus, CoreStats, KeyValue, Session, WaitOptions, WatchEvent } from '../types.js';
import type { Barrier, DoubleBarrier } from '../barriers/api.js';
import type { Conclave } from './api.js';
import type { Election } from '../election/api.js';
import type { Mutex, RWLock, Semaphore } from '../locks/api.js';
import type { PriorityQueue, Queue } from '../queues/api.js';
import type { ServiceRegistry } from '../services/api.js';
import type { Topic, TopicOptions } from '../topics/api.js';
import type { WatchOptions } from '../kv/api.js';
import { checkCodec } from '../codec.js';
import { createMutex } from '../locks/mutex.js';
import { createRWLock } from '../locks/rwlock.js';
import { createSemaphore } from '../locks/semaphore.js';
import { createElection } from '../election/election.js';
import { createBarrier } from '../barriers/barrier.js';
import { createDoubleBarrier } from '../barriers/double-barrier.js';
import { createQueue } from '../queues/queue.js';
import { createPriorityQueue } from '../queues/priority-queue.js';
import { createTopic } from '../topics/topic.js';
import { createServiceRegistry } from '../services/registry.js';
import { toAsyncIterable, type AsyncValueIterator, type IterateOptions } from '../events/async-iterable.js';
import type { ConclaveEvents } from '../events/types.js';
import { instrumentElection, instrumentMutex, instrumentRWLock, instrumentSemaphore } from '../telemetry/instrument-locks.js';
import { checkKey, checkPositiveInt, checkPrefix, checkPrimitiveName, checkRevision } from '../validate.js';
import { ClientEvents } from './events.js';

/** etcd's maximum lease TTL, in seconds. */
export const MAX_TTL_SECONDS = 9_000_000_000;

/**
 * The `Conclave` a user holds: checks every argument, then hands the call to the kv calls or
 * to a primitive built on this client's {@link Store} (its core seen through its namespace).
 *
 * @example
 * ```ts
 * const client = await connect();
 * const app = client.namespace('app/'); // a sibling on the same core
 * await app.put('config/mode', 'active');
 * ```
 */
export class ConclaveClient implements Conclave {
  private events_: ClientEvents | undefined;
  /** What every primitive and kv call of this client is built on. @internal */
  readonly store: Store;

  constructor(
    /** @internal */ readonly core: Core,
    /** @internal */ readonly ns: Namespace,
  ) {
    this.store = new Store(core, ns);
  }

  namespace(prefix: string): Conclave {
    checkPrefix(prefix);
    return new ConclaveClient(this.core, this.ns.child(toBytes(prefix)));
  }

  get(key: string, opts?: GetOptions): Promise<KeyValue | undefined> {
    return getKey(this.store, key, opts);
  }

  getPrefix(prefix: string, opts?: GetPrefixOptions): Promise<KeyValue[]> {
    return getPrefixKeys(this.store, prefix, opts);
  }

  put(key: string, value: string | Bytes, opts?: PutOptions): Promise<{ revision: Rev }> {
    return putKey(this.store, key, value, opts);
  }

  delete(key: string, opts?: DeleteOptions): Promise<{ deleted: number; revision: Rev }> {
    return deleteKeys(this.store, key, opts);
  }

  txn(spec: TxnSpec, opts?: WaitOptions): Promise<TxnResult> {
    return runTxn(this.store, spec, opts);
  }

  stm<R>(fn: (tx: Stm) => Promise<R>, opts?: StmOptions): Promise<R> {
    return runStm(this.store, fn, opts);
  }

  watch(key: string, opts: WatchOptions = {}): Observable<WatchEvent> {
    if (opts.prefix) checkPrefix(key);
    else checkKey(key);
    if (opts.fromRevision !== undefined) {
      checkRevision(opts.fromRevision, 'fromRevision');
      if (opts.fromRevision === 0n) throw new InvalidArgumentError('fromRevision must be >= 1');
    }
    return this.store.watch(key, { prefix: opts.prefix === true, fromRevision: opts.fromRevision, prevKv: opts.prevKv === true });
  }

  async session(opts: { ttlSeconds?: number } = {}): Promise<Session> {
    const ttl = opts.ttlSeconds ?? this.core.sessionTtlSeconds;
    checkPositiveInt(ttl, 'ttlSeconds', MAX_TTL_SECONDS);
    return this.core.createSession(ttl);
  }

  topic<T = unknown>(name: string, opts: TopicOptions<T> = {}): Topic<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createTopic(this.store, name, checkCodec(opts.codec), opts.retention);
  }

  mutex(name: string): Mutex {
    checkPrimitiveName(this, name);
    const mutex = createMutex(this.store, name);
    return this.core.telemetry ? instrumentMutex(mutex, this.core.telemetry, name) : mutex;
  }

  rwlock(name: string): RWLock {
    checkPrimitiveName(this, name);
    const rwlock = createRWLock(this.store, name);
    return this.core.telemetry ? instrumentRWLock(rwlock, this.core.telemetry, name) : rwlock;
  }

  semaphore(name: string, permits: number): Semaphore {
    checkPrimitiveName(this, name);
    checkPositiveInt(permits, 'permits');
    const semaphore = createSemaphore(this.store, name, permits);
    return this.core.telemetry ? instrumentSemaphore(semaphore, this.core.telemetry, name) : semaphore;
  }

  election(name: string): Election {
    checkPrimitiveName(this, name);
    const election = createElection(this.store, name, (error) => this.events.emit('error', error));
    return this.core.telemetry ? instrumentElection(election, this.core.telemetry, name) : election;
  }

  barrier(name: string): Barrier {
    checkPrimitiveName(this, name);
    return createBarrier(this.store, name);
  }

  doubleBarrier(name: string, count: number): DoubleBarrier {
    checkPrimitiveName(this, name);
    checkPositiveInt(count, 'count');
    return createDoubleBarrier(this.store, name, count);
  }

  queue<T = unknown>(name: string, opts: { codec?: Codec<T> } = {}): Queue<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createQueue(this.store, name, checkCodec(opts.codec));
  }

  priorityQueue<T = unknown>(name: string, opts: { codec?: Codec<T> } = {}): PriorityQueue<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createPriorityQueue(this.store, name, checkCodec(opts.codec));
  }

  services<M extends Record<string, unknown> = Record<string, unknown>>(name: string): ServiceRegistry<M> {
    checkPrimitiveName(this, name, { encoded: true });
    // Metadata is JSON the registrants wrote: `M` only types it for the caller.
    return createServiceRegistry(this.store, name) as unknown as ServiceRegistry<M>;
  }

  stats(): CoreStats {
    return this.core.stats();
  }

  get status$(): Observable<ConnectionStatus> {
    return this.core.connection.status$;
  }

  /** Created on first use. */
  get events(): ConclaveEvents {
    this.events_ ??= new ClientEvents(this, this.core);
    return this.events_;
  }

  watchIterator(key: string, opts: WatchOptions & IterateOptions = {}): AsyncValueIterator<WatchEvent> {
    const { signal, ...watchOptions } = opts;
    return toAsyncIterable(this.watch(key, watchOptions), { signal });
  }

  close(): Promise<void> {
    return this.core.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
