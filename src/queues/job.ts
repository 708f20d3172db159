/**
 * One delivery of a job (`process()`): the item was claimed with a marker on
 * the session lease by a txn that also counted the delivery (see
 * `job-keys.ts`). Then:
 *
 * | outcome | write (each guarded by the claim marker, re-sent after an unknown outcome) |
 * |---|---|
 * | handler resolved | ack: delete item, marker, counter, error record (one txn) |
 * | handler threw, or ran past `visibilityTimeoutMs` (`job.signal` aborts), deliveries < `maxDeliveries` | put the error record; after `retryDelayMs` delete the marker (the item is visible again, at its place) |
 * | same, deliveries ≥ `maxDeliveries` | dead-letter move: delete item, marker, counter, error record; put the value at `${dead}/<nanos>` and its {@link JobErrorRecord} beside it — one txn |
 * | claimed with deliveries > `maxDeliveries` (the last one ended by a lost session) | the dead-letter move, with the last error recorded (or a "delivery lost" error) |
 * | value cannot be decoded | the dead-letter move (the bytes as they are) with the `DecodeError` |
 * | session lost (process paused or cut off past its TTL) | nothing: the marker went with the lease; `job.signal` aborts; another consumer gets the item |
 *
 * Atomicity: the dead-letter move is one txn, so an item is never in both
 * queues nor in neither, whatever fails (an unknown outcome re-sends the same
 * txn, whose marker guard fails if it was applied).
 * @module
 * @internal
 */
import { ClosedError, ConclaveError, TimeoutError } from '../errors.js';
import type { TxnRequest, TxnResponse } from '../transport/index.js';
import type { Codec } from '../types.js';
import type { Job } from './api.js';
import { Backoff, sleep } from '../backoff.js';
import { DecodeError } from '../kit/errors.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { uniqueNanos } from '../kit/unique-key.js';
import { QueueClaimImpl } from './claim.js';
import { dispatcherFor } from './dispatcher.js';
import { deadLetterPuts, deadRecordKeyOf, errorRecordOf, type JobErrorRecord } from '../kit/dead-letters.js';
import { counterKeyOf, errorKeyOf } from './job-keys.js';
import type { QueueLayout } from './layout.js';
import { dropMarker, type HeldClaim, type TakenItem } from './markers.js';

export interface JobTarget<T> {
  store: Store;
  layout: QueueLayout;
  codec: Codec<T>;
}

export interface JobSettings {
  visibilityTimeoutMs: number | undefined;
  maxDeliveries: number | undefined;
  deadLetter: string;
  retryDelayMs: number;
  /** Schedules the return of a failed item after its retry delay (flushed when `process()` stops). */
  later(ms: number, fn: () => Promise<void>): void;
}

/** How often a guarded write is re-sent after a retryable failure. */
const MAX_ATTEMPTS = 20;

/** Runs one delivery (see the module's table). Never throws: an unfinished write leaves the item claimed until its session ends. */
export async function runJob<T>(
  target: JobTarget<T>,
  item: TakenItem,
  handler: (value: T, job: Job) => Promise<void>,
  settings: JobSettings,
): Promise<void> {
  const { store, layout } = target;
  const claimed = item.claim!;
  if (item.deliveries === undefined || item.suffix === undefined) {
    // Claimed for another kind of waiter that left: uncounted, so put it back as it was.
    const revision = await dropMarker(store, claimed).catch(() => undefined);
    dispatcherFor(store, layout).released(item.suffix, revision);
    return;
  }
  const keys = {
    counter: store.key(counterKeyOf(layout.name, item.suffix, item.revision)),
    error: store.key(errorKeyOf(layout.name, item.suffix, item.revision)),
    ownDeadRecord: store.key(deadRecordKeyOf(layout.name, item.suffix)),
  };
  const claim = new QueueClaimImpl<undefined>(store, item, undefined, (revision) => dispatcherFor(store, layout).released(item.suffix, revision), [
    keys.counter,
    keys.error,
    keys.ownDeadRecord,
  ]);
  const attempt = item.deliveries;
  const record = (error: unknown, n: number): JobErrorRecord => errorRecordOf(layout.name, item.key, n, error);
  const deadLetter = (rec: JobErrorRecord): Promise<void> => moveToDeadLetter(store, item, claimed, keys, settings.deadLetter, rec);
  const fail = async (error: unknown): Promise<void> => {
    if (settings.maxDeliveries !== undefined && attempt >= settings.maxDeliveries) return deadLetter(record(error, attempt));
    const rec = new TextEncoder().encode(JSON.stringify(record(error, attempt)));
    await guardedTxn(store, claimed, { compare: [markerGuard(claimed)], success: [op.put({ key: keys.error, value: rec })], failure: [] });
    settings.later(settings.retryDelayMs, () => claim.release());
  };

  try {
    let value: T;
    try {
      value = target.codec.decode(item.value);
    } catch (cause) {
      await deadLetter(record(new DecodeError(item.key, item.value, item.revision, { cause }), attempt));
      return;
    }
    if (settings.maxDeliveries !== undefined && attempt > settings.maxDeliveries) {
      const last = await store.range({ key: keys.error });
      const kv = last.kvs[0];
      const rec: JobErrorRecord = kv
        ? (JSON.parse(new TextDecoder().decode(kv.value)) as JobErrorRecord)
        : record(new ConclaveError(`delivery ${attempt - 1} ended without a result (its consumer died, or paused past its session TTL)`, { code: 'DELIVERY_LOST', retryable: false }), attempt - 1);
      await deadLetter(rec);
      return;
    }
    await deliver(value, attempt, item.key, claim, handler, settings.visibilityTimeoutMs, fail);
  } catch {
    // A write that could not be finished (client closed, etcd unreachable): the claim ends with its session, and the item comes back.
  }
}

