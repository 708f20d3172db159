/**
 * The watch hub: every watch subscription of a client (and of all its
 * namespaces) goes through here, and all subscriptions to the same key range
 * with the same options share ONE server watcher ({@link Broadcast}) on ONE
 * multiplexed watch stream.
 *
 * ## Joining
 * A subscription has seen everything up to `lastRevision` (a live one: the
 * client's last known store revision; one with `fromRevision: r`: r - 1).
 * - No broadcast for its range: one is created starting at `lastRevision + 1`.
 * - A broadcast whose kept history reaches back to `lastRevision`: the
 *   subscription gets the kept batches it has not seen, then joins. No watcher.
 * - Otherwise (an older `fromRevision`): a catch-up watcher of its own replays
 *   history from `lastRevision + 1`; as soon as what it delivered meets the
 *   broadcast's kept history, the catch-up watcher is cancelled and the
 *   subscription joins. Each subscription drops batches at or below its
 *   `lastRevision`, so the switch has no gap and no duplicate.
 *
 * ## Stream state machine
 * | state        | event                         | next state / action |
 * |--------------|-------------------------------|---------------------|
 * | idle         | first watcher needed          | open: open stream, create every watcher |
 * | open         | stream error                  | backoff: schedule reopen (jittered, 100 ms .. 1 s) |
 * | open         | silent past progress timeout  | backoff: close stream, schedule reopen |
 * | backoff      | timer                         | open: recreate every watcher from its position + 1 (+ single keys: one from now, see resume-probe.ts) |
 * | open         | last watcher cancelled        | idle: close stream |
 * | any          | hub closed                    | closed: complete every subscription |
 *
 * A server cancel with a compaction errors only that watcher's subscriptions
 * with `CompactedError`. Only live subscriptions whose start etcd never
 * confirmed are moved to the compaction revision instead (e.g. subscribed
 * during an outage, or from a known revision older than the compaction) —
 * and only if the compaction lost nothing after the revision at which etcd
 * acknowledged their watcher (`created`): those events are owed. A
 * start is confirmed when a watcher covering it is created with its start
 * past etcd's revision, or delivers events or a progress notification (see
 * `Broadcast.confirmed`). Once confirmed, a subscription gets every event
 * after its start or `CompactedError`, never a silent gap. Other cancels
 * (permission) error that watcher's subscriptions with the mapped error.
 *
 * A subscription always knows its current broadcast (`sub.broadcast`): moves
 * and replacements update it, so an unsubscribe releases the right watcher.
 * @module
 * @internal
 */
import { Backoff } from '../backoff.js';
import type { Log } from '../logger.js';
import { CompactedError } from '../errors.js';
import type { ResponseHeader, Transport, WatchCancel, WatchCreateRequest, WatchFilter, WatchStream, WatcherHandle, WatcherListener } from '../transport/index.js';
import { batchesOf, Broadcast, broadcastId, Subscription, type Sink, type WatchTarget } from './broadcast.js';
import { isSingleKey, MAX_PROBES_PER_REOPEN, probeGap, ResumeProbe } from './resume-probe.js';
import { StreamWatchdog } from './stream-watchdog.js';

export type { WatchTarget };

export interface WatchHubOptions {
  /** How long the stream may stay silent (with watchers open) before a progress request; default 5000 ms. */
  progressIntervalMs?: number;
  /** How long to wait for any message after a progress request before reopening; default 3000 ms. */
  progressTimeoutMs?: number;
  /** On resume, also watches single keys from etcd's current revision, adopted once reads prove the gap empty (resume-probe.ts); default false (the core sets it). */
  probeResumes?: boolean;
  /** Batches kept per broadcast for late joiners; default 512. */
  historyBatches?: number;
  /** Where resumes are logged. */
  log?: Log;
}

type StreamState = 'idle' | 'open' | 'backoff' | 'closed';

