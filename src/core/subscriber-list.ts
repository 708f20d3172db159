/**
 * The subscribers of one broadcast: a dense array in subscription order, with O(1) add and
 * delete (each item remembers its slot; a delete leaves a hole, compacted once holes outnumber
 * the live items). Cheaper than a `Set` per entry (one array slot and one number on the item)
 * and iterated as a plain array on the fan-out path ({@link SubscriberList.forEachLive}).
 *
 * Iteration is safe under changes made by the visited items themselves (a subscriber that
 * unsubscribes itself or another, or subscribes anew): holes are not compacted while an iteration
 * runs, and items added meanwhile are visited too (as `Set` iteration does).
 *
 * @example
 * ```ts
 * const list = new SubscriberList<{ slot: number }>();
 * const a = { slot: -1 };
 * list.add(a);
 * list.forEachLive((item) => console.log(item.slot)); // 0
 * list.delete(a); // true
 * ```
 * @module
 * @internal
 */

/** What the list keeps: an item that records its own slot (-1: in no list). */
export interface Slotted {
  /** Index in the list's array while listed; meaningless otherwise (checked against the array). */
  slot: number;
}

/** Holes tolerated before a compaction is considered at all. */
const MIN_HOLES = 32;

/** The subscribers of one broadcast, in subscription order (see the module comment). */
export class SubscriberList<T extends Slotted> implements Iterable<T> {
  /** Items and holes (`undefined`), in the order added. */
  private items: (T | undefined)[] = [];
  /** Holes in {@link items}. */
  private holes = 0;
  /** Iterations running (compaction waits until none is). */
  private iterating = 0;

  /** Items listed. */
  get size(): number {
    return this.items.length - this.holes;
  }

  /** Lists `item` at the end (an item listed already stays where it is). */
  add(item: T): this {
    if (this.has(item)) return this;
    item.slot = this.items.length;
    // The first item gets an array of exactly one slot (a push onto [] reserves 17: most broadcasts have one subscriber).
    if (this.items.length === 0) this.items = [item];
    else this.items.push(item);
    return this;
  }

  /** Whether `item` is listed here. */
  has(item: T): boolean {
    return this.items[item.slot] === item;
  }

  /** Unlists `item`; false if it was not listed here. */
  delete(item: T): boolean {
    if (!this.has(item)) return false;
    this.items[item.slot] = undefined;
    item.slot = -1;
    this.holes++;
    this.compactIfSparse();
    return true;
  }

  /** Unlists everything (an iteration running stops: the same array is emptied). */
  clear(): void {
    for (const item of this.items) if (item) item.slot = -1;
    this.items.length = 0;
    this.holes = 0;
  }

  /** Calls `visit` for each listed item, in order, including items added during the call. */
  forEachLive(visit: (item: T) => void): void {
    this.iterating++;
    try {
      const items = this.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item !== undefined) visit(item);
      }
    } finally {
      this.iterating--;
      this.compactIfSparse();
    }
  }

  /** The listed items, in order (tolerates changes while iterating, like {@link forEachLive}). */
  *[Symbol.iterator](): Iterator<T> {
    this.iterating++;
    try {
      const items = this.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item !== undefined) yield item;
      }
    } finally {
      this.iterating--;
      this.compactIfSparse();
    }
  }

  /** Drops the holes once they outnumber the items (never during an iteration: slots would move under it). */
  private compactIfSparse(): void {
    if (this.iterating > 0 || this.holes < MIN_HOLES || this.holes * 2 < this.items.length) return;
    const live: T[] = [];
    for (const item of this.items) {
      if (item === undefined) continue;
      item.slot = live.length;
      live.push(item);
    }
    this.items = live;
    this.holes = 0;
  }
}
