/**
 * The local dispatcher of one queue inside one client: a FIFO of waiting
 * `dequeue()`/`claim()` calls served one at a time by a single pump, so the
 * waiters of a client never race each other (nor wake up all at once) on an
 * enqueue. Only the pump reads the queue and watches it.
 *
 * ## Pump
 * | step | what happens |
 * |---|---|
 * | scan | one read-only txn: the claim markers and the first items (keys only, in queue order) at revision R |
 * | serve | for each unclaimed item, in order, while a waiter is left (FIFO queue: the rest is kept for the next calls, for up to 1 s or until a claim is released here): claim it (txn: a marker on the session lease if its mod revision is unchanged and it has no marker; a failed guard means another consumer got it: try the next); a `claim()` gets it as is; for a `dequeue()` a second txn deletes item and marker together |
 * | wait | nothing to take: watch the items and the markers from R + 1 until an item is put or a marker deleted, then scan again |
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
import { merge } from 'rxjs';
import { hex } from '../bytes.js';
import { ClosedError, CompactedError, ConclaveError, abortErrorOf, throwIfAborted } from '../errors.js';
import type { RangeRequest } from '../transport/index.js';
import type { WatchEvent } from '../types.js';
import { Backoff, sleep } from '../backoff.js';
import { Inbox } from '../kit/inbox.js';
import { Registry } from '../kit/registry.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { counterKeyOf } from './job-keys.js';
import type { QueueLayout } from './layout.js';
import { dropMarker, finishTake, placeMarker, type Candidate, type TakenItem } from './markers.js';

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
const SCAN_BATCH = 32n;
/** How long the items of a scan are tried before scanning again. */
const CACHE_MS = 1000;

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
  /** Unclaimed items of the last scan not tried yet, oldest first (each take re-checks its item, so a stale entry only costs a failed txn). */
  private cached: Candidate[] = [];
  private cachedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
    private readonly onIdle: () => void,
  ) {}

  /** Forgets the cached scan: an item older than its entries may be back (a claim released here). */
  invalidate(): void {
    this.cached = [];
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

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const controller = new AbortController();
    this.controller = controller;
    const backoff = new Backoff();
    try {
      while (this.waiters.length > 0 && !controller.signal.aborted) {
        try {
          if (this.cached.length > 0 && performance.now() - this.cachedAt < CACHE_MS) {
            await this.serve(this.cached);
            continue;
          }
          const scan = await this.scan(controller.signal);
          const candidates = scan.candidates;
          if (this.layout.reuseScans) {
            this.cached = candidates;
            this.cachedAt = performance.now();
          }
          const outcome = await this.serve(candidates);
          backoff.reset();
          if (outcome === 'empty') await this.awaitChange(scan.revision, controller.signal);
        } catch (error) {
          this.invalidate(); // what was scanned before a failure is not trusted: scan again
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
      else if (this.cached.length === 0) this.onIdle();
    }
  }

  private failAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  /** The first unclaimed items in queue order, read at one revision. */
  private async scan(signal: AbortSignal): Promise<{ revision: bigint; candidates: Candidate[] }> {
    const { store, layout } = this;
    const items: RangeRequest = {
      ...layout.itemsRange(store),
      keysOnly: true,
      limit: SCAN_BATCH,
      ...(layout.order === 'create' ? { sortTarget: 'create' as const, sortOrder: 'ascend' as const } : {}),
    };
    const res = await store.txn(
      { compare: [], success: [op.range({ ...store.prefix(layout.claimsPrefix), keysOnly: true }), op.range(items)], failure: [] },
      signal,
    );
    const revision = res.header.revision;
    const claimed = new Set(rangeOf(res, 0).kvs.map((kv) => store.userKey(kv.key).slice(layout.claimsPrefix.length)));
    let page = rangeOf(res, 1);
    for (;;) {
      const candidates: Candidate[] = [];
      for (const kv of page.kvs) {
        const key = store.userKey(kv.key);
        const suffix = layout.itemSuffix(key);
        if (suffix === undefined || claimed.has(suffix)) continue;
        candidates.push({ key, stored: kv.key, modRevision: kv.modRevision, marker: store.key(layout.claimsPrefix + suffix), suffix });
      }
      const last = page.kvs[page.kvs.length - 1];
      if (candidates.length > 0 || !page.more || !last) return { revision, candidates };
      // Every item of this page is claimed: read the next page at the same revision.
      const next: RangeRequest =
        layout.order === 'create' ? { ...items, minCreateRevision: last.createRevision + 1n } : { ...items, key: Uint8Array.of(...last.key, 0) };
      page = await store.range({ ...next, revision }, signal);
    }
  }

  /** Hands candidates to waiters in order. */
  private async serve(candidates: Candidate[]): Promise<'served' | 'contended' | 'empty'> {
    let served = false;
    let contended = false;
    while (candidates.length > 0 && this.waiters.length > 0) {
      // Shifted only once its claim was decided: a failure before that (e.g. the session's grant
      // lost its reply) must not drop the head item from the cached scan (FIFO would break).
      const candidate = candidates[0]!;
      // A job's delivery is counted by the claim txn itself (see `job-keys.ts`).
      const counter =
        this.waiters[0]?.mode === 'job' ? this.store.key(counterKeyOf(this.layout.name, candidate.suffix!, candidate.modRevision)) : undefined;
      const item = await placeMarker(this.store, { ...candidate, counter }, await this.store.session());
      candidates.shift();
      if (!item) {
        contended = true;
        continue;
      }
      if (await this.deliver(item)) served = true;
      else {
        // The item is back at its place, or went elsewhere: scan again so that order is kept.
        this.invalidate();
        return 'contended';
      }
    }
    return served ? 'served' : contended ? 'contended' : 'empty';
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
      await dropMarker(this.store, item.claim!);
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

  /** Waits for an item put or a claim marker deleted after `revision`. */
  private async awaitChange(revision: bigint, signal: AbortSignal): Promise<void> {
    const { store } = this;
    const from = revision + 1n;
    const inbox = new Inbox<WatchEvent>(
      merge(
        store.watch(this.layout.itemsPrefix, { prefix: true, fromRevision: from }),
        store.watch(this.layout.claimsPrefix, { prefix: true, fromRevision: from }),
      ),
    );
    try {
      for (;;) {
        const event = await inbox.next(signal);
        if (event.type === 'put' && this.layout.itemSuffix(event.key) !== undefined) return;
        if (event.type === 'delete' && event.key.startsWith(this.layout.claimsPrefix)) return;
      }
    } finally {
      inbox.close();
    }
  }
}

/** Failures after which the pump scans again (after a backoff) instead of failing its waiters. */
function isTransient(error: unknown): boolean {
  if (error instanceof ClosedError) return false;
  if (error instanceof CompactedError) return true;
  if (error instanceof ConclaveError) return error.retryable || error.message.includes('lease not found');
  return false;
}
