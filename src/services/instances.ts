/**
 * `instances$`: the full set of a service's instances at subscribe (a range at
 * revision R), then again after every change (the client's one watch of the
 * prefix, started at etcd's current revision at or before R, else the set is
 * read again — see `../kit/follow-read.ts` — followed from R + 1). The events of one
 * revision are applied together and the set is emitted once per revision
 * (an unchanged set is not emitted again). Should the watch not cover the read (its history
 * compacted under it), the set is read again and followed from there. A read that fails with a retryable error (etcd
 * unreachable) is retried with backoff (50 ms .. 2 s) while subscribed; other errors end the
 * Observable with that error.
 * @module
 * @internal
 */
import { Observable, type Subscription } from 'rxjs';
import { Backoff } from '../backoff.js';
import { CompactedError, ConclaveError } from '../errors.js';
import type { ServiceInstance } from './api.js';
import { eventsAfter, readCovered } from '../kit/follow-read.js';
import { sharedWatch, type SharedWatch } from '../kit/shared-watch.js';
import type { Store } from '../kit/store.js';
import { decodeInstance } from './layout.js';

/** The client's one watch of a service's instances (`prefix`, a user key), shared by `instances$` and the registrations. */
export function serviceWatch(store: Store, prefix: string): SharedWatch {
  return sharedWatch(store, store.prefix(prefix));
}

/** The instances held in `entries` (key → instance), ordered by id. */
export function listOf(entries: Iterable<ServiceInstance>): ServiceInstance[] {
  return [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function instancesOf(store: Store, prefix: string): Observable<ServiceInstance[]> {
  return new Observable<ServiceInstance[]>((subscriber) => {
    const current = new Map<string, ServiceInstance>();
    let inner: Subscription | undefined;
    let stopped = false;
    let scheduled = false;
    let last: string | undefined;
    /** Revision of the events applied but not emitted yet. */
    let pending: bigint | undefined;
    const backoff = new Backoff(50, 2000);
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const emit = (): void => {
      scheduled = false;
      pending = undefined;
      if (stopped) return;
      const list = listOf(current.values());
      const signature = JSON.stringify(list);
      if (signature === last) return;
      last = signature;
      subscriber.next(list);
    };

    /** Reads the set (again), retrying retryable failures with backoff; other failures end the Observable. */
    const resync = (): void => {
      retryTimer = undefined;
      if (stopped) return;
      sync().catch((error: unknown) => {
        if (stopped) return;
        if (error instanceof ConclaveError && error.retryable) retryTimer = setTimeout(resync, backoff.next());
        else subscriber.error(error);
      });
    };

    const sync = async (): Promise<void> => {
      const res = await readCovered(watch, () => store.range(store.prefix(prefix)), (r) => r.header.revision, halt.signal);
      if (stopped) return;
      backoff.reset();
      current.clear();
      for (const kv of res.kvs) {
        const instance = decodeInstance(kv.value);
        if (instance) current.set(store.userKey(kv.key), instance);
      }
      emit();
      inner = eventsAfter(store, watch, res.header.revision).subscribe({
        next: (event) => {
          // Several revisions may arrive in one go: emit the set as of each revision, not only the last.
          if (pending !== undefined && event.revision !== pending) emit();
          pending = event.revision;
          const instance = event.type === 'put' ? decodeInstance(event.value) : undefined;
          if (instance) current.set(event.key, instance);
          else current.delete(event.key);
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(() => {
              if (scheduled) emit(); // after the other events of the same revision
            });
          }
        },
        error: (error: unknown) => {
          inner = undefined;
          if (error instanceof CompactedError && !stopped) resync();
          else subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      });
    };

    // The client's one watch of the service while anyone follows it, opened before the read (see `../kit/follow-read.ts`).
    const watch = serviceWatch(store, prefix);
    const release = watch.retain();
    const halt = new AbortController();
    resync();
    return () => {
      stopped = true;
      halt.abort();
      if (retryTimer) clearTimeout(retryTimer);
      inner?.unsubscribe();
      release();
    };
  });
}
