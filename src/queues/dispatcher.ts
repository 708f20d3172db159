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
 * | serve | for each unclaimed item, in order, while a waiter is left (FIFO queue: the rest is kept for the next calls, for up to 1 s or until a claim is released here): take it (txn: delete if its mod revision is unchanged and it has no claim marker) or claim it (txn: put a marker on the session lease under the same guards); a failed guard means another consumer got it: try the next |
 * | wait | nothing to take: watch the items and the markers from R + 1 until an item is put or a marker deleted, then scan again |
 * | error | retryable (connection, leader change, compaction, lost lease): back off and scan again; `ClosedError` or anything else: every waiter rejects |
 *
 * A waiter that aborts leaves at once. An item taken for a waiter that aborted
 * while the txn was in flight goes to the next waiter, or back to the queue
 * (a claimed one by deleting its marker, keeping its place; a taken one by
 * writing it again under its key) — never lost.
 * @module
 * @internal
 */
import { merge } from 'rxjs';
import { hex } from '../bytes.js';
import type { Core } from '../core/core.js';
import type { SessionImpl } from '../core/session.js';
import { ClosedError, CompactedError, ConclaveError, abortErrorOf, throwIfAborted } from '../errors.js';
import type { Bytes, RangeRequest } from '../transport.js';
import type { WatchEvent } from '../types.js';
import { Backoff, sleep } from '../recipes/abort.js';
import { Inbox } from '../recipes/inbox.js';
import { deleteOf, op, rangeOf, type Store } from '../recipes/store.js';
import type { QueueLayout } from './layout.js';

export type TakeMode = 'take' | 'claim';

/** A claim marker held on the session lease. */
export interface HeldClaim {
  /** Stored key of the marker. */
  marker: Bytes;
  /** Create revision of the marker. */
  markerRevision: bigint;
  session: SessionImpl;
}

/** An item handed to a waiter. */
export interface TakenItem {
  /** User key of the item. */
  key: string;
  /** Stored key of the item. */
  stored: Bytes;
  value: Bytes;
  /** Mod revision of the item when it was taken (its enqueue revision). */
  revision: bigint;
  claim?: HeldClaim | undefined;
}

interface Candidate {
  key: string;
  stored: Bytes;
  modRevision: bigint;
  marker: Bytes;
}

