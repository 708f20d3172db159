/**
 * Compaction-during-outage rows for the waits: barrier `wait`, double barrier `enter` and
 * `leave`, a mutex waiter, queue `dequeue` and `claim` on an empty queue. What the wait
 * waited for happened while the client was cut off and its history was compacted: the wait
 * must re-read the current state and finish (no `CompactedError`, no hang).
 */
import type { DoubleBarrier, Lock } from '../../../src/index.js';
import { settle, STEP_MS, type Outcome } from '../ambiguous/steps.js';
import { inPlace, type OutageCase } from './run.js';

const WAIT_MS = 30_000;

interface Waiting<T = unknown> {
  wait: Promise<Outcome<T>>;
  other?: unknown;
}

function describe(out: Outcome): string {
  return out.ok ? 'ok' : String(out.error);
}

const barrierWait: OutageCase<Waiting> = {
  name: 'barrier wait',
  async start(w) {
    await w.peer.barrier('b').hold();
    const before = w.subject.stats().watchSubscribers;
    const wait = settle(w.subject.barrier('b').wait({ signal: AbortSignal.timeout(WAIT_MS) }), WAIT_MS + 1_000, 'barrier wait');
    await inPlace(w, before);
    return { wait };
  },
  async during(w) {
    await w.peer.barrier('b').release();
    await w.peer.put('~noise', 'x');
  },
  async verify(w, s) {
    const out = await s.wait;
    w.log.that(out.ok, 'wait-failed', `barrier wait after the release during the outage: ${describe(out)}`);
  },
};

interface Entering extends Waiting<void> {
  mine: DoubleBarrier;
  peer: DoubleBarrier;
}

const doubleEnter: OutageCase<Entering> = {
  name: 'double barrier enter',
  async start(w) {
    const mine = w.subject.doubleBarrier('d', 2);
    const before = w.subject.stats().watchSubscribers;
    const wait = settle(mine.enter({ signal: AbortSignal.timeout(WAIT_MS) }), WAIT_MS + 1_000, 'enter');
    await inPlace(w, before);
    return { wait, mine, peer: w.peer.doubleBarrier('d', 2) };
  },
  async during(_w, s) {
    await s.peer.enter({ signal: AbortSignal.timeout(STEP_MS) });
  },
  async verify(w, s) {
    const out = await s.wait;
    w.log.that(out.ok, 'wait-failed', `enter after the second participant entered during the outage: ${describe(out)}`);
    const leaves = await Promise.all([
      ...(out.ok ? [settle(s.mine.leave({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000, 'leave')] : []),
      settle(s.peer.leave({ signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 1_000, 'leave'),
    ]);
    w.log.that(leaves.every((l) => l.ok), 'leave-failed', `leaves: ${leaves.map(describe).join(', ')}`);
  },
};

const doubleLeave: OutageCase<Entering> = {
  name: 'double barrier leave',
  async start(w) {
    const mine = w.subject.doubleBarrier('d', 2);
    const peer = w.peer.doubleBarrier('d', 2);
    await Promise.all([mine.enter({ signal: AbortSignal.timeout(STEP_MS) }), peer.enter({ signal: AbortSignal.timeout(STEP_MS) })]);
    const before = w.subject.stats().watchSubscribers;
    const wait = settle(mine.leave({ signal: AbortSignal.timeout(WAIT_MS) }), WAIT_MS + 1_000, 'leave');
    await inPlace(w, before);
    return { wait, mine, peer };
  },
  async during(_w, s) {
    // The peer's leave may itself wait for the subject (when the subject holds the lowest key): do not block the outage on it.
    s.other = settle(s.peer.leave({ signal: AbortSignal.timeout(WAIT_MS) }), WAIT_MS + 1_000, 'peer leave');
    await Promise.race([s.other, new Promise((r) => setTimeout(r, 300))]);
  },
  async verify(w, s) {
    const [out, peer] = await Promise.all([s.wait, s.other as Promise<Outcome>]);
    w.log.that(out.ok, 'wait-failed', `leave after the peer left during the outage: ${describe(out)}`);
    w.log.that(peer.ok, 'wait-failed', `peer leave: ${describe(peer)}`);
  },
};

const lockWaiter: OutageCase<Waiting<Lock> & { held: Lock }> = {
  name: 'mutex waiter',
  async start(w) {
    const held = await w.peer.mutex('m').acquire({ timeoutMs: STEP_MS });
    const before = w.subject.stats().watchSubscribers;
    const wait = settle(w.subject.mutex('m').acquire({ timeoutMs: WAIT_MS }), WAIT_MS + 1_000, 'acquire');
    await inPlace(w, before);
    return { wait, held };
  },
  async during(w, s) {
    await s.held.release();
    await w.peer.put('~noise', 'x');
  },
  async verify(w, s) {
    const out = await s.wait;
    w.log.that(out.ok, 'wait-failed', `acquire after the holder released during the outage: ${describe(out)}`);
    if (out.ok) {
      w.log.that(out.value.fencingToken > s.held.fencingToken, 'token-order', `token ${out.value.fencingToken} not above ${s.held.fencingToken}`);
      await out.value.release();
    }
  },
};

function queueWait(mode: 'dequeue' | 'claim'): OutageCase<Waiting> {
  return {
    name: `queue ${mode} waiting on an empty queue`,
    async start(w) {
      const before = w.subject.stats().watchSubscribers;
      const q = w.subject.queue<string>('q');
      const signal = AbortSignal.timeout(WAIT_MS);
      const wait = settle<unknown>(mode === 'dequeue' ? q.dequeue({ signal }) : q.claim({ signal }), WAIT_MS + 1_000, mode);
      await inPlace(w, before);
      return { wait };
    },
    async during(w) {
      await w.peer.queue<string>('q').enqueue('x');
    },
    async verify(w, s) {
      const out = await s.wait;
      const value = out.ok ? (mode === 'dequeue' ? out.value : (out.value as { value: unknown }).value) : undefined;
      w.log.that(out.ok && value === 'x', 'wait-failed', `${mode} after the enqueue during the outage: ${out.ok ? String(value) : describe(out)}`);
      if (out.ok && mode === 'claim') await (out.value as { ack(): Promise<void> }).ack();
    },
  };
}

/** Every waiting row. */
export const waitOutageCases = [barrierWait, doubleEnter, doubleLeave, lockWaiter, queueWait('dequeue'), queueWait('claim')] as OutageCase<unknown>[];
