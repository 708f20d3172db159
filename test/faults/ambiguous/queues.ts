/**
 * Queue rows: FIFO and priority `enqueue` / `dequeue`, and `claim` / `ack` / `release`.
 * Invariants (src/queues/queue.ts): an enqueue retried after an unknown outcome may add a
 * second copy, nothing else; `dequeue` is at-most-once (an item may vanish only with the take
 * whose reply was lost) and keeps the order; `claim` + `ack` is at-least-once — no item is lost
 * or hidden while the faulty consumer lives, an acked item never comes back.
 */
import type { Conclave, QueueClaim } from '../../../src/index.js';
import { checkClaims, checkTakes, type ConsumerStep } from '../checkers/queue-history.js';
import type { AmbiguousCase } from './run.js';
import { settle, STEP_MS, type Outcome, type World } from './steps.js';

const IDS = { a: 1, b: 2, c: 3 } as const;
type Name = keyof typeof IDS;
const idOf = (v: unknown): number => IDS[v as Name] ?? -1;
const EMPTY_MS = 800;

/** Takes every item left (a dequeue that waits `EMPTY_MS` in vain means empty). */
async function drainTakes(c: Conclave, priority: boolean): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < 10; i++) {
    const q = priority ? c.priorityQueue<string>('pq') : c.queue<string>('q');
    const out = await settle(q.dequeue({ signal: AbortSignal.timeout(EMPTY_MS) }), EMPTY_MS + 2_000, 'drain dequeue');
    if (!out.ok) break;
    got.push(out.value);
  }
  return got;
}

/** Claims and acks every item left; returns the steps. */
async function drainClaims(c: Conclave, consumer: string): Promise<ConsumerStep[]> {
  const steps: ConsumerStep[] = [];
  for (let i = 0; i < 10; i++) {
    const out = await settle(c.queue<string>('q').claim({ signal: AbortSignal.timeout(EMPTY_MS * 2) }), EMPTY_MS * 2 + 2_000, 'drain claim');
    if (!out.ok) break;
    const id = idOf(out.value.value);
    steps.push({ consumer, id, step: 'claimed' });
    const acked = await settle(out.value.ack(), STEP_MS, 'drain ack');
    steps.push({ consumer, id, step: acked.ok ? 'acked' : 'ack-failed', definite: false });
  }
  return steps;
}

/** `taken` must follow `order` (copies side by side allowed). */
function checkOrder(w: World, taken: readonly string[], order: readonly string[]): void {
  const positions = taken.map((t) => order.indexOf(t));
  w.log.that(positions.every((p, i) => i === 0 || p >= positions[i - 1]!), 'out-of-order', `taken ${taken.join(',')}, expected order ${order.join(',')}`);
}

function enqueueCase(priority: boolean): AmbiguousCase<undefined> {
  const put = (c: Conclave, v: Name, p: number): Promise<void> => (priority ? c.priorityQueue<string>('pq').enqueue(v, p) : c.queue<string>('q').enqueue(v));
  return {
    name: priority ? 'priorityQueue.enqueue' : 'queue.enqueue',
    prepare: (w) => put(w.peer, 'a', 5).then(() => undefined),
    op: (w) => put(w.subject, 'b', 1),
    keeps: (key) => key.startsWith('__pq/'), // the Go recipe's per-priority sequence keys
    async verify(w, _s, out) {
      if (!out.ok) await w.log.step('retried enqueue', put(w.subject, 'b', 1), STEP_MS, 'retry-failed');
      await put(w.peer, 'c', 9);
      const taken = await drainTakes(w.observer, priority);
      const steps = taken.map((v): ConsumerStep => ({ consumer: 'observer', id: idOf(v), step: 'taken' }));
      const copies = new Map([[IDS.b, out.ok ? 1 : 2]]);
      for (const v of checkTakes([1, 2, 3], steps, [], 0, copies).violations) w.log.that(false, v.kind, v.detail);
      checkOrder(w, taken, priority ? ['b', 'a', 'c'] : ['a', 'b', 'c']);
    },
  };
}

