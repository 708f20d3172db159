/**
 * The narrow handle every primitive takes instead of the client (as Go's `NewMutex(session, pfx)`
 * takes a session and a prefix): one connection's core seen through one namespace. It is the
 * one way a primitive reaches etcd (range / put / deleteRange / txn, refused with `ClosedError`
 * once the client closed; the core's observed transport reports every response header), the one
 * way it watches (straight to the core's watch hub, with the namespace applied here), the one
 * key/namespace math, and its access to the client's sessions.
 * @module
 * @internal
 */
import { Observable, type Subscriber } from 'rxjs';
import { toBytes, utf8 } from '../bytes.js';
import type { Batch, Sink } from '../core/broadcast.js';
import type { Core } from '../core/core.js';
import type { Namespace } from '../core/namespace.js';
import type { SessionImpl } from '../core/session.js';
import type { WatchTarget } from '../core/watch-hub.js';
import { ClosedError } from '../errors.js';
import type { Log } from '../logger.js';
import type {
  Bytes,
  CallOptions,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  Rev,
  TxnRequest,
  TxnResponse,
  WireKeyValue,
} from '../transport/index.js';
import type { KeyValue, WatchEvent } from '../types.js';
import { toKeyValue, toWatchEvent } from './key-values.js';

/** A session of the client, as primitives see it. */
export type { SessionImpl };

/** A key range in stored (namespaced) form. */
export interface StoredRange {
  key: Bytes;
  rangeEnd: Bytes;
}

/** What {@link Store.watch} watches: one key, or every key under it (`prefix`), from a revision. */
export interface StoreWatchOptions {
  /** Watch every key starting with the key. */
  prefix?: boolean | undefined;
  /** First revision delivered; omitted: from now on. */
  fromRevision?: Rev | undefined;
  /** Deliver each event's previous key-value. */
  prevKv?: boolean | undefined;
}

/** What receives the raw batches of {@link Store.joinNow} (keys stay in stored form). */
export interface StoredWatchSink {
  next(batch: Batch): void;
  error(error: Error): void;
  complete(): void;
  /** {@link Store.joinNow} only: the shared watch delivers every event after `revision`. */
  started?(revision: Rev): void;
}

/** The hub sink of a stored sink (its callbacks, bound). */
function sinkOf(sink: StoredWatchSink): Omit<StoredWatchSink, never> {
  return {
    next: (batch) => sink.next(batch),
    error: (e) => sink.error(e),
    complete: () => sink.complete(),
    started: (revision) => sink.started?.(revision),
  };
}

/**
 * A user's watch subscription as the hub sees it: one small object, no closure per subscription
 * (100,000 subscribers on one key are 100,000 of these), delivering each batch's shared view.
 */
class EventSink implements Sink {
  constructor(
    private readonly subscriber: Subscriber<WatchEvent>,
    readonly prefixLength: number,
  ) {}

  next(batch: Batch): void {
    const events = batch.view(this.prefixLength, toWatchEvent);
    for (let i = 0; i < events.length; i++) this.subscriber.next(events[i]!);
  }

  error(error: Error): void {
    this.subscriber.error(error);
  }

  complete(): void {
    this.subscriber.complete();
  }
}

/**
 * A core seen through a namespace: what a primitive is built on.
 *
 * @example
 * ```ts
 * const store = new Store(core, core.root.child(toBytes('app/')));
 * const res = await store.range({ key: store.key('config/mode') });
 * store.watch('config/', { prefix: true, fromRevision: res.header.revision + 1n }).subscribe((e) => console.log(e.key));
 * ```
 */
export class Store {
  /** Bytes of the namespace prefix. */
  private readonly depth: number;
  /** The target {@link watch} built last, for its user key and options. */
  private lastWatch: { userKey: string; prefix: boolean; target: WatchTarget } | undefined;

  constructor(
    private readonly core: Core,
    /** The namespace of every user key this store maps. */
    readonly ns: Namespace,
  ) {
    this.depth = ns.prefix.length;
  }

  /** A store on the same core in a nested namespace. */
  child(prefix: string): Store {
    return new Store(this.core, this.ns.child(toBytes(prefix)));
  }

  // ---- the connection -------------------------------------------------------

  /** Whether the client was closed. */
  get closed(): boolean {
    return this.core.closed;
  }

  /** Throws `ClosedError` once the client was closed. */
  checkOpen(): void {
    this.core.checkOpen();
  }

  /** etcd's request size limit the client works with. */
  get maxRequestBytes(): number {
    return this.core.maxRequestBytes;
  }

  /** Where the client logs. */
  get log(): Log {
    return this.core.log;
  }

  /** The identity of the connection: every store of one client (any namespace) has the same (see `registry.ts`). */
  get connection(): object {
    return this.core;
  }

  /** The client's shared session (locks, elections, barriers, registrations): created on first use, and again after it is lost. */
  session(options?: CallOptions): Promise<SessionImpl> {
    return this.core.session(options);
  }

  /** The shared session once its lease is granted, and `ready` once its marker is written (see `Core.sessionEarly`). */
  sessionEarly(): Promise<{ session: SessionImpl; ready: Promise<void> }> {
    return this.core.sessionEarly();
  }

  /** A session of its own, with the client's default TTL. */
  newSession(): Promise<SessionImpl> {
    return this.core.createSession(this.core.sessionTtlSeconds);
  }

