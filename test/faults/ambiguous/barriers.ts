/**
 * Barrier rows (`hold`, `release`) and double-barrier rows (`enter`, `leave`, count 2).
 * Invariants: a held barrier blocks waiters and its release frees them; a retried hold or
 * release is idempotent; a failed `enter` leaves no phantom participant (the other real
 * participant is not admitted without a second real one); every `enter`/`leave` finishes
 * (retried once if it failed) within a bound.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { Conclave, DoubleBarrier } from '../../../src/index.js';
import type { AmbiguousCase } from './run.js';
import { BLOCKED_MS, settle, STEP_MS, type Outcome } from './steps.js';

const hold: AmbiguousCase<undefined> = {
  name: 'barrier.hold',
  prepare: async () => undefined,
  op: (w) => w.subject.barrier('b').hold(),
  async verify(w, _s, out) {
    if (!out.ok) await w.log.step('retried hold (idempotent)', w.subject.barrier('b').hold(), STEP_MS, 'retry-failed');
    await w.log.stillBlocked('peer wait on the held barrier', (signal) => w.peer.barrier('b').wait({ signal }), BLOCKED_MS, 'not-held');
    const waiting = w.peer.barrier('b').wait({ signal: AbortSignal.timeout(STEP_MS) });
    await w.log.step('subject release', w.subject.barrier('b').release(), STEP_MS);
    await w.log.step('peer wait after release', waiting, STEP_MS + 1_000);
  },
};

const release: AmbiguousCase<undefined> = {
  name: 'barrier.release',
  prepare: (w) => w.subject.barrier('b').hold().then(() => undefined),
  op: (w) => w.subject.barrier('b').release(),
  async verify(w, _s, out) {
    if (!out.ok) await w.log.step('retried release (idempotent)', w.subject.barrier('b').release(), STEP_MS, 'retry-failed');
    await w.log.step('peer wait after release', w.peer.barrier('b').wait({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000, 'still-held');
  },
};

interface EnterState {
  mine: DoubleBarrier;
  peer: DoubleBarrier;
  peerEnter: Promise<Outcome<void>>;
}

const leaveOf = (d: DoubleBarrier, what: string): Promise<Outcome<void>> => settle(d.leave({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000, what);

/**
 * Resolves once a key exists under `prefix` (read by `c`): a live watch first, then a read — a key put before the
 * watch started is in the read, one put after it is in the watch. Bounded by `ms`.
 */
async function untilAnyKey(c: Conclave, prefix: string, ms: number): Promise<void> {
  const seen = firstValueFrom(c.watch(prefix, { prefix: true }).pipe(filter((e) => e.type === 'put'), timeout(ms)));
  seen.catch(() => undefined);
  if ((await c.getPrefix(prefix, { keysOnly: true })).length > 0) return;
  await seen;
}

const enter: AmbiguousCase<EnterState> = {
  name: 'doubleBarrier.enter',
  prepare: async (w) => {
    const peer = w.peer.doubleBarrier('d', 2);
    const peerEnter = settle(peer.enter({ signal: AbortSignal.timeout(STEP_MS + 4_000) }), STEP_MS + 5_000, 'peer enter');
    // The subject enters second (so it is the one that writes `ready`): the same writes in every run, each faulted in turn.
    await untilAnyKey(w.observer, 'd/waiters/', STEP_MS);
    return { mine: w.subject.doubleBarrier('d', 2), peer, peerEnter };
  },
  op: (_w, s) => s.mine.enter({ signal: AbortSignal.timeout(STEP_MS) }),
  async verify(w, s, out) {
    if (out.ok) {
      const peer = await s.peerEnter;
      w.log.that(peer.ok, 'enter-hangs', `peer enter with the subject inside: ${peer.ok ? '' : String(peer.error)}`);
      const [mine, theirs] = await Promise.all([leaveOf(s.mine, 'subject leave'), leaveOf(s.peer, 'peer leave')]);
      w.log.that(mine.ok && theirs.ok, 'leave-hangs', `subject leave: ${mine.ok ? 'ok' : String(mine.error)}; peer leave: ${theirs.ok ? 'ok' : String(theirs.error)}`);
      return;
    }
    // The subject gave up: the peer must not pass until a second REAL participant enters.
    const early = await Promise.race([s.peerEnter.then(() => 'passed'), new Promise<string>((r) => setTimeout(() => r('waiting'), BLOCKED_MS))]);
    w.log.that(early === 'waiting', 'phantom-participant', 'the peer passed enter() with only the failed subject "inside"');
    const third = w.third.doubleBarrier('d', 2);
    const entered = await w.log.step('third enter', third.enter({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000);
    const peer = await s.peerEnter;
    w.log.that(peer.ok, 'enter-hangs', `peer enter: ${peer.ok ? '' : String(peer.error)}`);
    const leaves = await Promise.all([...(peer.ok ? [leaveOf(s.peer, 'peer leave')] : []), ...(entered.ok ? [leaveOf(third, 'third leave')] : [])]);
    w.log.that(leaves.every((l) => l.ok), 'leave-hangs', `leaves: ${leaves.map((l) => (l.ok ? 'ok' : String(l.error))).join(', ')}`);
  },
};

interface LeaveState {
  mine: DoubleBarrier;
  peer: DoubleBarrier;
  peerLeave?: Promise<Outcome<void>>;
}

const leave: AmbiguousCase<LeaveState> = {
  name: 'doubleBarrier.leave',
  async prepare(w) {
    const s = { mine: w.subject.doubleBarrier('d', 2), peer: w.peer.doubleBarrier('d', 2) };
    await Promise.all([s.mine, s.peer].map((d) => d.enter({ signal: AbortSignal.timeout(STEP_MS) })));
    return s;
  },
  op(_w, s) {
    s.peerLeave = leaveOf(s.peer, 'peer leave');
    return s.mine.leave({ signal: AbortSignal.timeout(STEP_MS) });
  },
  async verify(w, s, out) {
    if (!out.ok) await w.log.step('retried subject leave', s.mine.leave({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000, 'retry-failed');
    const peer = await s.peerLeave!;
    w.log.that(peer.ok, 'leave-hangs', `peer leave: ${peer.ok ? '' : String(peer.error)}`);
  },
};

/** Every barrier row. */
export const barrierCases = [hold, release, enter, leave] as AmbiguousCase<unknown>[];
