/**
 * The local dispatcher of one queue inside one client: a FIFO of waiting
 * `dequeue()`/`claim()`/job calls served by a single pump, so the waiters of a
 * client never race each other (nor wake up all at once) on an enqueue. Only
 * the pump reads the queue, and the client holds one watch of it (items and
 * claim markers) while a call waits for the queue to change, and for
 * {@link LINGER_MS} after, so the waits of a consumer loop join a live watch
 * instead of each opening a server watcher from a past revision. Those
 * watches start at etcd's current revision (synced at once: see
 * `../kit/follow-read.ts`), and the scan that follows reads after they started. Consumers
 * that find free items in their view need no events (each claim re-checks its
 * items in etcd), so busy consumers hold no watch.
 *
 * ## Pump
 * | step | what happens |
 * |---|---|
 * | scan | one read-only txn: the claim markers and the first items (keys only, in queue order) at revision R; they become the client's view of the queue's head (`view.ts`), kept current by the watch (events after R) while it is held, else by what the client's own claims find |
 * | claim | the first free items of the view, in order, go into one claim txn that claims the first of them nobody took (`markers.ts`): consumers of several clients racing for the head each get an item instead of failing on each other's; `dequeue()` and `claim()` waiters are served one claim at a time (their order is the queue's); job slots (`process()`) claim in parallel, each txn with its own items |
 * | serve | a `claim()` or job gets the item as is; for a `dequeue()` a second txn deletes item and marker together |
 * | wait | nothing free in the view: scan again if the queue goes past the view; else, with no watch held, watch and scan again; else wait for the watch (an item put, a marker deleted) |
 * | error | retryable (connection, leader change, compaction, lost lease): back off and scan again; `ClosedError` or anything else: every waiter rejects |
 *
 * Every write is safe under an unknown outcome (see `markers.ts`). An item
 * is never deleted, nor written again, for a waiter that has left:
 * - a waiter that aborts before the deleting txn of its item is sent leaves
 *   at once (`AbortError`); the item claimed for it goes to the next waiter,
 *   or back to the queue by deleting the marker — at its place, nothing rewritten;
 * - a `dequeue()` aborted while that txn is in flight is settled by its
 *   outcome: item deleted → the dequeue resolves with it (the abort came too
 *   late); not deleted → `AbortError`.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import { ClosedError, CompactedError, ConclaveError, abortErrorOf, throwIfAborted } from '../errors.js';
import type { RangeRequest, WireKeyValue } from '../transport/index.js';
import type { WatchEvent } from '../types.js';
import { Backoff, sleep } from '../backoff.js';
import { Registry } from '../kit/registry.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { counterKeyOf } from './job-keys.js';
import type { QueueLayout } from './layout.js';
import { dropMarker, finishTake, placeMarker, type Candidate, type TakenItem } from './markers.js';
import { QueueWatch } from './queue-watch.js';
import { QueueView, type Entry } from './view.js';

export type TakeMode = 'take' | 'claim' | 'job';
export type { HeldClaim, TakenItem } from './markers.js';

interface Waiter {
  mode: TakeMode;
  /** Set while the txn that deletes an item for this waiter is in flight: an abort then only marks it (see `lateAbort`). */
  committed: boolean;
  /** An abort that came while `committed`: honoured if the item did not go to this waiter. */
  lateAbort?: ConclaveError | undefined;
  resolve(item: TakenItem): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** Items read per scan. */
const SCAN_BATCH = 128n;
/** Items one claim txn tries, in order (the first free one is claimed). */
const CHAIN = 8;
/** Claim txns of job slots in flight at once per client. */
const MAX_PARALLEL = 16;
/** How long the watch is kept once nobody waits (a consumer loop's next call joins it). */
export const LINGER_MS = 300;

const dispatchers = new Registry<Dispatcher>();

/** The dispatcher of `layout` in `store`'s client (shared by every queue object of that name in the client). */
export function dispatcherFor(store: Store, layout: QueueLayout): Dispatcher {
  const id = `${layout.kind}:${hex(store.key(layout.itemsPrefix))}:${hex(store.key(''))}`;
  return dispatchers.ensure(store.connection, id, (forget) => new Dispatcher(store, layout, forget));
}

