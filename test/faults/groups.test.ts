/**
 * Consumer groups under faults, with real processes and real etcd:
 * - 3 member processes × 2 groups, 1,000 messages, one member SIGKILLed mid-way: every group
 *   still handles every message (at least once); then all stop, more are published, one
 *   restarts: it handles exactly the new ones;
 * - replies lost after the write was applied (done marks, claims, the dead-letter move);
 * - etcd compacts its history while a member is cut off: nothing lost when it comes back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, createGrpcTransport, type Conclave } from '../../src/index.js';
import { ClientProcess, type ChildEvent } from '../harness/client-process.js';
import { lostReplyTransport } from '../harness/lost-reply.js';
import { gatewayPost, pollUntil, sharedCluster, startRelay, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

const CHILD = 'test/faults/children/group-member.ts';
const MESSAGES = 1000;
const children: ClientProcess[] = [];
const clients: Conclave[] = [];
let own: EtcdCluster;

beforeAll(async () => {
  own = await startSingle();
});
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.kill()));
  await Promise.allSettled(clients.map((c) => c.close()));
  await own?.stop();
});

async function open(options: Parameters<typeof connect>[0]): Promise<Conclave> {
  const c = await connect(options);
  clients.push(c);
  return c;
}

/** Distinct values handled per group, from the children's `handled` events. */
function handled(group: string): Set<number> {
  return new Set(children.flatMap((c) => c.events).filter((e: ChildEvent) => e.event === 'handled' && e['group'] === group).map((e) => e['value'] as number));
}

async function until(what: string, check: () => boolean, timeoutMs = 45_000): Promise<void> {
  await pollUntil(() => (check() ? true : undefined), { timeoutMs, intervalMs: 50, description: what });
}

/** Publishes `from..to-1`, `inFlight` at a time. */
async function publishRange(c: Conclave, topic: string, from: number, to: number, inFlight = 16): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < to) await c.topic<number>(topic).publish(next++);
    }),
  );
}

it(`3 members × 2 groups, ${MESSAGES} messages, a member killed mid-way: nothing lost; stop all, publish, restart one: exactly the new ones`, async () => {
  const namespace = uniquePrefix('group faults');
  const { endpoints } = sharedCluster();
  const publisher = await open({ endpoints, namespace });
  for (let i = 0; i < 3; i++) {
    const child = await ClientProcess.start(CHILD, { label: `member-${i}` });
    children.push(child);
    await child.request('connect', { endpoints, namespace, sessionTtlSeconds: 2 }, { timeoutMs: 30_000 });
    for (const group of ['billing', 'audit']) await child.request('consume', { topic: 'orders', group, workMs: 2, concurrency: 2 });
  }
  await pollUntil(async () => ((await publisher.getPrefix('__topics/orders/~groups/')).length === 6 ? true : undefined), { description: '6 members' });
  const publishing = publishRange(publisher, 'orders', 0, MESSAGES);
  await until('a third handled by billing', () => handled('billing').size >= MESSAGES / 3);
  await children[0]!.kill(); // SIGKILL, mid-handler
  await publishing;
  const all = Array.from({ length: MESSAGES }, (_, i) => i);
  await until('billing to handle every message', () => handled('billing').size === MESSAGES);
  await until('audit to handle every message', () => handled('audit').size === MESSAGES);
  expect([...handled('billing')].sort((a, b) => a - b)).toEqual(all);
  expect([...handled('audit')].sort((a, b) => a - b)).toEqual(all);
  expect(children.flatMap((c) => c.events).filter((e) => e.event === 'consume-failed')).toEqual([]);

  // Stop every member; publish 100 more; one member starts again.
  const survivors = children.slice(1, 3);
  await Promise.all(survivors.map((c) => c.request('stop', {}, { timeoutMs: 30_000 })));
  const before = survivors[0]!.events.length;
  await publishRange(publisher, 'orders', MESSAGES, MESSAGES + 100);
  await survivors[0]!.request('consume', { topic: 'orders', group: 'billing' });
  const newOnes = () => survivors[0]!.events.slice(before).filter((e) => e.event === 'handled').map((e) => e['value'] as number);
  await until('the 100 new ones', () => newOnes().length >= 100);
  await publisher.topic<number>('orders').publish(-1); // a marker: once it is handled, nothing else is still coming
  await until('the marker', () => newOnes().includes(-1));
  expect(newOnes().sort((a, b) => a - b)).toEqual([-1, ...Array.from({ length: 100 }, (_, i) => MESSAGES + i)]);
  await survivors[0]!.request('stop', {}, { timeoutMs: 30_000 });
});

