/**
 * The client's watches of a queue's items and claim markers, as its dispatcher holds them while
 * a call waits for the queue to change: the kit's shared watches (see `../kit/follow-read.ts`),
 * started at etcd's current revision so etcd keeps them synced, and followed from where they
 * started by the scan that reads after that.
 * @module
 * @internal
 */
import { CompactedError } from '../errors.js';
import { sharedWatch, type SharedWatch } from '../kit/shared-watch.js';
import type { Store, StoredWatchSink } from '../kit/store.js';
import type { Rev } from '../transport/index.js';
import type { QueueLayout } from './layout.js';

/** The watches of one queue (items and markers), held or not. */
export class QueueWatch {
  /** The watches while held. */
  private watches: SharedWatch[] = [];
  /** Their releases, then the unsubscribes of following them (empty: not held). */
  private stops: Array<() => void> = [];
  /** The held watches are followed. */
  private followed = false;

  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
  ) {}

  /** Whether the watches are held. */
  get held(): boolean {
    return this.stops.length > 0;
  }

  /** Whether they are held and followed. */
  get following(): boolean {
    return this.followed;
  }

  /** Holds the watches (opening them if needed), if not held. */
  hold(): void {
    if (this.held) return;
    const { store, layout } = this;
    this.watches = [sharedWatch(store, store.prefix(layout.itemsPrefix)), sharedWatch(store, store.prefix(layout.claimsPrefix))];
    this.stops = this.watches.map((w) => w.retain());
  }

  /**
   * Once the held watches started, sends `sink` every event after their start, and resolves with
   * the latest start: a read at that revision or later misses nothing. Resolves undefined when they
   * were let go of meanwhile. Rejects with `CompactedError` (letting go of them) in the rare case a
   * watch's kept history no longer reaches its start, or with the abort error of `signal`.
   */
  async follow(signal: AbortSignal, sink: StoredWatchSink): Promise<Rev | undefined> {
    const watches = this.watches;
    const starts = await Promise.all(watches.map((w) => w.started(signal)));
    if (this.watches !== watches || !this.held || this.followed) return undefined;
    for (const [i, w] of watches.entries()) {
      const stop = w.follow(starts[i]!, sink);
      if (!stop) {
        this.release();
        throw new CompactedError(-1n);
      }
      this.stops.push(stop);
    }
    this.followed = true;
    return starts.reduce((a, b) => (a > b ? a : b));
  }

  /** Lets go of the watches (and of following them). Idempotent. */
  release(): void {
    this.followed = false;
    this.watches = [];
    for (const stop of this.stops.splice(0)) stop();
  }
}