export class WatchHub {
  private readonly broadcasts = new Map<string, Broadcast>();
  /** Subscriptions still fed by their own catch-up watcher (`sub.broadcast` is the one they will join). */
  private readonly catchUps = new Set<Subscription>();
  private stream: WatchStream | undefined;
  private state: StreamState = 'idle';
  /** Delays between stream reopens (the shared backoff); reset once etcd answers. */
  private readonly backoff = new Backoff(50, 1000);
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resumed broadcasts' second watchers, from etcd's current revision, while reads decide (resume-probe.ts). */
  private readonly probes = new Map<Broadcast, WatcherHandle>();
  private readonly watchdog: StreamWatchdog;
  /** Streams opened so far (1 + reconnects). */
  streamsOpened = 0;

  constructor(
    private readonly transport: Transport,
    /** The highest store revision the client has seen; live subscriptions start after it. */
    private readonly knownRevision: () => bigint,
    /** Also told every header seen (the core needs none: its observed transport reports them). */
    private readonly observeHeader?: ((header: ResponseHeader) => void) | undefined,
    private readonly options: WatchHubOptions = {},
  ) {
    this.watchdog = new StreamWatchdog(
      options.progressIntervalMs ?? 5000,
      options.progressTimeoutMs ?? 3000,
      () => (this.state === 'open' ? this.stream : undefined),
      (stream) => {
        stream.close();
        if (this.stream === stream) this.streamFailed(new Error('watch stream silent'));
      },
    );
  }

  /** Subscribes `sink` to `target`. Returns the unsubscribe function (`open`: the subscription, its own teardown). */
  subscribe(target: WatchTarget, fromRevision: bigint | undefined, sink: Sink): () => void {
    const sub = this.open(target, fromRevision, sink);
    return () => sub.unsubscribe();
  }
  open(target: WatchTarget, fromRevision: bigint | undefined, sink: Sink): Subscription {
    if (this.state === 'closed') return (sink.complete(), new Subscription(sink, 0n, false));
    const start = fromRevision === undefined ? this.knownRevision() + 1n : fromRevision > 0n ? fromRevision : 1n;
    const sub = new Subscription(sink, start - 1n, fromRevision === undefined, false, this);
    const id = broadcastId(target);
    let broadcast = this.broadcasts.get(id);
    if (!broadcast) {
      broadcast = new Broadcast(id, target, start, this.options.historyBatches);
      this.broadcasts.set(id, broadcast);
      broadcast.add(sub);
      this.createServerWatcher(broadcast);
    } else if (broadcast.canJoinAt(sub.lastRevision)) {
      broadcast.join(sub);
    } else {
      sub.broadcast = broadcast;
      this.catchUps.add(sub);
      this.createCatchUp(sub);
    }
    return sub;
  }

  /**
   * The kit's waits: one long-lived watch per target, its server watcher started at etcd's current revision (synced at
   * once, never an unsynced one from a past revision, which etcd catches up only every 100 ms). `after` undefined: keeps
   * it open (`sink.started(W)`: it delivers every event after W); else joins from `after + 1` if the kept history covers
   * it, or returns undefined having created nothing (the caller reads again at or after W). Returns the unsubscribe.
   */
  joinNow(target: WatchTarget, after: bigint | undefined, sink: Sink): (() => void) | undefined {
    if (this.state === 'closed') return (sink.complete(), () => {});
    const shared: WatchTarget = { ...target, fromNow: true };
    const id = broadcastId(shared);
    let broadcast = this.broadcasts.get(id);
    if (after !== undefined) {
      if (!broadcast?.canJoinAt(after)) return undefined;
      const sub = new Subscription(sink, after, false);
      broadcast.join(sub);
      return () => this.unsubscribe(sub);
    }
    const created = !broadcast;
    broadcast ??= new Broadcast(id, shared, 0n, this.options.historyBatches);
    const sub = new Subscription(sink, broadcast.position, false, true);
    broadcast.add(sub);
    if (!created && broadcast.begun) sink.started?.(broadcast.historyStart);
    if (created) this.broadcasts.set(id, broadcast);
    if (created) this.createServerWatcher(broadcast);
    return () => this.unsubscribe(sub);
  }

