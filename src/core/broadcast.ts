/**
 * A broadcast: one server watcher on one key range, shared by every
 * subscriber of a client that asked for that range with the same options
 * (etcd grpc-proxy's `watchBroadcast`, inside the client).
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import type { WireEvent } from '../transport/index.js';
import { SubscriberList, type Slotted } from './subscriber-list.js';

/** What one broadcast watches. */
export interface WatchTarget {
  /** Stored (namespaced) key. */
  key: Uint8Array;
  rangeEnd?: Uint8Array | undefined;
  prevKv: boolean;
  /** Deletes only (etcd's `NOPUT` filter). */
  noPut?: boolean | undefined;
  /**
   * A long-lived watch of the kit's waits ({@link WatchHub.joinNow}): its server watcher starts at etcd's current
   * revision (so etcd puts it in its synced group at once), and subscribers join it only from a revision its kept
   * history covers. Never shared with ordinary subscriptions.
   */
  fromNow?: boolean | undefined;
}

/** The broadcast id of a target: subscriptions with the same id share one server watcher. */
export function broadcastId(target: WatchTarget): string {
  const flags = `${target.prevKv ? 1 : 0}${target.noPut ? 'd' : ''}${target.fromNow ? 'n' : ''}`;
  // join() makes one flat string; a template would keep a tree of concatenations alive as the map key (~150 B per broadcast).
  return [hex(target.key), target.rangeEnd ? hex(target.rangeEnd) : '-', flags].join(':');
}

/** Splits a response's events into one batch per revision (etcd may put several revisions in one response). */
export function batchesOf(events: readonly WireEvent[]): Batch[] {
  const batches: Batch[] = [];
  let start = 0;
  for (let i = 1; i <= events.length; i++) {
    if (i === events.length || events[i]!.kv.modRevision !== events[start]!.kv.modRevision) {
      batches.push(new Batch(events[start]!.kv.modRevision, events.slice(start, i)));
      start = i;
    }
  }
  return batches;
}

/** All events of one revision, as etcd delivers them. Views per namespace depth are built once and shared. */
export class Batch {
  /** The view of the depth asked for last (every subscriber of one namespace asks for the same): no map lookup. */
  private lastView: { prefixLength: number; view: readonly unknown[] } | undefined;
  private views: Map<number, unknown[]> | undefined;
  constructor(
    readonly revision: bigint,
    readonly events: readonly WireEvent[],
  ) {}

  /** The events converted for subscribers whose namespace prefix has `prefixLength` bytes; converted once per batch. */
  view<T>(prefixLength: number, convert: (event: WireEvent, prefixLength: number) => T): readonly T[] {
    const last = this.lastView;
    if (last !== undefined && last.prefixLength === prefixLength) return last.view as readonly T[];
    return this.convertedView(prefixLength, convert);
  }

  /** {@link view}'s slow path, apart: its closure would make every call allocate a context (once per subscriber per event). */
  private convertedView<T>(prefixLength: number, convert: (event: WireEvent, prefixLength: number) => T): readonly T[] {
    this.views ??= new Map();
    let view = this.views.get(prefixLength) as T[] | undefined;
    if (!view) {
      view = this.events.map((e) => convert(e, prefixLength));
      this.views.set(prefixLength, view);
    }
    this.lastView = { prefixLength, view };
    return view;
  }
}

/** What a subscription looks like to the hub. */
export interface Sink {
  /** Bytes of the subscriber's namespace prefix (to strip from keys). */
  readonly prefixLength: number;
  next(batch: Batch): void;
  error(error: Error): void;
  complete(): void;
  /** A `fromNow` broadcast is acknowledged by etcd: it delivers every event after `revision` (see {@link WatchHub.joinNow}). */
  started?(revision: bigint): void;
}

/** Bits of {@link Subscription.flags}. */
const LIVE = 1;
const KEEPER = 2;
const CONFIRMED = 4;
const CLOSED = 8;

/**
 * One subscription: delivers each revision at most once, in order. Kept small (100,000 of them on one key are one
 * broadcast's list): its booleans share one number, and it is its own teardown ({@link unsubscribe}).
 */