/** Whether a txn request writes a key containing `part`. */
function writes(part: string): (request: unknown) => boolean {
  const decoder = new TextDecoder();
  return (request) => {
    const ops = (request as { success?: { put?: { key: Uint8Array } }[] }).success ?? [];
    return ops.some((o) => o.put !== undefined && decoder.decode(o.put.key).includes(part));
  };
}

it('replies lost after a done mark, a claim, a retry count and a dead-letter move were applied: each message handled once, the poison one dead-lettered once', async () => {
  const namespace = uniquePrefix('group lost replies');
  const { endpoints } = sharedCluster();
  const lossy = lostReplyTransport(createGrpcTransport({ endpoints }));
  const c = await open({ transport: lossy, namespace });
  const publisher = await open({ endpoints, namespace });
  const topic = publisher.topic<number>('t');
  // Published before the group exists: the first member claims them (backlog).
  const first = await topic.publish(0);
  await topic.publish(1);
  const only = (part: string, not: string) => (r: unknown) => writes(part)(r) && !writes(not)(r);
  lossy.arm({ method: 'txn', when: writes('/claims/'), times: 1 });
  lossy.arm({ method: 'txn', when: only('/done/', 't.g.dead/'), times: 2 });
  lossy.arm({ method: 'txn', when: only('/tries/', '/claims/'), times: 1 });
  // 4 times (re-sent after 50, 100, 200... ms): a re-send comes after the low mark passed the message (its done mark deleted): it must not move it again.
  lossy.arm({ method: 'txn', when: writes('t.g.dead/'), times: 4 });
  const seen: number[] = [];
  const stop = new AbortController();
  const done = c.topic<number>('t').consume(
    async (m) => {
      seen.push(m.value);
      if (m.value === 3) throw new Error('poison');
    },
    { group: 'g', startAt: first.revision, maxDeliveries: 2, retryDelayMs: 10, signal: stop.signal },
  );
  await pollUntil(async () => ((await publisher.getPrefix('__topics/t/~groups/g/')).length === 1 ? true : undefined), { description: 'registered' });
  for (let i = 2; i < 6; i++) await topic.publish(i);
  const dead = await publisher.queue<number>('t.g.dead').dequeue({ signal: AbortSignal.timeout(20_000) });
  await until('every good message', () => [0, 1, 2, 4, 5].every((v) => seen.includes(v)), 20_000);
  await topic.publish(6);
  await until('the marker', () => seen.includes(6), 20_000);
  stop.abort();
  await done;
  expect(lossy.fired).toBe(8);
  expect(dead).toBe(3);
  expect(await publisher.getPrefix('t.g.dead/')).toEqual([]); // moved once, not twice
  expect(seen.filter((v) => v !== 3).sort()).toEqual([0, 1, 2, 4, 5, 6]); // each once: no lost done mark made one run again
  expect(seen.filter((v) => v === 3)).toEqual([3, 3]);
});

it('etcd compacts while a member is cut off: when it is back, every message is handled, none lost', async () => {
  const namespace = uniquePrefix('group compaction');
  const relay = await startRelay(own.members[0]!.clientAddress);
  try {
    const member = await open({ endpoints: [relay.address], namespace, sessionTtlSeconds: 30 });
    const publisher = await open({ endpoints: own.endpoints, namespace });
    const topic = publisher.topic<number>('t');
    const seen: number[] = [];
    const stop = new AbortController();
    const done = member.topic<number>('t').consume(
      async (m) => {
        seen.push(m.value);
      },
      { group: 'g', signal: stop.signal },
    );
    await pollUntil(async () => ((await publisher.getPrefix('__topics/t/~groups/g/')).length === 1 ? true : undefined), { description: 'registered' });
    for (let i = 0; i < 10; i++) await topic.publish(i);
    await until('the first 10', () => seen.length >= 10, 20_000);
    relay.cut('blackhole');
    let last = 0n;
    for (let i = 10; i < 40; i++) last = (await topic.publish(i)).revision;
    await gatewayPost(own.clientUrls[0]!, '/v3/kv/compaction', { revision: last.toString(), physical: true });
    relay.restore();
    await until('all 40', () => new Set(seen).size >= 40, 45_000);
    stop.abort();
    await done;
    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  } finally {
    await relay.close();
  }
});
