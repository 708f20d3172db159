/**
 * Queue delivery under consumer and member kills, against the documented guarantee
 * (src/queues/queue.ts): `claim()` + `ack()` is at-least-once — nothing is lost, an item comes
 * back only when its claim ended without an ack (here: its consumer was killed) and is never
 * acknowledged twice; `dequeue()` is at-most-once — no item goes to two consumers, and only a
 * take in flight at a kill may vanish.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import type { ClientProcess } from '../harness/client-process.js';
import { pollUntil, startCluster, uniquePrefix, type EtcdCluster, type EtcdMember } from '../harness/index.js';
import { checkClaims, checkTakes, type ConsumerStep } from './checkers/queue-history.js';
import { describeViolations } from './checkers/violation.js';
import { recordRow } from './report.js';
import { Checks, Counter, countEvents, retrying, SCALE, since, startWorker, unhandledRejections } from './support.js';

const TTL = 3;

let cluster: EtcdCluster;
let producer: Conclave;
const workers: ClientProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'faults-queue' });
  producer = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.kill()));
  await producer?.close();
  await cluster?.stop();
});

const rotate = (list: string[], k: number): string[] => [...list.slice(k), ...list.slice(0, k)];

/** Enqueues items `from..to-1`, retried; an enqueue retried after an unknown outcome may have left a copy. */
async function enqueueAll(name: string, from: number, to: number, copies: Map<number, number>): Promise<void> {
  const queue = producer.queue<{ id: number }>(name);
  let next = from;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < to) {
        const id = next++;
        await retrying(
          () => queue.enqueue({ id }),
          60_000,
          () => copies.set(id, (copies.get(id) ?? 1) + 1),
        );
      }
    }),
  );
}

/** The consumer steps the workers reported. */
function stepsOf(list: readonly ClientProcess[]): ConsumerStep[] {
  return list.flatMap((w) =>
    w.events
      .filter((e) => ['claimed', 'acked', 'ack-failed', 'taken'].includes(e.event))
      .map((e) => ({
        consumer: w.label,
        id: e['id'] as number,
        step: e.event as ConsumerStep['step'],
        definite: e.event === 'ack-failed' ? (e['error'] as { name?: string }).name === 'LockLostError' : undefined,
      })),
  );
}

async function restartMember(member: EtcdMember): Promise<void> {
  await member.kill();
  await cluster.waitForLeader();
  await member.restart();
  await cluster.waitHealthy();
}