export class Subscription implements Slotted {
  /** Highest revision delivered (or skipped as "before subscribe"); later batches only. */
  lastRevision: bigint;
  /** Still being fed by its own catch-up watcher. */
  catchUp: import('../transport/index.js').WatcherHandle | undefined = undefined;
  /** The broadcast it is joined to, or (while catching up) will join. Always the current one: moves and replacements update it. */
  broadcast: Broadcast | undefined = undefined;
  /**
   * The store revision at which etcd first acknowledged a watcher covering this live subscription (its `created`
   * header, or the revision it joined an acknowledged watcher at). Every event after it is owed: a compaction past it
   * fails the subscription with `CompactedError` even while unconfirmed; only one never acknowledged, or compacted
   * no further than this, may be moved.
   */
  acknowledgedAt: bigint | undefined = undefined;
  /** Its index in its broadcast's {@link SubscriberList}. */
  slot = -1;
  /** {@link live}, {@link keeper}, {@link confirmed}, {@link closed} as bits. */
  private flags: number;

  constructor(
    readonly sink: Sink,
    lastRevision: bigint,
    live: boolean,
    /** Only keeps a `fromNow` broadcast open for the kit's waits (not counted as a subscriber in the stats). */
    keeper = false,
    /** Whom {@link unsubscribe} asks to end this subscription (its hub). */
    private readonly owner?: { unsubscribe(sub: Subscription): void },
  ) {
    this.lastRevision = lastRevision;
    this.flags = (live ? LIVE : 0) | (keeper ? KEEPER : 0);
  }

  /** A live subscription (no `fromRevision`): may be moved past a compaction it never depended on. */
  get live(): boolean {
    return (this.flags & LIVE) !== 0;
  }

  /** Only keeps a `fromNow` broadcast open for the kit's waits (not counted as a subscriber in the stats). */
  get keeper(): boolean {
    return (this.flags & KEEPER) !== 0;
  }

  /**
   * etcd confirmed a watcher that covers this subscription's start (see {@link Broadcast.confirmed}): from then on the
   * events after the start must arrive, or the subscription fails with `CompactedError`. Only an unconfirmed live
   * subscription may instead be moved past a compaction.
   */
  get confirmed(): boolean {
    return (this.flags & CONFIRMED) !== 0;
  }

  set confirmed(value: boolean) {
    this.flags = value ? this.flags | CONFIRMED : this.flags & ~CONFIRMED;
  }

  /** Ended (unsubscribed, failed or completed): delivers nothing more. */
  get closed(): boolean {
    return (this.flags & CLOSED) !== 0;
  }

  set closed(value: boolean) {
    this.flags = value ? this.flags | CLOSED : this.flags & ~CLOSED;
  }

  /** Delivers the batch if it is newer than anything delivered; isolates the subscriber's own failures. */
  deliver(batch: Batch): void {
    if ((this.flags & CLOSED) !== 0 || batch.revision <= this.lastRevision) return;
    this.lastRevision = batch.revision;
    this.sink.next(batch);
  }

  /** Ends the subscription (RxJS takes it as a teardown: no closure per subscription). */
  unsubscribe(): void {
    this.owner?.unsubscribe(this);
  }
}

/** How many recent batches a broadcast keeps so late subscribers can join without a watcher of their own. */
export const DEFAULT_HISTORY_BATCHES = 512;

export class Broadcast {
  /** Joined subscriptions, in subscription order (a `Set`-like list: see {@link SubscriberList}). */
  readonly subscribers = new SubscriberList<Subscription>();
  /** Every event with revision <= position has been delivered to the joined subscribers. */
  position: bigint;
  /** The history holds every batch with revision in (historyStart, position]. */
  historyStart: bigint;
  private readonly history: Batch[] = [];
  handle: import('../transport/index.js').WatcherHandle | undefined;
  /**
   * etcd confirmed that the current watcher delivers every event after `position`: it was created with its start past
   * etcd's revision (a future start cannot be compacted), or it delivered events or a progress notification (etcd
   * sends those only once the watcher has caught up on the history). A created watcher whose start is in the past is
   * not confirmed yet: etcd answers `created` first and may report the start compacted right after.
   */
  confirmed = false;
  /** The `created` header revision of the current server watcher; undefined until etcd acknowledged it, or while there is none. */
  createdAt: bigint | undefined;

  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array | undefined;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly fromNow: boolean;

