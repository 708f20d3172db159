/**
 * `leader$`: the current leader of an election, then every change, from one
 * range and one prefix watch.
 * @module
 * @internal
 */
import { Observable, ReplaySubject, share } from 'rxjs';
import { Backoff } from '../backoff.js';
import { hex } from '../bytes.js';
import { ClosedError, CompactedError, ConclaveError } from '../errors.js';
import { isOwnKey, SESSION_SUFFIX, shapeOf } from '../kit/own-keys.js';
import { batchesAfter, readCovered } from '../kit/follow-read.js';
import { sharedWatch } from '../kit/shared-watch.js';
import type { Store } from '../kit/store.js';
import type { RangeResponse, WireKeyValue } from '../transport/index.js';
import type { Leader } from './api.js';

/** The user-facing leader of a candidate key. */
export function toLeader(store: Store, kv: WireKeyValue): Leader {
  return { key: store.userKey(kv.key), value: kv.value, revision: kv.createRevision };
}

/**
 * The leader of election `name` as an Observable: reads every candidate under
 * `${name}/` at a revision R, then follows the client's one watch of the prefix
 * (started at etcd's current revision, at or before R, else it reads again:
 * see `../kit/follow-read.ts`) from R + 1 and keeps the candidate set, so each
 * change is computed without another read. Emits the
 * leader (smallest create revision) at subscribe, then whenever it changes,
 * each time its key is put again (Go's `Proclaim`, even with the same value),
 * and `undefined` while there is no candidate. Subscribers share one range and
 * one watch (and late subscribers get the current leader at once); when the
 * watch cannot deliver every change after the read (its history was compacted
 * during an outage), it re-reads and continues. A read that
 * fails with a retryable error (etcd unreachable) is retried with backoff
 * (50 ms .. 2 s) for as long as someone subscribes; other errors end the
 * Observable with that error.
 *
 * @example
 * ```ts
 * leaderStream(store, 'scheduler').subscribe((l) => console.log(l ? utf8(l.value) : 'no leader'));
 * ```
 */
export function leaderStream(store: Store, name: string): Observable<Leader | undefined> {
  const prefix = store.prefix(`${name}/`);
  // Candidates of a longer name (`${name}/x/<lease>`) share the prefix; they are not candidates here.
  const shape = shapeOf(prefix, SESSION_SUFFIX);
  const source = new Observable<Leader | undefined>((subscriber) => {
    if (store.closed) {
      subscriber.error(new ClosedError());
      return undefined;
    }
    const candidates = new Map<string, WireKeyValue>();
    let shown: WireKeyValue | undefined;
    let emitted = false;
    let stopped = false;
    let unwatch: (() => void) | undefined;
    const backoff = new Backoff(50, 2000);
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const publish = (): void => {
      let best: WireKeyValue | undefined;
      for (const kv of candidates.values()) if (!best || kv.createRevision < best.createRevision) best = kv;
      const same = best === shown || (best && shown && best.createRevision === shown.createRevision && best.modRevision === shown.modRevision);
      if (emitted && same) return;
      emitted = true;
      shown = best;
      subscriber.next(best && toLeader(store, best));
    };

    const start = (): void => {
      retryTimer = undefined;
      if (stopped) return;
      const read = (): Promise<RangeResponse> => store.range({ ...prefix, sortOrder: 'ascend', sortTarget: 'create' });
      readCovered(watch, read, (res) => res.header.revision, halt.signal).then(
        (res) => {
          if (stopped) return;
          backoff.reset();
          candidates.clear();
          for (const kv of res.kvs) if (isOwnKey(shape, kv.key)) candidates.set(hex(kv.key), kv);
          publish();
          let failed = false;
          const subscription = batchesAfter(watch, res.header.revision).subscribe({
            next: (batch) => {
              if (stopped || failed) return;
              for (const e of batch.events) {
                if (e.type === 'put') {
                  if (isOwnKey(shape, e.kv.key)) candidates.set(hex(e.kv.key), e.kv);
                }
                else candidates.delete(hex(e.kv.key));
              }
              publish();
            },
            error: (error) => {
              if (stopped || failed) return;
              failed = true;
              unwatch = undefined;
              if (error instanceof CompactedError) start();
              else subscriber.error(error);
            },
            complete: () => {
              if (!stopped) subscriber.complete();
            },
          });
          if (stopped || failed) subscription.unsubscribe();
          else unwatch = () => subscription.unsubscribe();
        },
        (error: unknown) => {
          if (stopped) return;
          if (store.closed) subscriber.complete(); // closed while reading: end like the watch does
          else if (error instanceof ConclaveError && error.retryable) retryTimer = setTimeout(start, backoff.next());
          else subscriber.error(error);
        },
      );
    };

    // The client's one watch of the name while anyone follows its leader (see `../kit/follow-read.ts`), opened before the read.
    const watch = sharedWatch(store, prefix);
    const release = watch.retain();
    const halt = new AbortController();
    start();
    return () => {
      stopped = true;
      halt.abort();
      if (retryTimer) clearTimeout(retryTimer);
      const u = unwatch;
      unwatch = undefined;
      u?.();
      release();
    };
  });
  return source.pipe(
    share({ connector: () => new ReplaySubject<Leader | undefined>(1), resetOnError: true, resetOnComplete: true, resetOnRefCountZero: true }),
  );
}