/** Runs the handler with its `job.signal` and visibility timer; acks on success, else `fail`. */
async function deliver<T>(
  value: T,
  attempt: number,
  id: string,
  claim: QueueClaimImpl<undefined>,
  handler: (value: T, job: Job) => Promise<void>,
  visibilityTimeoutMs: number | undefined,
  fail: (error: unknown) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const onClaimEnd = (): void => controller.abort(claim.signal.reason);
  claim.signal.addEventListener('abort', onClaimEnd, { once: true });
  let timedOut: Promise<void> | undefined;
  const timer =
    visibilityTimeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const error = new TimeoutError(`visibility timeout: handler still running after ${visibilityTimeoutMs} ms`);
          controller.abort(error);
          timedOut = fail(error).catch(() => undefined);
        }, visibilityTimeoutMs);
  const job: Job = { id, attempt, signal: controller.signal };
  let failure: { error: unknown } | undefined;
  try {
    await handler(value, job);
  } catch (error) {
    failure = { error };
  } finally {
    clearTimeout(timer);
    claim.signal.removeEventListener('abort', onClaimEnd);
  }
  if (timedOut) return timedOut;
  if (claim.signal.aborted) return; // lost with the session: another consumer gets it
  if (!failure) {
    await claim.ack().catch(() => undefined); // a claim lost before the ack comes back: at-least-once
    return;
  }
  await fail(failure.error);
}

function markerGuard(claim: HeldClaim): TxnRequest['compare'][number] {
  return { target: 'create', result: 'equal', key: claim.marker, value: claim.markerRevision };
}

/**
 * The dead-letter move, one txn: the item, its marker and bookkeeping go; the
 * value and its error record appear in the dead-letter queue. A failed guard
 * means the claim was lost (the item stays for another consumer) or an earlier
 * attempt of this txn was applied — either way exactly one copy exists.
 */
async function moveToDeadLetter(
  store: Store,
  item: TakenItem,
  claim: HeldClaim,
  keys: { counter: Uint8Array; error: Uint8Array; ownDeadRecord: Uint8Array },
  dead: string,
  rec: JobErrorRecord,
): Promise<void> {
  for (;;) {
    const suffix = uniqueNanos();
    const deadKey = store.key(`${dead}/${suffix}`);
    const res = await guardedTxn(store, claim, {
      compare: [markerGuard(claim), { target: 'mod', result: 'equal', key: item.stored, value: item.revision }, { target: 'version', result: 'equal', key: deadKey, value: 0n }],
      success: [
        op.del({ key: item.stored }),
        op.del({ key: claim.marker }),
        op.del({ key: keys.counter }),
        op.del({ key: keys.error }),
        op.del({ key: keys.ownDeadRecord }),
        ...deadLetterPuts(store, dead, suffix, item.value, rec),
      ],
      failure: [op.range({ key: claim.marker, keysOnly: true }), op.range({ key: deadKey, keysOnly: true })],
    });
    if (!res || res.succeeded) return;
    const ours = rangeOf(res, 0).kvs[0]?.createRevision === claim.markerRevision;
    if (!ours || rangeOf(res, 1).kvs.length === 0) return; // claim lost, or moved by an earlier attempt
    // The dead-letter key was taken (same nanosecond): pick another.
  }
}

/**
 * A txn guarded by the claim marker, re-sent after a retryable failure while
 * the claim's session lives (the guard makes a repeat harmless). Resolves
 * undefined when the session ended first (the marker is gone with it).
 */
async function guardedTxn(store: Store, claim: HeldClaim, request: TxnRequest): Promise<TxnResponse | undefined> {
  const backoff = new Backoff(50, 1000);
  for (let attempt = 1; ; attempt++) {
    if (claim.session.state !== 'alive') return undefined;
    try {
      return await store.txn(request);
    } catch (error) {
      const retry = error instanceof ConclaveError && error.retryable && !(error instanceof ClosedError) && attempt < MAX_ATTEMPTS;
      if (!retry) throw error;
      await sleep(backoff.next(), claim.session.signal).catch(() => undefined);
    }
  }
}
