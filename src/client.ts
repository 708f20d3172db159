/**
 * The client a user holds: key-value calls, watches and sessions, over the
 * shared {@link Core}; `namespace()` returns a sibling on the same core.
 * @module
 * @internal
 */
import { Observable } from 'rxjs';
import { toBytes } from './bytes.js';
import type { Core } from './core/core.js';
import { ClosedError, InvalidArgumentError } from './errors.js';
import { toWatchEvent } from './kv.js';
import type { DeleteOptions, GetOptions, GetPrefixOptions, PutOptions, Stm, StmOptions, TxnResult, TxnSpec } from './kv/api.js';
import { deleteKeys, getKey, getPrefixKeys, putKey } from './kv/calls.js';
import { runStm } from './kv/stm.js';
import { runTxn } from './kv/txn.js';
import { Namespace } from './namespace.js';
import type { Barrier, DoubleBarrier } from './barriers/api.js';
import type { Conclave } from './client/api.js';
import type { Election } from './election/api.js';
import type { WatchOptions } from './kv/api.js';
import type { Mutex, RWLock, Semaphore } from './locks/api.js';
import type { PriorityQueue, Queue } from './queues/api.js';
import type { ServiceRegistry } from './services/api.js';
import type { Topic, TopicOptions } from './topics/api.js';
import type { Bytes, Codec, ConnectionStatus, CoreStats, KeyValue, Rev, Session, WaitOptions, WatchEvent } from './types.js';
import { checkCodec } from './codec.js';
import { createMutex } from './locks/mutex.js';
import { createRWLock } from './locks/rwlock.js';
import { createSemaphore } from './locks/semaphore.js';
import { createElection } from './election/election.js';
import { createBarrier } from './barriers/barrier.js';
import { createDoubleBarrier } from './barriers/double-barrier.js';
import { createQueue } from './queues/queue.js';
import { createPriorityQueue } from './queues/priority-queue.js';
import { createTopic } from './topics/topic.js';
import { createServiceRegistry } from './services/registry.js';
import { toAsyncIterable, type AsyncValueIterator, type IterateOptions } from './events/async-iterable.js';
import { ClientEvents } from './events/client-events.js';
import type { ConclaveEvents } from './events/types.js';
import { instrumentElection, instrumentMutex, instrumentRWLock, instrumentSemaphore } from './telemetry/instrument-locks.js';
import { checkKey, checkPositiveInt, checkPrefix, checkPrimitiveName, checkRevision } from './validate.js';

/** etcd's maximum lease TTL, in seconds. */
export const MAX_TTL_SECONDS = 9_000_000_000;

export class ConclaveClient implements Conclave {
  private events_: ClientEvents | undefined;

  constructor(
    /** @internal */ readonly core: Core,
    /** @internal */ readonly ns: Namespace,
  ) {}

  namespace(prefix: string): Conclave {
    checkPrefix(prefix);
    return new ConclaveClient(this.core, this.ns.child(toBytes(prefix)));
  }

  get(key: string, opts?: GetOptions): Promise<KeyValue | undefined> {
    return getKey(this, key, opts);
  }

  getPrefix(prefix: string, opts?: GetPrefixOptions): Promise<KeyValue[]> {
    return getPrefixKeys(this, prefix, opts);
  }

  put(key: string, value: string | Bytes, opts?: PutOptions): Promise<{ revision: Rev }> {
    return putKey(this, key, value, opts);
  }

  delete(key: string, opts?: DeleteOptions): Promise<{ deleted: number; revision: Rev }> {
    return deleteKeys(this, key, opts);
  }

  txn(spec: TxnSpec, opts?: WaitOptions): Promise<TxnResult> {
    return runTxn(this, spec, opts);
  }

  stm<R>(fn: (tx: Stm) => Promise<R>, opts?: StmOptions): Promise<R> {
    return runStm(this, fn, opts);
  }

  watch(key: string, opts: WatchOptions = {}): Observable<WatchEvent> {
    if (opts.prefix) checkPrefix(key);
    else checkKey(key);
    if (opts.fromRevision !== undefined) {
      checkRevision(opts.fromRevision, 'fromRevision');
      if (opts.fromRevision === 0n) throw new InvalidArgumentError('fromRevision must be >= 1');
    }
    const range = opts.prefix ? this.ns.prefixRange(toBytes(key)) : { key: this.ns.key(toBytes(key)), rangeEnd: undefined };
    const target = { key: range.key, rangeEnd: range.rangeEnd, prevKv: opts.prevKv === true };
    const prefixLength = this.ns.prefix.length;
    const core = this.core;
    return new Observable<WatchEvent>((subscriber) => {
      if (core.closed) {
        subscriber.error(new ClosedError());
        return undefined;
      }
      return core.watchHub.subscribe(target, opts.fromRevision, {
        prefixLength,
        next: (batch) => {
          for (const event of batch.view(prefixLength, toWatchEvent)) subscriber.next(event);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
  }

  async session(opts: { ttlSeconds?: number } = {}): Promise<Session> {
    const ttl = opts.ttlSeconds ?? this.core.sessionTtlSeconds;
    checkPositiveInt(ttl, 'ttlSeconds', MAX_TTL_SECONDS);
    return this.core.createSession(ttl);
  }

  topic<T = unknown>(name: string, opts: TopicOptions<T> = {}): Topic<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createTopic(this, name, checkCodec(opts.codec), opts.retention);
  }

  mutex(name: string): Mutex {
    checkPrimitiveName(this, name);
    const mutex = createMutex(this, name);
    return this.core.telemetry ? instrumentMutex(mutex, this.core.telemetry, name) : mutex;
  }

  rwlock(name: string): RWLock {
    checkPrimitiveName(this, name);
    const rwlock = createRWLock(this, name);
    return this.core.telemetry ? instrumentRWLock(rwlock, this.core.telemetry, name) : rwlock;
  }

  semaphore(name: string, permits: number): Semaphore {
    checkPrimitiveName(this, name);
    checkPositiveInt(permits, 'permits');
    const semaphore = createSemaphore(this, name, permits);
    return this.core.telemetry ? instrumentSemaphore(semaphore, this.core.telemetry, name) : semaphore;
  }

  election(name: string): Election {
    checkPrimitiveName(this, name);
    const election = createElection(this, name);
    return this.core.telemetry ? instrumentElection(election, this.core.telemetry, name) : election;
  }

  barrier(name: string): Barrier {
    checkPrimitiveName(this, name);
    return createBarrier(this, name);
  }

  doubleBarrier(name: string, count: number): DoubleBarrier {
    checkPrimitiveName(this, name);
    checkPositiveInt(count, 'count');
    return createDoubleBarrier(this, name, count);
  }

  queue<T = unknown>(name: string, opts: { codec?: Codec<T> } = {}): Queue<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createQueue(this, name, checkCodec(opts.codec));
  }

  priorityQueue<T = unknown>(name: string, opts: { codec?: Codec<T> } = {}): PriorityQueue<T> {
    checkPrimitiveName(this, name, { encoded: true });
    return createPriorityQueue(this, name, checkCodec(opts.codec));
  }

  services<M extends Record<string, unknown> = Record<string, unknown>>(name: string): ServiceRegistry<M> {
    checkPrimitiveName(this, name, { encoded: true });
    // Metadata is JSON the registrants wrote: `M` only types it for the caller.
    return createServiceRegistry(this, name) as unknown as ServiceRegistry<M>;
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
