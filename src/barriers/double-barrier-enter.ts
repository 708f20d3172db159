/**
 * Entering a double barrier: the participant key's guarded create (robust to an ambiguous
 * outcome) and the wait for the round to be complete.
 *
 * ## Who is in
 * Every waiter key counts, including those of an earlier round whose participants have not
 * left yet (as in Go's `Enter`, which refuses when it sees more than `count` keys). A key is
 * only created when fewer than `count` exist, in one txn guarded on "no waiter key was created
 * and `ready` did not change since the read": so, among Conclave participants, no key is ever
 * beyond the `count`-th and nobody is refused after writing its key.
 *
 * ## The round
 * A participant's round is made of the waiter keys created after `ready` as it was when its key
 * was created (its `base`): keys of an earlier round still inside are not part of it. When the
 * round holds `count` keys, any participant among its first `count` puts `ready` (empty value,
 * as Go writes it; guarded on `ready` unchanged and its own key still there). A `ready` put after
 * a participant's key admits it, unless `count` keys of its round came before it (possible only
 * when a Go participant overfilled the round): then it is refused. Watch events are applied in
 * revision order, so that decision is taken on the state right before `ready` was put.
 *
 * The events come from the client's one watch of `${name}/` (see `../kit/follow-read.ts`), followed
 * from the snapshot's revision. When that watch does not cover it (it started later, or its history
 * was compacted in an outage), the state is read again and the wait goes on.
 * @module
 * @internal
 */
import type { SessionImpl } from '../kit/store.js';
import { abortErrorOf, ClosedError, CompactedError, ConclaveError, SessionLostError } from '../errors.js';
import { deleteGuardedWithRetry } from '../kit/guarded-keys.js';
import { Backoff, sleep } from '../backoff.js';
import { BarrierFullError } from './errors.js';
import { eventsAfter, readCovered } from '../kit/follow-read.js';
import { Inbox } from '../kit/inbox.js';
import type { SharedWatch } from '../kit/shared-watch.js';
import { op } from '../kit/store.js';
import { uniqueNanos } from '../kit/unique-key.js';
import type { Rev, TxnResponse } from '../transport/index.js';
import type { WatchEvent } from '../types.js';
import { byArrival, type BarrierLayout, type Snapshot } from './double-barrier-layout.js';

const EMPTY = new Uint8Array(0);

/** A participant's key, once created. */
export interface OwnKey {
  key: string;
  revision: Rev;
  /** `ready`'s mod revision when the key was created (0: none): the round is the keys created after it. Unknown after an ambiguous create. */
  base: Rev | undefined;
}

/** A call whose failure leaves its outcome unknown (it may have been applied). */
function ambiguous(error: unknown): boolean {
  return error instanceof ConclaveError && error.retryable;
}

function full(layout: BarrierLayout): BarrierFullError {
  return new BarrierFullError(`double barrier ${layout.name} already has ${layout.count} participants`);
}

/**
 * Creates the participant's key `${name}/waiters/<nanos>` on the session lease if the barrier
 * has fewer than `count` waiters (else `BarrierFullError`, nothing written). After an ambiguous
 * outcome it finds out whether its key exists (then it is kept: the snapshot is left for
 * {@link awaitRound} to read) or not (then it tries again); if it cannot find out before
 * `signal` aborts, it deletes the key (retried while the session lives) and rejects.
 */
