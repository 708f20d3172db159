/**
 * Leaving a double barrier: the algorithm of etcd's Go recipe (`DoubleBarrier.Leave`), so that
 * Conclave and Go participants of one round leave together:
 * - read the waiter keys; none left: done;
 * - only my own key left: delete `ready` and my key, done;
 * - I hold the lowest key: wait until the highest key is deleted, then start over;
 * - otherwise: delete my key, wait until the lowest key is deleted, then start over.
 *
 * So the lowest participant deletes its key last, once every other one has deleted its own.
 * Differences, none visible to Go participants:
 * - only the keys of the participant's round and earlier ones count (created before the `ready`
 *   that admitted it): a participant never waits for a later round;
 * - the last one deletes `ready` and its key in one txn, and `ready` only if no participant
 *   admitted by it is still inside (it may already belong to the next round);
 * - a wait rides the client's one watch of `${name}/` from the read's revision (no server watcher of
 *   its own); when that watch does not cover the read (it started later, or its history was
 *   compacted in an outage), it reads the keys again and goes on;
 * - every step is idempotent, so a `leave()` that failed can be called again.
 * @module
 * @internal
 */
import { abortErrorOf } from '../errors.js';
import type { SharedWatch } from '../kit/shared-watch.js';
import { op } from '../kit/store.js';
import type { Rev } from '../transport/index.js';
import { byArrival, type BarrierLayout, type Snapshot } from './double-barrier-layout.js';

/** A participant that entered: its key, and the mod revision of the `ready` that admitted it. */
export interface Participant {
  key: string;
  createRevision: Rev;
  round: Rev;
}

/** Leaves for `me` (see the module doc), waiting on `watch` (the barrier's, retained by the caller). Rejects with the abort error of `signal`, `ClosedError`, or a failed call's error. */
export async function leaveRound(layout: BarrierLayout, me: Participant, watch: SharedWatch, signal: AbortSignal): Promise<void> {
  const { store } = layout;
  for (;;) {
    if (signal.aborted) throw abortErrorOf(signal);
    const snap = await layout.snapshot(signal);
    const round = byArrival([...snap.waiters].filter(([, rev]) => rev < me.round));
    const mine = snap.waiters.get(me.key) === me.createRevision;
    if (round.length === 0 || (round.length === 1 && mine)) {
      await finish(layout, me, snap, mine);
      return;
    }
    const lowest = round[0]![0];
    const highest = round[round.length - 1]![0];
    let awaited = highest;
    if (lowest !== me.key) {
      if (mine) await store.deleteRange({ key: store.key(me.key) });
      awaited = lowest;
    }
    // 'reread' (the watch started after the snapshot, or its history was compacted): the loop reads again.
    await watch.waitDelete([store.key(awaited)], snap.revision, signal);
  }
}

/** The last one out: deletes its key, and `ready` unless a participant it admitted is still inside. */
async function finish(layout: BarrierLayout, me: Participant, snap: Snapshot, mine: boolean): Promise<void> {
  const { store } = layout;
  const own = store.key(me.key);
  const ready = snap.ready;
  const admittedInside = ready !== undefined && [...snap.waiters].some(([key, rev]) => key !== me.key && rev < ready);
  if (ready === undefined || admittedInside) {
    if (mine) await store.deleteRange({ key: own });
    return;
  }
  const readyKey = store.key(layout.readyKey);
  await store.txn({
    compare: [{ target: 'mod', result: 'equal', key: readyKey, value: ready }],
    success: [op.del({ key: readyKey }), op.del({ key: own })],
    failure: [op.del({ key: own })],
  });
}
