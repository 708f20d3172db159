/**
 * A read, then every change after it, on a {@link SharedWatch}: the pattern of the waits and
 * streams that keep a state (barriers, `leader$`, `instances$`, registrations). The watch is
 * started at etcd's current revision (synced at once); a read at revision R is followed from
 * R + 1 only when the watch is known to cover it (it started at or before R), else the state is
 * read again — never a server watcher of its own from R + 1, which etcd would put in its
 * unsynced group and catch up only every 100 ms.
 * @module
 * @internal
 */
import { Observable } from 'rxjs';
import { CompactedError } from '../errors.js';
import type { Batch } from '../core/broadcast.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { WatchEvent } from '../types.js';
import type { SharedWatch } from './shared-watch.js';
import type { Store, StoredRange } from './store.js';

/** The stored range of exactly one key. */
export function singleKey(key: Bytes): StoredRange {
  const rangeEnd = new Uint8Array(key.length + 1);
  rangeEnd.set(key);
  return { key, rangeEnd };
}

/**
 * Reads with `read` until a read's revision is covered by `watch` (the watch started at or
 * before it), waiting for the watch to start first. Usually one read: the caller retains the
 * watch before it, so etcd creates the watcher before it answers the read. A read sent after the
 * watch started is always covered. Rejects with `read`'s errors or the abort error of `signal`.
 *
 * @example
 * ```ts
 * const release = watch.retain();
 * const res = await readCovered(watch, () => store.range({ key }), (r) => r.header.revision, signal);
 * ```
 */
export async function readCovered<T>(watch: SharedWatch, read: () => Promise<T>, revisionOf: (state: T) => Rev, signal: AbortSignal): Promise<T> {
  for (;;) {
    const state = await read();
    if ((await watch.started(signal)) <= revisionOf(state)) return state;
  }
}

/**
 * The batches of `watch` after `after` (stored keys), as an Observable. Errors with
 * `CompactedError` when the watch cannot deliver them all (it started after `after`, its kept
 * history no longer reaches back, or it was compacted while resuming): the subscriber reads
 * again (see {@link readCovered}). Completes when the client closes. Kept batches after `after`
 * are delivered at subscribe, synchronously.
 */
export function batchesAfter(watch: SharedWatch, after: Rev): Observable<Batch> {
  return new Observable<Batch>((subscriber) => {
    const stop = watch.follow(after, {
      next: (batch) => subscriber.next(batch),
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    if (!stop) subscriber.error(new CompactedError(-1n));
    return stop;
  });
}

/** {@link batchesAfter} as the user events of `store` (keys without its namespace), one at a time. */
export function eventsAfter(store: Store, watch: SharedWatch, after: Rev): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) =>
    batchesAfter(watch, after).subscribe({
      next: (batch) => {
        for (const event of store.eventsOf(batch)) subscriber.next(event);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
}