export async function createOwnKey(
  layout: BarrierLayout,
  session: SessionImpl,
  signal: AbortSignal,
): Promise<{ mine: OwnKey; snapshot: Snapshot | undefined }> {
  const { store } = layout;
  const ready = store.key(layout.readyKey);
  const range = store.prefix(layout.waitersPrefix);
  let snap = await layout.snapshot(signal);
  for (;;) {
    if (signal.aborted) throw abortErrorOf(signal);
    if (snap.waiters.size >= layout.count) throw full(layout);
    const base = snap.ready ?? 0n;
    const key = `${layout.waitersPrefix}${uniqueNanos()}`;
    const stored = store.key(key);
    let res: TxnResponse;
    try {
      res = await store.txn({
        compare: [
          { target: 'version', result: 'equal', key: stored, value: 0n },
          { target: 'mod', result: 'equal', key: ready, value: base },
          { target: 'mod', result: 'less', key: range.key, rangeEnd: range.rangeEnd, value: snap.revision + 1n },
        ],
        success: [op.put({ key: stored, value: EMPTY, lease: session.lease }), ...layout.snapshotOps()],
        failure: layout.snapshotOps(),
      });
    } catch (error) {
      if (!ambiguous(error)) throw error;
      const revision = await findOwnKey(layout, stored, session, signal);
      if (revision !== undefined) return { mine: { key, revision, base: undefined }, snapshot: undefined };
      snap = await layout.snapshot(signal);
      continue;
    }
    if (res.succeeded) return { mine: { key, revision: res.header.revision, base }, snapshot: layout.snapshotOf(res, 1) };
    snap = layout.snapshotOf(res, 0);
  }
}

/** Whether the key `stored` exists on the session's lease (its create revision), retried until `signal` aborts; deletes it then. */
async function findOwnKey(layout: BarrierLayout, stored: Uint8Array, session: SessionImpl, signal: AbortSignal): Promise<Rev | undefined> {
  const backoff = new Backoff(50, 1000);
  for (;;) {
    try {
      const res = await layout.store.range({ key: stored }, signal);
      const kv = res.kvs[0];
      return kv && kv.lease === session.lease ? kv.createRevision : undefined;
    } catch (error) {
      if (signal.aborted || !ambiguous(error)) {
        await deleteOwnKey(layout, stored, { lease: session.lease }, session);
        throw signal.aborted ? abortErrorOf(signal) : error;
      }
    }
    try {
      await sleep(backoff.next(), signal);
    } catch (error) {
      await deleteOwnKey(layout, stored, { lease: session.lease }, session);
      throw error;
    }
  }
}

/** Deletes a participant key (guarded), retried while its session lives; never rejects. */
export function deleteOwnKey(layout: BarrierLayout, stored: Uint8Array, guard: { revision: Rev } | { lease: Rev }, session: SessionImpl): Promise<void> {
  const { store } = layout;
  const stillNeeded = (): boolean => session.state === 'alive' && !store.closed;
  return deleteGuardedWithRetry(store, stored, guard, stillNeeded).catch(() => undefined);
}

/**
 * The base of a key whose create had an ambiguous outcome, from a later snapshot: a `ready` put
 * before the key was already there when it was created; a `ready` put after it admitted it (no
 * earlier key of its round is known: none counts against it).
 */
function inferBase(revision: Rev, ready: Rev | undefined): Rev {
  if (ready === undefined) return 0n;
  return ready < revision ? ready : revision - 1n;
}

type Verdict = { kind: 'admitted'; ready: Rev } | { kind: 'refused' } | { kind: 'lost' } | { kind: 'open' } | { kind: 'wait' };

/** What one participant knows of the barrier, kept current by watch events applied in revision order. */
class RoundView {
  private readonly waiters: Map<string, Rev>;
  private ready: Rev | undefined;
  private readonly base: Rev;

  constructor(
    private readonly layout: BarrierLayout,
    private readonly mine: OwnKey,
    snap: Snapshot,
  ) {
    this.waiters = new Map(snap.waiters);
    this.ready = snap.ready;
    this.base = mine.base ?? inferBase(mine.revision, snap.ready);
  }

  get readyRevision(): Rev {
    return this.ready ?? 0n;
  }

  /** Applies one event; a verdict when it decides (a `ready` put after the key). */
  apply(event: WatchEvent): Verdict | undefined {
    if (event.key === this.layout.readyKey) {
      this.ready = event.type === 'put' ? event.kv.modRevision : undefined;
      if (this.ready !== undefined && this.ready > this.mine.revision) return this.admission(this.ready);
    } else if (this.layout.isWaiter(event.key)) {
      if (event.type === 'put') this.waiters.set(event.key, event.kv.createRevision);
      else this.waiters.delete(event.key);
    }
    return undefined;
  }

