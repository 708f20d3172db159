/**
 * The local mirror of a queue's head that a client's dispatcher keeps: the
 * items of one scan (a window: every item up to the last one read, in queue
 * order) and their claim markers, kept current by the dispatcher's long-lived
 * watch of the items and the markers, so that a client picks the items nobody
 * claimed without reading the queue again and without racing for items it
 * has already seen others take.
 *
 * | event (revision > the scan's) | what changes |
 * |---|---|
 * | item put inside the window (the window is the whole queue, or, for the priority queue, the key sorts before its last item) | the item joins at its place |
 * | item deleted | the item leaves |
 * | marker put / deleted | the item is claimed / visible again at its place (a marker state older than the one known is ignored) |
 *
 * An entry the client's own claim found taken (`lost`) is skipped until the
 * next event about it, which must come: the view had not seen the change that
 * made the claim fail. What the view holds is a hint: every claim re-checks
 * its item in etcd (see `markers.ts`), so a stale entry costs at most one
 * failed step of a claim txn.
 * @module
 * @internal
 */
import type { Bytes, WireKeyValue } from '../transport/index.js';
import type { WatchEvent } from '../types.js';
import type { Store } from '../kit/store.js';
import type { QueueLayout } from './layout.js';

/** One item of the window. */
export interface Entry {
  /** The item's key after the queue's prefix. */
  suffix: string;
  /** User key. */
  key: string;
  /** Stored key. */
  stored: Bytes;
  modRevision: bigint;
  createRevision: bigint;
  /** Whether a claim marker hides the item. */
  claimed: boolean;
  /** The revision that told `claimed` (a marker event at or below it is old news). */
  claimRevision: bigint;
  /** A claim of ours found it taken: skipped until the next event about it. */
  lost: boolean;
  /** A claim txn of ours names it now. */
  busy: boolean;
}

/** Entries kept at most: past it, the window stops growing from events (the rest is read by the next scan). */
const MAX_ENTRIES = 1024;
/** Markers of items outside the window remembered at most (for items that join it later). */
const MAX_ORPHANS = 4096;

export class QueueView {
  /** In queue order. */
  private entries: Entry[] = [];
  private readonly bySuffix = new Map<string, Entry>();
  /** Marker states of suffixes not in the window (an item event may come after its marker's). */
  private readonly orphans = new Map<string, { claimed: boolean; revision: bigint }>();
  /** Whether the window holds the whole queue (new items join it). */
  private complete: boolean;

  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
    /** The scan's revision: events at or below it are in the scan. */
    readonly revision: bigint,
    items: readonly WireKeyValue[],
    markers: readonly WireKeyValue[],
    more: boolean,
  ) {
    this.complete = !more;
    for (const kv of markers) this.orphans.set(store.userKey(kv.key).slice(layout.claimsPrefix.length), { claimed: true, revision: kv.modRevision });
    for (const kv of items) {
      const key = store.userKey(kv.key);
      const suffix = layout.itemSuffix(key);
      if (suffix === undefined) continue;
      this.add({ suffix, key, stored: kv.key, modRevision: kv.modRevision, createRevision: kv.createRevision });
    }
  }

  /** Whether more items may exist past the window (a scan would read them). */
  get partial(): boolean {
    return !this.complete;
  }

  /** Entries nobody is known to hold, in queue order. */
  *free(): Generator<Entry> {
    for (const e of this.entries) if (!e.claimed && !e.lost && !e.busy) yield e;
  }

  /** Applies one watch event of the items or the markers. */
  apply(event: WatchEvent): void {
    if (event.revision <= this.revision) return;
    const { layout } = this;
    if (event.key.startsWith(layout.claimsPrefix)) {
      this.marker(event.key.slice(layout.claimsPrefix.length), event.type === 'put', event.revision);
      return;
    }
    const suffix = layout.itemSuffix(event.key);
    if (suffix === undefined) return;
    const entry = this.bySuffix.get(suffix);
    if (event.type === 'delete') {
      if (entry) this.remove(entry);
      this.orphans.delete(suffix);
      return;
    }
    if (entry) {
      entry.modRevision = event.kv.modRevision;
      entry.lost = false;
      return;
    }
    const fresh = { suffix, key: event.key, stored: this.store.key(event.key), modRevision: event.kv.modRevision, createRevision: event.kv.createRevision };
    if (this.complete || (layout.order === 'key' && this.beforeLast(suffix))) this.add(fresh);
  }

  /** Records a marker state learnt from our own txn at `revision` (ignored if the view knows a newer one). */
  marker(suffix: string, claimed: boolean, revision: bigint): void {
    const entry = this.bySuffix.get(suffix);
    if (!entry) {
      const known = this.orphans.get(suffix);
      if (known && known.revision >= revision) return;
      if (this.orphans.size >= MAX_ORPHANS) this.orphans.clear();
      this.orphans.set(suffix, { claimed, revision });
      return;
    }
    entry.lost = false;
    if (revision <= entry.claimRevision) return;
    entry.claimed = claimed;
    entry.claimRevision = revision;
  }

  private beforeLast(suffix: string): boolean {
    const last = this.entries[this.entries.length - 1];
    return last !== undefined && suffix < last.suffix;
  }

  private add(item: Pick<Entry, 'suffix' | 'key' | 'stored' | 'modRevision' | 'createRevision'>): void {
    const marker = this.orphans.get(item.suffix);
    this.orphans.delete(item.suffix);
    const entry: Entry = { ...item, claimed: marker?.claimed ?? false, claimRevision: marker?.revision ?? 0n, lost: false, busy: false };
    const { entries } = this;
    // FIFO items arrive in create order (appended); a priority item goes to its key's place.
    let at = entries.length;
    if (this.layout.order === 'key') {
      while (at > 0 && entries[at - 1]!.suffix > entry.suffix) at--;
    } else {
      while (at > 0 && entries[at - 1]!.createRevision > entry.createRevision) at--;
    }
    entries.splice(at, 0, entry);
    this.bySuffix.set(entry.suffix, entry);
    if (entries.length > MAX_ENTRIES) {
      const dropped = entries.pop()!;
      this.bySuffix.delete(dropped.suffix);
      this.complete = false;
    }
  }

  private remove(entry: Entry): void {
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
    this.bySuffix.delete(entry.suffix);
  }

  /** The entry of `suffix`, if in the window. */
  get(suffix: string): Entry | undefined {
    return this.bySuffix.get(suffix);
  }
}