it('claim + ack (at-least-once) under consumer kill -9 and member kills: nothing lost, nothing acknowledged twice', async ({ task }) => {
  const N = 600 * SCALE;
  const name = `${uniquePrefix('queue claim faults')}jobs`;
  const copies = new Map<number, number>();
  const ids = Array.from({ length: N }, (_, i) => i);
  await enqueueAll(name, 0, N / 2, copies);
  const consumers = await Promise.all(
    ['Q1', 'Q2', 'Q3'].map((label, k) => startWorker(label, { endpoints: rotate(cluster.endpoints, k), sessionTtlSeconds: TTL }, workers)),
  );
  const acked = new Counter();
  const ackedIds = new Set<number>();
  const watchAcks = (w: ClientProcess) =>
    w.onEvent((e) => {
      if (e.event !== 'acked') return;
      ackedIds.add(e['id'] as number);
      acked.add();
    });
  consumers.forEach(watchAcks);
  const claimed = new Counter();
  for (const w of consumers) countEvents(w, 'claimed', claimed);
  const loop = { queue: name, mode: 'claim', workMs: 20 };
  await Promise.all(consumers.map((w) => w.request('queueLoop', loop)));
  const producing = enqueueAll(name, N / 2, N, copies);

  const faults: string[] = [];
  await acked.reach(100 * SCALE, 120_000 * SCALE, '100 acks');
  const [q1, q2] = consumers as [ClientProcess, ClientProcess, ClientProcess];
  // Kill Q1 while it works on an item it claimed (between its claim and its ack).
  const holding = await q1.waitForEvent((e) => e.event === 'claimed', { from: q1.events.length, timeoutMs: 20_000, description: 'a claim by Q1' });
  let t0 = performance.now();
  await q1.kill();
  const orphan = holding['id'] as number;
  const orphanAcked = q1.events.some((e) => e.event === 'acked' && e['id'] === orphan);
  const q4 = await startWorker('Q4', { endpoints: cluster.endpoints, sessionTtlSeconds: TTL }, workers);
  watchAcks(q4);
  countEvents(q4, 'claimed', claimed);
  await q4.request('queueLoop', loop);
  faults.push(`consumer Q1 kill -9 while holding a claim (${since(t0)} ms)`);
  await acked.reach(250 * SCALE, 120_000 * SCALE, '250 acks');
  t0 = performance.now();
  await restartMember(await cluster.leader());
  faults.push(`etcd leader kill -9 (${since(t0)} ms)`);
  await acked.reach(400 * SCALE, 120_000 * SCALE, '400 acks');
  t0 = performance.now();
  await restartMember(cluster.members[1]!); // Q2's member
  faults.push(`Q2's member kill -9 (${since(t0)} ms)`);
  await producing;
  const unknownAcks = () => stepsOf(workers).filter((s) => s.step === 'ack-failed' && !s.definite).map((s) => s.id);
  await pollUntil(() => (ids.every((id) => ackedIds.has(id) || unknownAcks().includes(id)) ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 100,
    description: `all ${N} items acknowledged (${ackedIds.size} so far)`,
  });
  await Promise.all([q2, consumers[2]!, q4].map((w) => w.request('stopLoops', {}, { timeoutMs: 60_000 })));
  // Nothing left behind: no item, and no claim marker once the killed consumer's lease expired.
  const left = await pollUntil(
    async () => {
      const items = await producer.getPrefix(`${name}/`);
      const markers = await producer.getPrefix(`__claims/${encodeURIComponent(name)}/`);
      return items.length === 0 && markers.length === 0 ? { items: 0, markers: 0 } : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, description: 'an empty queue' },
  ).catch(async () => ({ items: (await producer.getPrefix(`${name}/`)).length, markers: (await producer.getPrefix(`__claims/${encodeURIComponent(name)}/`)).length }));

  const checks = new Checks();
  const { violations, redelivered } = checkClaims(ids, stepsOf(workers), copies);
  checks.add(violations);
  checks.that(left.items === 0 && left.markers === 0, 'left-behind', `${left.items} item(s) and ${left.markers} claim marker(s) left in etcd`);
  checks.add(unhandledRejections(workers));
  const orphanSteps = stepsOf(workers).filter((s) => s.id === orphan);
  checks.that(
    orphanAcked || orphanSteps.some((s) => s.step === 'acked' && s.consumer !== 'Q1'),
    'orphan',
    `item ${orphan}, claimed by Q1 when it was killed, was never acknowledged by another consumer: ${JSON.stringify(orphanSteps)}`,
  );
  recordRow(task, {
    scenario: `queue claim+ack: ${N} items, 3 consumer processes; ${faults.join(', ')}`,
    operations: N,
    invariant: 'at-least-once: every item acknowledged, none twice; queue empty after',
    violations: checks.violations.length,
    notes: `${claimed.value} claims, ${acked.value} acks, ${redelivered} redelivered (item ${orphan}, orphaned by the kill, ${orphanAcked ? 'was acked before it' : `acked by ${orphanSteps.find((s) => s.step === 'acked')?.consumer}`}), ${unknownAcks().length} acks with unknown outcome, ${[...copies.values()].filter((c) => c > 1).length} enqueues retried`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
}, 420_000 * SCALE);

it('dequeue (at-most-once) under consumer kill -9 and a member kill: no item delivered twice, losses only in flight', async ({ task }) => {
  const N = 400 * SCALE;
  const name = `${uniquePrefix('queue take faults')}jobs`;
  const copies = new Map<number, number>();
  const ids = Array.from({ length: N }, (_, i) => i);
  await enqueueAll(name, 0, N, copies);
  const consumers = await Promise.all(
    ['T1', 'T2', 'T3'].map((label, k) => startWorker(label, { endpoints: rotate(cluster.endpoints, k), sessionTtlSeconds: TTL }, workers)),
  );
  const taken = new Counter();
  for (const w of consumers) countEvents(w, 'taken', taken);
  await Promise.all(consumers.map((w) => w.request('queueLoop', { queue: name, mode: 'take' })));

  const faults: string[] = [];
  await taken.reach(100 * SCALE, 120_000 * SCALE, '100 takes');
  let t0 = performance.now();
  const [t1, t2, t3] = consumers as [ClientProcess, ClientProcess, ClientProcess];
  await t1.kill();
  faults.push(`consumer T1 kill -9 (${since(t0)} ms)`);
  await taken.reach(200 * SCALE, 120_000 * SCALE, '200 takes');
  t0 = performance.now();
  await restartMember(await cluster.leader());
  faults.push(`etcd leader kill -9 (${since(t0)} ms)`);
  // Up to one take in flight per consumer can vanish with a kill.
  const maxLost = 1 + consumers.length;
  await pollUntil(async () => ((await producer.getPrefix(`${name}/`)).length === 0 ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 200,
    description: `the queue to drain (${taken.value} taken so far)`,
  });
  await Promise.all([t2, t3].map((w) => w.request('stopLoops', {}, { timeoutMs: 60_000 })));
  const remaining = (await producer.getPrefix(`${name}/`)).map((kv) => (JSON.parse(new TextDecoder().decode(kv.value)) as { id: number }).id);

  const checks = new Checks();
  const { violations, lost } = checkTakes(ids, stepsOf(consumers), remaining, maxLost, copies);
  checks.add(violations);
  checks.add(unhandledRejections(consumers));
  recordRow(task, {
    scenario: `queue dequeue: ${N} items, 3 consumer processes; ${faults.join(', ')}`,
    operations: N,
    invariant: `at-most-once: no item taken twice; lost only in flight (<= ${maxLost})`,
    violations: checks.violations.length,
    notes: `${taken.value} taken, ${lost.length} lost in flight${lost.length ? ` (${lost.join(', ')})` : ''}, ${remaining.length} left`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
}, 300_000 * SCALE);