  verdict(): Verdict {
    if (this.ready !== undefined && this.ready > this.mine.revision) return this.admission(this.ready);
    if (!this.waiters.has(this.mine.key)) return { kind: 'lost' };
    const round = byArrival([...this.waiters].filter(([, rev]) => rev > this.base));
    const index = round.findIndex(([key]) => key === this.mine.key);
    return index < this.layout.count && round.length >= this.layout.count ? { kind: 'open' } : { kind: 'wait' };
  }

  /** `ready` was put at `ready`, after this key: admitted unless `count` keys of the round came first. */
  private admission(ready: Rev): Verdict {
    let before = 0;
    for (const rev of this.waiters.values()) if (rev > this.base && rev < this.mine.revision) before++;
    return before >= this.layout.count ? { kind: 'refused' } : { kind: 'admitted', ready };
  }
}

/**
 * Waits until the round of `mine` is complete and returns the mod revision of the `ready` that
 * admitted it, following `watch` (the barrier's, retained by the caller). Rejects with
 * `BarrierFullError`, `SessionLostError` (the key vanished), `ClosedError`, or the abort error of
 * `signal`. The caller deletes the key on failure.
 */
export async function awaitRound(layout: BarrierLayout, mine: OwnKey, first: Snapshot | undefined, watch: SharedWatch, signal: AbortSignal): Promise<Rev> {
  let snap = first;
  const backoff = new Backoff(50, 1000);
  for (;;) {
    // Follow the barrier's watch from the snapshot: read again unless the watch covers it.
    if (!snap || (await watch.started(signal)) > snap.revision) snap = await readCovered(watch, () => layout.snapshot(signal), (s) => s.revision, signal);
    const view = new RoundView(layout, mine, snap);
    const inbox = new Inbox(eventsAfter(layout.store, watch, snap.revision));
    try {
      let verdict = view.verdict();
      for (;;) {
        if (verdict.kind === 'admitted') return verdict.ready;
        if (verdict.kind === 'refused') throw new BarrierFullError(`double barrier ${layout.name} filled up with ${layout.count} participants before this one`);
        if (verdict.kind === 'lost') {
          throw layout.store.closed ? new ClosedError() : new SessionLostError(`double barrier ${layout.name}: the participant's key ${mine.key} vanished (session lost)`);
        }
        let decided: Verdict | undefined;
        if (verdict.kind === 'open') {
          try {
            const put = await openRound(layout, mine, view.readyRevision);
            if (put !== undefined) return put;
            // Something changed (ready put by another participant, or my key gone): the watch tells what.
          } catch (error) {
            if (!ambiguous(error)) throw error;
            // Maybe applied: the watch shows it. Maybe not: try again after a pause.
            await sleep(backoff.next(), signal);
            for (let event = inbox.poll(); event && !decided; event = inbox.poll()) decided = view.apply(event);
            verdict = decided ?? view.verdict();
            continue;
          }
        }
        decided = view.apply(await inbox.next(signal));
        for (let event = inbox.poll(); event && !decided; event = inbox.poll()) decided = view.apply(event);
        verdict = decided ?? view.verdict();
      }
    } catch (error) {
      if (!(error instanceof CompactedError)) throw error;
      // The watch does not cover the snapshot (e.g. its history was compacted during an outage): read the state again and go on.
      snap = undefined;
    } finally {
      inbox.close();
    }
  }
}

/** Puts `ready` (empty value, as Go does) if it is still at `seen` and `mine` still exists; its revision, or undefined. */
async function openRound(layout: BarrierLayout, mine: OwnKey, seen: Rev): Promise<Rev | undefined> {
  const { store } = layout;
  const ready = store.key(layout.readyKey);
  const res = await store.txn({
    compare: [
      { target: 'mod', result: 'equal', key: ready, value: seen },
      { target: 'create', result: 'equal', key: store.key(mine.key), value: mine.revision },
    ],
    success: [op.put({ key: ready, value: EMPTY })],
    failure: [],
  });
  return res.succeeded ? res.header.revision : undefined;
}