  stats(): { serverWatchers: number; watchSubscribers: number } {
    let serverWatchers = this.catchUps.size;
    let watchSubscribers = this.catchUps.size;
    for (const b of this.broadcasts.values()) {
      if (b.handle) serverWatchers++;
      watchSubscribers += b.subscriberCount;
    }
    return { serverWatchers, watchSubscribers };
  }

  /** Completes every subscription and closes the stream. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    this.stream?.close();
    this.stream = undefined;
    const subs = [...this.catchUps];
    // One push per subscription: spreading a huge set into push() overflows the stack (~120k arguments).
    for (const b of this.broadcasts.values()) for (const sub of b.subscribers) subs.push(sub);
    this.broadcasts.clear();
    this.catchUps.clear();
    for (const sub of subs) {
      sub.closed = true;
      sub.sink.complete();
    }
  }

  // ---- subscriptions ------------------------------------------------------

  /** Acts on the subscription's current broadcast: it may have been moved or replaced since the subscribe. */
  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    const broadcast = sub.broadcast;
    if (this.catchUps.delete(sub)) {
      sub.catchUp?.cancel();
      sub.catchUp = undefined;
    } else {
      broadcast?.subscribers.delete(sub);
    }
    if (broadcast) this.dropIfUnused(broadcast);
    this.idleIfEmpty();
  }

  private dropIfUnused(broadcast: Broadcast): void {
    if (broadcast.subscribers.size > 0) return;
    for (const sub of this.catchUps) if (sub.broadcast === broadcast) return;
    if (this.broadcasts.get(broadcast.id) === broadcast) this.broadcasts.delete(broadcast.id);
    broadcast.handle?.cancel();
    broadcast.handle = undefined;
    this.probes.get(broadcast)?.cancel();
    this.probes.delete(broadcast);
  }

  private idleIfEmpty(): void {
    if (this.state !== 'open' && this.state !== 'backoff') return;
    if (this.broadcasts.size > 0 || this.catchUps.size > 0) return;
    this.stopTimers();
    this.stream?.close();
    this.stream = undefined;
    this.state = 'idle';
  }

  /** A catch-up subscription joins its broadcast once what it has seen meets the broadcast's kept history. */
  private tryMerge(sub: Subscription): void {
    const broadcast = sub.broadcast;
    if (!this.catchUps.has(sub) || !broadcast || !broadcast.canJoinAt(sub.lastRevision)) return;
    this.catchUps.delete(sub);
    sub.catchUp?.cancel();
    sub.catchUp = undefined;
    broadcast.join(sub);
  }

  private mergeCatchUpsOf(broadcast: Broadcast): void {
    for (const sub of [...this.catchUps]) if (sub.broadcast === broadcast) this.tryMerge(sub);
  }

  // ---- server watchers ----------------------------------------------------

  private ensureStream(): WatchStream | undefined {
    if (this.state === 'closed' || this.state === 'backoff') return undefined;
    if (this.stream) return this.stream;
    this.state = 'open';
    this.streamsOpened++;
    this.watchdog.reset();
    const stream = this.transport.openWatch({
      onMessage: (header) => this.heard(header),
      onError: (error) => void (this.stream === stream && this.streamFailed(error)),
    });
    this.stream = stream;
    if (this.transport.capabilities.progressRequest) this.watchdog.start();
    return stream;
  }

  /** `probe`: a resumed single-key broadcast's second watcher, from etcd's current revision (synced at once), beside the one
   * from its position + 1: adopted in its place once reads prove nothing changed in between, else cancelled. */
  private createServerWatcher(broadcast: Broadcast, probe = false): void {
    const stream = this.ensureStream();
    if (!stream) return; // (re)created when the stream reopens
    if (!probe) broadcast.confirmed = false;
    if (!probe) broadcast.createdAt = undefined;
    let probing = probe ? new ResumeProbe(broadcast.position, broadcast.handle) : undefined;
    // A `fromNow` broadcast not yet begun (or a probe) starts at etcd's current revision (0); any other resumes after its position.
    const start = broadcast.begun && !probing ? broadcast.position + 1n : 0n;
    const listener: WatcherListener = {
      onCreated: (header) => {
        this.heard(header);
        const p = probing;
        if (!p) return void (broadcast.handle === handle && this.created(broadcast, start, header.revision));
        void probeGap(this.transport, broadcast.key, p.position, header.revision).then((empty) => {
          if (this.probes.get(broadcast) !== handle) return; // the stream failed, or the broadcast was dropped
          this.probes.delete(broadcast);
          if (!empty || broadcast.handle !== p.plain || this.state === 'closed') return handle.cancel();
          probing = undefined;
          p.plain?.cancel();
          broadcast.handle = handle;
          broadcast.progress(header.revision); // nothing in (position, created revision]
          for (const batch of p.pending) broadcast.publish(batch);
          this.created(broadcast, 0n, header.revision);
        });
      },
      onEvents: (events, header) => {
        this.heard(header);
        if (probing) return void (this.probes.get(broadcast) === handle && probing.pending.push(...batchesOf(events)));
        if (broadcast.handle === handle) broadcast.confirm();
        for (const batch of batchesOf(events)) broadcast.publish(batch);
        this.mergeCatchUpsOf(broadcast);
      },
      onProgress: (header) => {
        this.heard(header);
        if (probing) return;
        if (broadcast.handle === handle) broadcast.confirm();
        broadcast.progress(header.revision);
        this.mergeCatchUpsOf(broadcast);
      },
      onCanceled: (cancel) => {
        if (probing && this.probes.get(broadcast) === handle) this.probes.delete(broadcast);
        if (probing || broadcast.handle !== handle) return;
        broadcast.handle = undefined;
        this.broadcastCanceled(broadcast, cancel);
      },
    };
    const handle = stream.watch(watchRequest(broadcast, start), listener);
    if (probing) this.probes.set(broadcast, handle);
    else broadcast.handle = handle;
  }

  /** etcd created the broadcast's watcher (started at `start`, 0: its current revision) at `revision`. */
  private created(broadcast: Broadcast, start: bigint, revision: bigint): void {
    if (!broadcast.begun) broadcast.begin(revision);
    broadcast.acknowledge(revision);
    if (start === 0n || revision < start) broadcast.confirm();
    this.backoff.reset();
    this.mergeCatchUpsOf(broadcast);
  }

  private createCatchUp(sub: Subscription): void {
    const stream = this.ensureStream();
    const broadcast = sub.broadcast;
    if (!stream || !broadcast) return;
    const start = sub.lastRevision + 1n;
    const handle: WatcherHandle = stream.watch(watchRequest(broadcast, start), {
      onCreated: (header) => {
        this.heard(header);
        if (sub.catchUp === handle && header.revision < start) sub.confirmed = true;
        this.backoff.reset();
      },
      onEvents: (events, header) => {
        this.heard(header);
        if (sub.catchUp === handle) sub.confirmed = true;
        for (const batch of batchesOf(events)) sub.deliver(batch);
        this.tryMerge(sub);
      },
      onProgress: (header) => {
        this.heard(header);
        if (sub.catchUp === handle) sub.confirmed = true;
        if (header.revision > sub.lastRevision) sub.lastRevision = header.revision;
        this.tryMerge(sub);
      },
      onCanceled: (cancel) => {
        if (sub.catchUp !== handle) return;
        sub.catchUp = undefined;
        this.catchUps.delete(sub);
        this.fail(sub, cancel.error);
        if (sub.broadcast) this.dropIfUnused(sub.broadcast);
        this.idleIfEmpty();
      },
    });
    sub.catchUp = handle;
  }

  private broadcastCanceled(broadcast: Broadcast, cancel: WatchCancel): void {
    const compacted = cancel.error instanceof CompactedError && cancel.compactRevision > 0n;
    const owedLost = (s: Subscription): boolean => s.acknowledgedAt !== undefined && s.acknowledgedAt < cancel.compactRevision;
    const movable = compacted ? [...broadcast.subscribers].filter((s) => s.live && !s.confirmed && !owedLost(s)) : [];
    for (const sub of broadcast.subscribers) if (!movable.includes(sub)) this.fail(sub, cancel.error);
    broadcast.subscribers.clear();
    if (movable.length > 0) {
      // Live subscriptions asked for "from now", and etcd never confirmed a "now" before the compaction: start at the compaction point.
      const moved = new Broadcast(broadcast.id, broadcast, cancel.compactRevision, this.options.historyBatches);
      for (const sub of movable) {
        if (sub.lastRevision < moved.position) sub.lastRevision = moved.position;
        moved.add(sub);
      }
      for (const sub of this.catchUps) if (sub.broadcast === broadcast) sub.broadcast = moved;
      this.broadcasts.set(moved.id, moved);
      this.createServerWatcher(moved);
      return;
    }
    if (this.broadcasts.get(broadcast.id) === broadcast) this.broadcasts.delete(broadcast.id);
    // Catch-ups waiting for this broadcast get a fresh one to join when they finish.
    for (const sub of this.catchUps) {
      if (sub.broadcast !== broadcast) continue;
      let next = this.broadcasts.get(broadcast.id);
      if (!next) {
        next = new Broadcast(broadcast.id, broadcast, sub.lastRevision + 1n, this.options.historyBatches);
        this.broadcasts.set(next.id, next);
        this.createServerWatcher(next);
      }
      sub.broadcast = next;
    }
    this.idleIfEmpty();
  }

  private fail(sub: Subscription, error: Error): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.sink.error(error);
  }

  // ---- resume ---------------------------------------------------------------

  private streamFailed(error: Error): void {
    this.stream = undefined;
    this.options.log?.info('watch stream failed; every watcher resumes from its last delivered revision', { error, watchers: this.broadcasts.size });
    for (const b of this.broadcasts.values()) {
      b.handle = undefined;
      b.confirmed = false;
      b.createdAt = undefined;
    }
    for (const sub of this.catchUps) sub.catchUp = undefined;
    this.probes.clear();
    if (this.broadcasts.size === 0 && this.catchUps.size === 0) {
      this.stopTimers();
      this.state = 'idle';
      return;
    }
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.state === 'closed') return;
    this.state = 'backoff';
    this.stopTimers();
    const delay = this.backoff.next();
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.reopen();
    }, delay);
  }

  /** Recreates every watcher from the revision after the last one it delivered. */
  private reopen(): void {
    if (this.state !== 'backoff') return;
    this.state = 'idle';
    if (this.broadcasts.size === 0 && this.catchUps.size === 0) return;
    let probes = 0;
    for (const b of this.broadcasts.values()) {
      this.createServerWatcher(b);
      if (this.options.probeResumes && isSingleKey(b.key, b.rangeEnd) && b.position > 0n && probes++ < MAX_PROBES_PER_REOPEN) this.createServerWatcher(b, true);
    }
    for (const sub of this.catchUps) this.createCatchUp(sub);
  }

  private heard(header: ResponseHeader): void {
    this.watchdog.heard();
    this.observeHeader?.(header);
  }

  private stopTimers(): void {
    this.watchdog.stop();
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
  }
}

/** The create request of a server watcher for `broadcast` from `start` (0: etcd's current revision). */
function watchRequest(b: Broadcast, start: bigint): WatchCreateRequest {
  const filters: WatchFilter[] | undefined = b.noPut ? ['noput'] : undefined;
  return { key: b.key, rangeEnd: b.rangeEnd, startRevision: start, prevKv: b.prevKv, progressNotify: true, filters };
}