export class Dispatcher {
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  private controller: AbortController | undefined;
  /** The client's view of the queue's head; undefined until scanned (and after a failure). */
  private view: QueueView | undefined;
  /** Events that came while a scan was in flight (applied once it answers). */
  private pending: WatchEvent[] | undefined;
  /** The watches of the items and the markers, held while anyone waits (and {@link LINGER_MS} after). */
  private readonly watching: QueueWatch;
  /** A failure of the watch or of a claim in flight, for the pump to handle. */
  private failure: { error: unknown } | undefined;
  /** Claim txns (with their delivery) in flight. */
  private inflight = 0;
  /** Wakes the pump when something changed (an event, a claim settled, a waiter came). */
  private wakeUp: (() => void) | undefined;
  private linger: ReturnType<typeof setTimeout> | undefined;
  /** Waits for a change in progress (the watch is kept while any lasts). */
  private waiting = 0;

  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
    private readonly onIdle: () => void,
  ) {
    this.watching = new QueueWatch(store, layout);
  }

  /**
   * A claim of this client on `suffix` was released (its marker deleted at
   * `revision`, when known): the item is free again in the view at once, so a
   * call made after the release sees it (the watch would tell a little later).
   */
  released(suffix: string | undefined, revision: bigint | undefined): void {
    if (suffix !== undefined && revision !== undefined) this.view?.marker(suffix, false, revision);
    this.wake();
    if (this.waiters.length === 0 && this.inflight === 0 && !this.watched) this.onIdle();
  }

  /** Waits in line for an item, taken or claimed. */
  enlist(mode: TakeMode, signal?: AbortSignal): Promise<TakenItem> {
    this.store.checkOpen();
    throwIfAborted(signal);
    return new Promise<TakenItem>((resolve, reject) => {
      const onAbort = (): void => {
        if (waiter.committed) waiter.lateAbort = abortErrorOf(signal!);
        else if (this.remove(waiter)) reject(abortErrorOf(signal!));
      };
      const waiter: Waiter = {
        mode,
        committed: false,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.wake();
      void this.pump();
    });
  }

  private remove(waiter: Waiter): boolean {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return false;
    this.waiters.splice(index, 1);
    waiter.cleanup();
    if (this.waiters.length === 0) this.controller?.abort(new ClosedError('no waiter left'));
    return true;
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Resolves at the next {@link wake} (or when `signal` aborts). */
  private changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wakeUp = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const controller = new AbortController();
    this.controller = controller;
    const backoff = new Backoff();
    try {
      while (this.waiters.length > 0 && !controller.signal.aborted) {
        try {
          const failure = this.failure;
          this.failure = undefined;
          if (failure) throw failure.error;
          if (!this.view) {
            await this.scan(controller.signal);
            backoff.reset();
            continue;
          }
          const room = this.room();
          if (room > 0) {
            const chains = this.pick(room);
            if (chains.length > 0) {
              const mode = this.waiters[this.inflight]?.mode ?? 'take';
              for (const chain of chains) this.launch(chain, mode);
              // Unwatched, a priority queue's view is not reused: a new item may outrank it.
              if (!this.watched && this.layout.order === 'key') this.view = undefined;
              continue;
            }
            if (this.view.partial && this.inflight === 0) {
              this.view = undefined; // nothing free in the view, but the queue goes on: read further
              continue;
            }
            if (this.inflight === 0 && !this.watched) {
              // About to wait for a change: watch first, then read again, so that nothing put meanwhile is missed.
              this.watch();
              this.view = undefined;
              continue;
            }
          }
          if (room > 0 && this.inflight === 0) await this.wait(controller.signal);
          else await this.changed(controller.signal); // a claim in flight settles
        } catch (error) {
          this.view = undefined; // what was scanned before a failure is not trusted: scan again
          if (controller.signal.aborted) break;
          if (!isTransient(error)) {
            this.failAll(error);
            break;
          }
          await sleep(backoff.next(), controller.signal).catch(() => undefined);
        }
      }
    } catch (error) {
      this.failAll(error);
    } finally {
      this.pumping = false;
      if (this.controller === controller) this.controller = undefined;
      if (this.waiters.length > 0) void this.pump();
      else this.idle();
    }
  }

  /** Waits for a change of the queue (through the watch, kept while this wait lasts), or a waiter come or gone. */
  private async wait(signal: AbortSignal): Promise<void> {
    this.waiting++;
    clearTimeout(this.linger);
    this.linger = undefined;
    try {
      await this.changed(signal);
    } finally {
      this.waiting--;
      this.lingerOn();
    }
  }

  /** Nobody waits: keep the watch for {@link LINGER_MS}, then let go of it and of this dispatcher. */
  private idle(): void {
    this.lingerOn();
  }

  /**
   * {@link LINGER_MS} after the last wait for a change: let go of the watch (busy consumers that
   * find items in their view need no events: every claim re-checks its items); with nobody
   * waiting in line either, let go of the view and of this dispatcher.
   */
  private lingerOn(): void {
    if (this.linger || this.waiting > 0 || (!this.watched && this.view === undefined)) return;
    this.linger = setTimeout(() => {
      this.linger = undefined;
      if (this.waiting > 0) return;
      this.watching.release();
      if (this.pumping || this.waiters.length > 0 || this.inflight > 0) return;
      this.view = undefined;
      this.onIdle();
    }, LINGER_MS);
    (this.linger as { unref?: () => void }).unref?.();
  }

  private failAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  /** How many claim txns may start now: one at a time for `dequeue()`/`claim()` (their order is the queue's), several for job slots. */
  private room(): number {
    const free = this.waiters.length - this.inflight;
    if (free <= 0) return 0;
    if (this.waiters.some((w) => w.mode !== 'job')) return this.inflight === 0 ? 1 : 0;
    return Math.max(0, Math.min(free, MAX_PARALLEL - this.inflight));
  }

  /** Up to `count` disjoint chains of free entries, in queue order (fewer when the view has fewer). */
  private pick(count: number): Entry[][] {
    const free: Entry[] = [];
    for (const entry of this.view!.free()) {
      free.push(entry);
      if (free.length >= count * CHAIN) break;
    }
    const chains: Entry[][] = [];
    const n = Math.min(count, free.length);
    const per = Math.ceil(free.length / Math.max(n, 1));
    for (let i = 0; i < n; i++) {
      const chain = free.slice(i * per, (i + 1) * per);
      if (chain.length > 0) chains.push(chain);
    }
    return chains;
  }

  /** Sends one claim txn for `chain` and serves its item; its outcome wakes the pump. */
  private launch(chain: Entry[], mode: TakeMode): void {
    this.inflight++;
    for (const entry of chain) entry.busy = true;
    const view = this.view!;
    const run = async (): Promise<void> => {
      const session = await this.store.session();
      // A job's delivery is counted by the claim txn itself (see `job-keys.ts`).
      const candidates: Candidate[] = chain.map((e) => ({
        key: e.key,
        stored: e.stored,
        modRevision: e.modRevision,
        marker: this.store.key(this.layout.claimsPrefix + e.suffix),
        suffix: e.suffix,
        counter: mode === 'job' ? this.store.key(counterKeyOf(this.layout.name, e.suffix, e.modRevision)) : undefined,
      }));
      const placed = await placeMarker(this.store, candidates, session);
      for (const c of placed.taken) {
        const entry = view.get(c.suffix!);
        if (entry && entry.modRevision === c.modRevision) entry.lost = true;
      }
      const item = placed.item;
      if (!item) return;
      view.marker(item.suffix!, true, item.claim!.markerRevision);
      await this.deliver(item); // an item that went back (or away) shows in the watch
    };
    run()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.inflight--;
        for (const entry of chain) entry.busy = false;
        this.wake();
        if (this.waiters.length === 0) this.idle();
      });
  }

  /** Holds the watches of the items and the markers, if not held (followed by the next scan, which reads after they started). */
  private watch(): void {
    clearTimeout(this.linger); // kept at least until the wait it is opened for
    this.linger = undefined;
    this.watching.hold();
  }

  /** Follows the held watches: events go to the view, or to `pending` during a scan. Resolves with the latest of their starts. */
  private follow(signal: AbortSignal): Promise<bigint | undefined> {
    return this.watching.follow(signal, {
      next: (batch) => {
        for (const event of this.store.eventsOf(batch)) {
          if (this.pending) this.pending.push(event);
          else if (this.view) this.view.apply(event);
        }
        this.wake();
      },
      error: (error) => {
        this.watching.release();
        this.view = undefined;
        this.failure ??= { error };
        this.wake();
      },
      complete: () => {
        this.watching.release();
        this.view = undefined;
        this.wake();
      },
    });
  }

  private get watched(): boolean {
    return this.watching.held;
  }

  /** Reads the markers and the first items at one revision (further pages while all are claimed) into a new view. */
  private async scan(signal: AbortSignal): Promise<void> {
    const { store, layout } = this;
    if (this.watched) this.pending = [];
    try {
      // Held watches not followed yet: followed from where they started, read meanwhile (and again if answered first).
      const following = this.watched && !this.watching.following ? this.follow(signal) : undefined;
      following?.catch(() => undefined);
      const items: RangeRequest = {
        ...layout.itemsRange(store),
        keysOnly: true,
        limit: SCAN_BATCH,
        ...(layout.order === 'create' ? { sortTarget: 'create' as const, sortOrder: 'ascend' as const } : {}),
      };
      const head = { compare: [], success: [op.range({ ...store.prefix(layout.claimsPrefix), keysOnly: true }), op.range(items)], failure: [] };
      let res = await store.txn(head, signal);
      if (((await following) ?? 0n) > res.header.revision) res = await store.txn(head, signal);
      const revision = res.header.revision;
      const markers = rangeOf(res, 0).kvs;
      const claimed = new Set(markers.map((kv) => store.userKey(kv.key).slice(layout.claimsPrefix.length)));
      const read: WireKeyValue[] = [];
      let page = rangeOf(res, 1);
      for (;;) {
        read.push(...page.kvs);
        const free = page.kvs.some((kv) => {
          const suffix = layout.itemSuffix(store.userKey(kv.key));
          return suffix !== undefined && !claimed.has(suffix);
        });
        const last = page.kvs[page.kvs.length - 1];
        if (free || !page.more || !last) break;
        // Every item of this page is claimed: read the next page at the same revision.
        const next: RangeRequest =
          layout.order === 'create' ? { ...items, minCreateRevision: last.createRevision + 1n } : { ...items, key: Uint8Array.of(...last.key, 0) };
        page = await store.range({ ...next, revision }, signal);
      }
      // A watch that failed meanwhile left its error for the pump; one let go of meanwhile leaves a plain snapshot.
      const view = new QueueView(store, layout, revision, read, markers, page.more);
      for (const event of this.pending ?? []) view.apply(event);
      this.view = view;
    } finally {
      this.pending = undefined;
    }
  }

  /**
   * Gives a claimed item to the first waiter: as is to a `claim()`; to a
   * `dequeue()` once the item and its marker are deleted. The abort of a
   * dequeue is decided before that delete is sent: an abort while it is in
   * flight is too late if the item was deleted (the dequeue resolves with it),
   * honoured otherwise. With no waiter left the marker is deleted: the item is
   * visible again at its place. Resolves true if a waiter got the item.
   */
  private async deliver(item: TakenItem): Promise<boolean> {
    const head = this.waiters[0];
    if (!head) {
      this.released(item.suffix, await dropMarker(this.store, item.claim!));
      return false;
    }
    if (head.mode !== 'take') {
      this.remove(head);
      head.resolve(item);
      return true;
    }
    head.committed = true;
    let outcome: 'taken' | 'gone' = 'gone';
    try {
      outcome = await finishTake(this.store, item);
    } finally {
      head.committed = false;
      if (outcome === 'taken' && this.remove(head)) head.resolve({ ...item, claim: undefined });
      else if (head.lateAbort && this.remove(head)) head.reject(head.lateAbort);
    }
    return outcome === 'taken';
  }
}

/** Failures after which the pump scans again (after a backoff) instead of failing its waiters. */
function isTransient(error: unknown): boolean {
  if (error instanceof ClosedError) return false;
  if (error instanceof CompactedError) return true;
  if (error instanceof ConclaveError) return error.retryable || error.message.includes('lease not found');
  return false;
}