interface Waiter {
  mode: TakeMode;
  resolve(item: TakenItem): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** Items read per scan. */
const SCAN_BATCH = 32n;
/** How long the items of a scan are tried before scanning again. */
const CACHE_MS = 1000;
const EMPTY = new Uint8Array(0);

const registry = new WeakMap<Core, Map<string, Dispatcher>>();

/** The dispatcher of `layout` in `store`'s client (shared by every queue object of that name in the client). */
export function dispatcherFor(store: Store, layout: QueueLayout): Dispatcher {
  let byId = registry.get(store.core);
  if (!byId) {
    byId = new Map();
    registry.set(store.core, byId);
  }
  const id = `${layout.kind}:${hex(store.key(layout.itemsPrefix))}:${hex(store.key(''))}`;
  let dispatcher = byId.get(id);
  if (!dispatcher) {
    const map = byId;
    dispatcher = new Dispatcher(store, layout, () => {
      if (map.get(id) === dispatcher) map.delete(id);
    });
    map.set(id, dispatcher);
  }
  return dispatcher;
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
    this.store.core.checkOpen();
    throwIfAborted(signal);
    return new Promise<TakenItem>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.remove(waiter)) reject(abortErrorOf(signal!));
      };
      const waiter: Waiter = {
        mode,
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
        candidates.push({ key, stored: kv.key, modRevision: kv.modRevision, marker: store.key(layout.claimsPrefix + suffix) });
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
    while (candidates.length > 0) {
      const head = this.waiters[0];
      if (!head) break;
      const candidate = candidates.shift()!;
      const item = head.mode === 'claim' ? await this.claim(candidate) : await this.take(candidate);
      if (!item) {
        contended = true;
        continue;
      }
      served = true;
      await this.deliver(item);
    }
    return served ? 'served' : contended ? 'contended' : 'empty';
  }

  private guards(candidate: Candidate): import('../transport.js').Compare[] {
    return [
      { target: 'mod', result: 'equal', key: candidate.stored, value: candidate.modRevision },
      { target: 'create', result: 'equal', key: candidate.marker, value: 0n },
    ];
  }

  /** Deletes the item if nobody took or claimed it meanwhile (at-most-once). */
  private async take(candidate: Candidate): Promise<TakenItem | undefined> {
    const res = await this.store.txn({ compare: this.guards(candidate), success: [op.del({ key: candidate.stored, prevKv: true })], failure: [] });
    const prev = res.succeeded ? deleteOf(res, 0).prevKvs[0] : undefined;
    return prev && { key: candidate.key, stored: candidate.stored, value: prev.value, revision: candidate.modRevision };
  }

  /** Puts a claim marker on the session lease if nobody took or claimed the item meanwhile (at-least-once). */
  private async claim(candidate: Candidate): Promise<TakenItem | undefined> {
    const session = await this.store.core.session();
    const res = await this.store.txn({
      compare: this.guards(candidate),
      success: [op.range({ key: candidate.stored }), op.put({ key: candidate.marker, value: EMPTY, lease: session.lease })],
      failure: [],
    });
    const kv = res.succeeded ? rangeOf(res, 0).kvs[0] : undefined;
    if (!kv) return undefined;
    return {
      key: candidate.key,
      stored: candidate.stored,
      value: kv.value,
      revision: candidate.modRevision,
      claim: { marker: candidate.marker, markerRevision: res.header.revision, session },
    };
  }

  /** Gives `item` to the first waiter (converting between taken and claimed if the head changed), or back to the queue. */
  private async deliver(item: TakenItem): Promise<void> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const head = this.waiters[0];
      if (!head) break;
      let ready: TakenItem | undefined = item;
      if (head.mode === 'take' && item.claim) ready = await this.finishClaim(item);
      else if (head.mode === 'claim' && !item.claim) ready = await this.claimTaken(item);
      if (!ready) return; // the item went back to the queue meanwhile (claim lost)
      item = ready;
      if (this.waiters[0] === head && this.remove(head)) {
        head.resolve(item);
        return;
      }
    }
    await this.giveBack(item);
  }

  /** claim → take: deletes item and marker together. */
  private async finishClaim(item: TakenItem): Promise<TakenItem | undefined> {
    const claim = item.claim!;
    const res = await this.store.txn({
      compare: [{ target: 'create', result: 'equal', key: claim.marker, value: claim.markerRevision }],
      success: [op.del({ key: item.stored }), op.del({ key: claim.marker })],
      failure: [],
    });
    return res.succeeded ? { ...item, claim: undefined } : undefined;
  }

  /** take → claim: writes the taken item back, claimed. */
  private async claimTaken(item: TakenItem): Promise<TakenItem | undefined> {
    const session = await this.store.core.session();
    const suffix = this.layout.itemSuffix(item.key)!;
    const marker = this.store.key(this.layout.claimsPrefix + suffix);
    const res = await this.store.txn({
      compare: [{ target: 'create', result: 'equal', key: item.stored, value: 0n }],
      success: [op.put({ key: item.stored, value: item.value }), op.put({ key: marker, value: EMPTY, lease: session.lease })],
      failure: [],
    });
    if (!res.succeeded) return undefined;
    return { ...item, revision: res.header.revision, claim: { marker, markerRevision: res.header.revision, session } };
  }

  /** Returns an item nobody waits for any more to the queue. */
  private async giveBack(item: TakenItem): Promise<void> {
    this.invalidate();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        if (item.claim) {
          await this.store.txn({
            compare: [{ target: 'create', result: 'equal', key: item.claim.marker, value: item.claim.markerRevision }],
            success: [op.del({ key: item.claim.marker })],
            failure: [],
          });
        } else {
          await this.store.put({ key: item.stored, value: item.value });
        }
        return;
      } catch (error) {
        if (!isTransient(error)) return;
        await sleep(100 * (attempt + 1));
      }
    }
  }

  /** Waits for an item put or a claim marker deleted after `revision`. */
  private async awaitChange(revision: bigint, signal: AbortSignal): Promise<void> {
    const { client } = this.store;
    const from = revision + 1n;
    const inbox = new Inbox<WatchEvent>(
      merge(
        client.watch(this.layout.itemsPrefix, { prefix: true, fromRevision: from }),
        client.watch(this.layout.claimsPrefix, { prefix: true, fromRevision: from }),
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