  /** `startRevision` 0 (a `fromNow` target only): from etcd's current revision, `position` unknown (-1) until `begin()`. */
  constructor(
    readonly id: string,
    target: WatchTarget,
    startRevision: bigint,
    private readonly historyLimit = DEFAULT_HISTORY_BATCHES,
  ) {
    this.key = target.key;
    this.rangeEnd = target.rangeEnd;
    this.prevKv = target.prevKv;
    this.noPut = target.noPut === true;
    this.fromNow = target.fromNow === true;
    this.position = startRevision - 1n;
    this.historyStart = this.position;
  }

  /** Subscribers, keepers of a `fromNow` broadcast left out. */
  get subscriberCount(): number {
    if (!this.fromNow) return this.subscribers.size;
    let n = 0;
    this.subscribers.forEachLive((sub) => {
      if (!sub.keeper) n++;
    });
    return n;
  }

  /** Whether etcd has told from which revision this broadcast delivers (always, except a `fromNow` one before `begin()`). */
  get begun(): boolean {
    return this.position >= 0n;
  }

  /** etcd created the `fromNow` watcher at `revision`: it delivers every event after it. Tells every subscriber. */
  begin(revision: bigint): void {
    this.position = revision;
    this.historyStart = revision;
    this.subscribers.forEachLive((sub) => {
      if (sub.lastRevision < revision) sub.lastRevision = revision;
      sub.sink.started?.(revision);
    });
  }

  /** Records a batch and fans it out: O(subscribers), one conversion per namespace depth. */
  publish(batch: Batch): void {
    if (batch.revision <= this.position) return; // a duplicate after a resume race
    this.position = batch.revision;
    this.history.push(batch);
    if (this.history.length > this.historyLimit) this.historyStart = this.history.shift()!.revision;
    this.subscribers.forEachLive((sub) => sub.deliver(batch));
  }

  /** Nothing delivered up to `revision` is missing here: advances an idle broadcast. */
  progress(revision: bigint): void {
    if (revision > this.position) {
      // No events in (position, revision]: history stays complete over the longer span.
      this.position = revision;
    }
  }

  /** Whether a subscription that has seen everything up to `revision` can join with no gap. */
  canJoinAt(revision: bigint): boolean {
    return this.begun && revision >= this.historyStart;
  }

  /** Joins `sub`, replaying the kept batches it has not seen. */
  join(sub: Subscription): void {
    for (const batch of this.history) sub.deliver(batch);
    // `<=`: an equal revision is replaced by the broadcast's own bigint (one less object per subscription).
    if (sub.lastRevision <= this.position) sub.lastRevision = this.position;
    this.add(sub);
  }

  /** Adds `sub` (which has seen everything up to `position`); it is confirmed if the current watcher is. */
  add(sub: Subscription): void {
    sub.broadcast = this;
    if (this.confirmed) sub.confirmed = true;
    if (sub.live && sub.acknowledgedAt === undefined && this.createdAt !== undefined) {
      sub.acknowledgedAt = sub.lastRevision > this.createdAt ? sub.lastRevision : this.createdAt;
    }
    this.subscribers.add(sub);
  }

  /** etcd acknowledged (`created`) the current watcher at `revision`: see {@link Subscription.acknowledgedAt}. */
  acknowledge(revision: bigint): void {
    this.createdAt = revision;
    this.subscribers.forEachLive((sub) => {
      if (sub.live) sub.acknowledgedAt ??= revision;
    });
  }

  /** etcd confirmed the current watcher (see {@link confirmed}): every subscription's start is covered. */
  confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.subscribers.forEachLive((sub) => {
      sub.confirmed = true;
    });
  }
}
