/**
 * The keys of a double barrier (etcd's `recipe.DoubleBarrier` layout) and consistent reads of
 * them: `${name}/waiters/<unixNano>` (one per participant, on its session lease, empty value)
 * and `${name}/ready` (empty value, put when a round is complete).
 * @module
 * @internal
 */
import type { Rev, RequestOp, TxnResponse } from '../transport/index.js';
import { sharedWatch, type SharedWatch } from '../kit/shared-watch.js';
import { op, rangeOf, Store } from '../kit/store.js';

/** Where a double barrier's keys live. */
export class BarrierLayout {
  /** `${name}/waiters/` (user key). */
  readonly waitersPrefix: string;
  /** `${name}/ready` (user key). */
  readonly readyKey: string;

  constructor(
    /** Where the keys live. */
    readonly store: Store,
    readonly name: string,
    readonly count: number,
  ) {
    this.waitersPrefix = `${name}/waiters/`;
    this.readyKey = `${name}/ready`;
  }

  /** The client's one watch of `${name}/` for this barrier's waits (closed when its last waiter leaves). */
  watch(): SharedWatch {
    return sharedWatch(this.store, this.store.prefix(`${this.name}/`));
  }

  /** A participant key of this barrier: `${name}/waiters/<nanos>` (not a key of a longer name such as `${name}/waiters/x/...`). */
  isWaiter(key: string): boolean {
    return key.startsWith(this.waitersPrefix) && /^[0-9]+$/.test(key.slice(this.waitersPrefix.length));
  }

  /** The two reads of a {@link Snapshot}, to run inside a txn. */
  snapshotOps(): RequestOp[] {
    return [op.range({ ...this.store.prefix(this.waitersPrefix), keysOnly: true }), op.range({ key: this.store.key(this.readyKey), keysOnly: true })];
  }

  /** The snapshot read by {@link snapshotOps} at `index` of `res`'s responses. */
  snapshotOf(res: TxnResponse, index: number): Snapshot {
    const waiters = new Map<string, Rev>();
    for (const kv of rangeOf(res, index).kvs) {
      const key = this.store.userKey(kv.key);
      if (this.isWaiter(key)) waiters.set(key, kv.createRevision);
    }
    const ready = rangeOf(res, index + 1).kvs[0];
    return { revision: res.header.revision, waiters, ready: ready?.modRevision };
  }

  /** The current waiters and `ready`, read at one revision. */
  async snapshot(signal?: AbortSignal): Promise<Snapshot> {
    const res = await this.store.txn({ compare: [], success: this.snapshotOps(), failure: [] }, signal);
    return this.snapshotOf(res, 0);
  }
}

/** The state of a double barrier at one revision. */
export interface Snapshot {
  revision: Rev;
  /** Participant keys (user keys) and their create revisions. */
  waiters: Map<string, Rev>;
  /** `ready`'s mod revision, when it exists. */
  ready: Rev | undefined;
}

/** `[key, createRevision]` pairs sorted by create revision (the order of arrival). */
export function byArrival(waiters: Iterable<[string, Rev]>): Array<[string, Rev]> {
  return [...waiters].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}