function dequeueCase(priority: boolean): AmbiguousCase<undefined> {
  const q = (c: Conclave) => (priority ? c.priorityQueue<string>('pq') : c.queue<string>('q'));
  return {
    name: priority ? 'priorityQueue.dequeue' : 'queue.dequeue',
    async prepare(w) {
      if (priority) {
        await w.peer.priorityQueue<string>('pq').enqueue('a', 5);
        await w.peer.priorityQueue<string>('pq').enqueue('b', 1);
      } else {
        await w.peer.queue<string>('q').enqueue('a');
        await w.peer.queue<string>('q').enqueue('b');
      }
      return undefined;
    },
    op: (w) => q(w.subject).dequeue({ signal: AbortSignal.timeout(STEP_MS) }),
    keeps: (key) => key.startsWith('__pq/'),
    async verify(w, _s, out) {
      const taken = await drainTakes(w.observer, priority);
      const all = [...(out.ok ? [String(out.value)] : []), ...taken];
      const steps = all.map((v): ConsumerStep => ({ consumer: 'x', id: idOf(v), step: 'taken' }));
      // At-most-once: a take whose reply was lost may lose its item (documented), nothing more.
      const { violations, lost } = checkTakes([1, 2], steps, [], w.faulted ? 1 : 0);
      for (const v of violations) w.log.that(false, v.kind, v.detail);
      if (lost.length > 0) w.log.note(`item(s) ${lost.join(',')} vanished with the take whose reply was lost (at-most-once), dequeue ${out.ok ? `returned ${String(out.value)}` : 'failed'}`);
      else checkOrder(w, all, priority ? ['b', 'a'] : ['a', 'b']);
    },
  };
}

async function twoItems(w: World): Promise<void> {
  await w.peer.queue<string>('q').enqueue('a');
  await w.peer.queue<string>('q').enqueue('b');
}

const claim: AmbiguousCase<undefined> = {
  name: 'queue.claim',
  prepare: (w) => twoItems(w).then(() => undefined),
  op: (w) => w.subject.queue<string>('q').claim({ signal: AbortSignal.timeout(STEP_MS) }),
  async verify(w, _s, out: Outcome) {
    const steps: ConsumerStep[] = [];
    if (out.ok) {
      const c = out.value as QueueClaim<string>;
      steps.push({ consumer: 'subject', id: idOf(c.value), step: 'claimed' });
      const acked = await settle(c.ack(), STEP_MS, 'ack');
      steps.push({ consumer: 'subject', id: idOf(c.value), step: acked.ok ? 'acked' : 'ack-failed', definite: false });
    }
    steps.push(...(await drainClaims(w.peer, 'peer')));
    for (const v of checkClaims([1, 2], steps).violations) w.log.that(false, v.kind, `${v.detail} (while the faulty consumer is alive)`);
  },
};

interface Claimed {
  claim: QueueClaim<string>;
}

const ack: AmbiguousCase<Claimed> = {
  name: 'claim.ack',
  prepare: async (w) => (await twoItems(w), { claim: await w.subject.queue<string>('q').claim({ signal: AbortSignal.timeout(STEP_MS) }) }),
  op: (_w, s) => s.claim.ack(),
  async verify(w, s, out) {
    const id = idOf(s.claim.value);
    const steps: ConsumerStep[] = [{ consumer: 'subject', id, step: 'claimed' }];
    let acked = out.ok;
    if (!out.ok) {
      const again = await settle(s.claim.ack(), STEP_MS, 'retried ack');
      w.log.note(`retried ack: ${again.ok ? 'ok' : String(again.error)}`);
      acked = again.ok;
    }
    steps.push({ consumer: 'subject', id, step: acked ? 'acked' : 'ack-failed', definite: false });
    steps.push(...(await drainClaims(w.peer, 'peer')));
    for (const v of checkClaims([1, 2], steps).violations) w.log.that(false, v.kind, v.detail);
  },
};

const release: AmbiguousCase<Claimed> = {
  name: 'claim.release',
  prepare: async (w) => (await twoItems(w), { claim: await w.subject.queue<string>('q').claim({ signal: AbortSignal.timeout(STEP_MS) }) }),
  op: (_w, s) => s.claim.release(),
  async verify(w, s, out) {
    if (!out.ok) await w.log.step('retried release', s.claim.release(), STEP_MS, 'retry-failed');
    const steps: ConsumerStep[] = [{ consumer: 'subject', id: idOf(s.claim.value), step: 'claimed' }];
    steps.push(...(await drainClaims(w.peer, 'peer')));
    for (const v of checkClaims([1, 2], steps).violations) w.log.that(false, v.kind, `${v.detail} (released by the faulty consumer, which is alive)`);
  },
};

/** Every queue row. */
export const queueCases = [enqueueCase(false), dequeueCase(false), enqueueCase(true), dequeueCase(true), claim, ack, release] as AmbiguousCase<unknown>[];