  // ---- keys -----------------------------------------------------------------

  /** The stored form of a user key. */
  key(key: string): Bytes {
    return this.ns.key(toBytes(key));
  }

  /** The stored range of every key starting with `prefix`. */
  prefix(prefix: string): StoredRange {
    return this.ns.prefixRange(toBytes(prefix));
  }

  /** The stored range of every key of the client (its connect-time namespace), whatever this store's namespace. */
  rootRange(): StoredRange {
    return this.core.root.prefixRange(new Uint8Array(0));
  }

  /** The stored range `[from, to)` of two user keys. */
  between(from: string, to: string): StoredRange {
    return { key: this.key(from), rangeEnd: this.key(to) };
  }

  /** A stored key as the user sees it (namespace removed). */
  userKey(stored: Bytes): string {
    return utf8(this.ns.strip(stored));
  }

  /** A stored key-value as the user sees it. */
  toKeyValue(kv: WireKeyValue): KeyValue {
    return toKeyValue(kv, this.depth);
  }

  // ---- calls ----------------------------------------------------------------

  async range(request: RangeRequest, signal?: AbortSignal): Promise<RangeResponse> {
    this.core.checkOpen();
    return this.core.transport.range(request, { signal });
  }

  async put(request: PutRequest, signal?: AbortSignal): Promise<PutResponse> {
    this.core.checkOpen();
    return this.core.transport.put(request, { signal });
  }

  async deleteRange(request: DeleteRangeRequest, signal?: AbortSignal): Promise<DeleteRangeResponse> {
    this.core.checkOpen();
    return this.core.transport.deleteRange(request, { signal });
  }

  async txn(request: TxnRequest, signal?: AbortSignal): Promise<TxnResponse> {
    this.core.checkOpen();
    return this.core.transport.txn(request, { signal });
  }

  // ---- watches --------------------------------------------------------------

  /**
   * The events of a user key (or prefix) as users see them, through the core's shared watch
   * hub. Errors with `ClosedError` when subscribed after close; completes when the client closes.
   */
  watch(key: string, opts: StoreWatchOptions = {}): Observable<WatchEvent> {
    const target = this.watchTarget(key, opts.prefix === true, opts.prevKv === true);
    const fromRevision = opts.fromRevision;
    return new Observable<WatchEvent>((subscriber) => {
      if (this.core.closed) {
        subscriber.error(new ClosedError());
        return undefined;
      }
      return this.core.watchHub.open(target, fromRevision, new EventSink(subscriber, this.depth));
    });
  }

  /** The stored target of a user watch; the last one is reused (many subscriptions to one key build it once). */
  private watchTarget(key: string, prefix: boolean, prevKv: boolean): WatchTarget {
    const last = this.lastWatch;
    if (last && last.userKey === key && last.prefix === prefix && last.target.prevKv === prevKv) return last.target;
    const range = prefix ? this.ns.prefixRange(toBytes(key)) : { key: this.ns.key(toBytes(key)), rangeEnd: undefined };
    const target: WatchTarget = { key: range.key, rangeEnd: range.rangeEnd, prevKv };
    this.lastWatch = { userKey: key, prefix, target };
    return target;
  }

  /**
   * The kit's shared watches (see `shared-watch.ts` and `WatchHub.joinNow`): `after` undefined keeps the watch of
   * `range` open (`sink.started` tells from which revision it delivers); else joins it from `after + 1`, or returns
   * undefined when its kept history does not reach back that far. Keys stay in stored form.
   */
  joinNow(range: StoredRange & { noPut?: boolean | undefined }, after: Rev | undefined, sink: StoredWatchSink): (() => void) | undefined {
    const target: WatchTarget = { key: range.key, rangeEnd: range.rangeEnd, prevKv: false, noPut: range.noPut === true };
    return this.core.watchHub.joinNow(target, after, { prefixLength: 0, ...sinkOf(sink) });
  }

  /** The events of a batch of stored keys as users of this store see them (keys without its namespace). */
  eventsOf(batch: Batch): readonly WatchEvent[] {
    return batch.view(this.depth, toWatchEvent);
  }

}

/** The range response of a txn's `index`-th operation. */
export function rangeOf(res: TxnResponse, index: number): RangeResponse {
  const op: ResponseOp | undefined = res.responses[index];
  if (!op || !('range' in op)) throw new Error(`txn response ${index} is not a range`);
  return op.range;
}

/** The delete response of a txn's `index`-th operation. */
export function deleteOf(res: TxnResponse, index: number): DeleteRangeResponse {
  const op: ResponseOp | undefined = res.responses[index];
  if (!op || !('deleteRange' in op)) throw new Error(`txn response ${index} is not a deleteRange`);
  return op.deleteRange;
}

/** The kvs of the `index`-th response of a txn, when it is a range (none otherwise). */
export function rangeKvs(responses: readonly unknown[], index: number): WireKeyValue[] {
  const op = responses[index] as { range?: { kvs: WireKeyValue[] } } | undefined;
  return op?.range?.kvs ?? [];
}

/** Shorthands for txn operations. */
export const op = {
  range: (range: RangeRequest): RequestOp => ({ range }),
  put: (put: PutRequest): RequestOp => ({ put }),
  del: (deleteRange: DeleteRangeRequest): RequestOp => ({ deleteRange }),
};
