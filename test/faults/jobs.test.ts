/**
 * Jobs (`queue.process`) across real processes, and the dead-letter move under faults:
 * - 4 producer and 4 consumer processes, 2,000 items: each handled exactly once when nothing fails;
 * - a consumer killed (`kill -9`) or paused (`SIGSTOP`) past its session TTL mid-handler loses
 *   the item to another consumer, which gets it with attempt 2 (every delivery counts); the
 *   paused one, resumed, sees `job.signal` abort and does not ack;
 * - the dead-letter move under an etcd member kill (own 3-member cluster): every item ends in the
 *   dead-letter queue exactly once and nowhere else;
 * - the dead-letter move with its reply lost: applied once, not repeated.
 */
import { afterAll, expect, it } from 'vitest';
import { connect, createGrpcTransport, type Conclave } from '../../src/index.js';
import { ClientProcess } from '../harness/client-process.js';
import { lostReplyTransport } from '../harness/lost-reply.js';
import { sharedCluster, startCluster, uniquePrefix, type EtcdCluster } from '../harness/index.js';

const TTL = 2;
const CHILD = 'test/faults/children/jobs-worker.ts';
const workers: ClientProcess[] = [];
const clients: Conclave[] = [];

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.kill()));
  await Promise.allSettled(clients.map((c) => c.close()));
});

async function startChild(label: string, endpoints = sharedCluster().endpoints): Promise<ClientProcess> {
  const child = await ClientProcess.start(CHILD, { label, args: [label] });
  workers.push(child);
  await child.request('connect', { endpoints, sessionTtlSeconds: TTL }, { timeoutMs: 30_000 });
  return child;
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const eventsOf = (list: readonly ClientProcess[], name: string): Array<Record<string, unknown> & { by: string }> =>
  list.flatMap((w) => w.events.filter((e) => e.event === name).map((e) => ({ ...e, by: w.label })));

it('4 producers × 4 consumers, 2,000 items: each handled exactly once', async () => {
  const queue = `${uniquePrefix('jobs processes')}q`;
  const N = 2_000;
  const procs = await Promise.all(['P1', 'P2', 'P3', 'P4', 'C1', 'C2', 'C3', 'C4'].map((l) => startChild(l)));
  const producers = procs.slice(0, 4);
  const consumers = procs.slice(4);
  for (const c of consumers) await c.request('process', { queue, concurrency: 4 });
  await Promise.all(producers.map((p, i) => p.request('produce', { queue, from: (i * N) / 4, to: ((i + 1) * N) / 4 }, { timeoutMs: 60_000 })));
  await until(() => eventsOf(consumers, 'done').length >= N, `${N} items handled`, 60_000);
  await Promise.all(consumers.map((c) => c.request('stop', { id: `process:${queue}` })));
  const done = eventsOf(consumers, 'done');
  const ids = done.map((e) => e['id'] as number).sort((a, b) => a - b);
  expect(ids).toEqual(Array.from({ length: N }, (_, i) => i));
  expect(eventsOf(consumers, 'start').filter((e) => e['attempt'] !== 1)).toEqual([]);
  expect(new Set(done.map((e) => e.by)).size).toBe(4);
  const observer = await connect({ endpoints: sharedCluster().endpoints });
  clients.push(observer);
  expect(await observer.getPrefix(`${queue}/`)).toEqual([]);
  expect(await observer.getPrefix(`__jobs/${encodeURIComponent(queue)}/`)).toEqual([]);
  for (const w of procs) await w.kill();
}, 90_000);

for (const fault of ['kill -9', 'SIGSTOP'] as const) {
  it(`a consumer ${fault === 'kill -9' ? 'killed' : 'paused past its TTL'} mid-handler loses its item to another consumer (attempt 2)`, async () => {
    const queue = `${uniquePrefix(`jobs ${fault}`)}q`;
    const [stuck, healthy] = await Promise.all([startChild('stuck'), startChild('healthy')]);
    const producer = await connect({ endpoints: sharedCluster().endpoints });
    clients.push(producer);
    await stuck!.request('process', { queue, hangIds: [7] });
    await producer.queue<{ id: number }>(queue).enqueue({ id: 7 });
    await stuck!.waitForEvent((e) => e.event === 'start' && e['id'] === 7, { timeoutMs: 10_000, description: 'the stuck delivery' });
    await healthy!.request('process', { queue });
    const at = Date.now();
    if (fault === 'kill -9') await stuck!.kill();
    else stuck!.pause();
    const second = await healthy!.waitForEvent((e) => e.event === 'done' && e['id'] === 7, { timeoutMs: (TTL + 6) * 1000, description: 'the redelivery' });
    expect(second['attempt']).toBe(2);
    expect(second.receivedAt - at).toBeGreaterThanOrEqual(TTL * 1000 - 500); // not before the session expired
    if (fault === 'SIGSTOP') {
      stuck!.resume();
      const aborted = await stuck!.waitForEvent((e) => e.event === 'job-aborted' && e['id'] === 7, { timeoutMs: 15_000, description: 'job.signal abort' });
      expect(aborted['attempt']).toBe(1);
      await stuck!.request('stop', { id: `process:${queue}` });
      expect(stuck!.events.filter((e) => e.event === 'done' && e['id'] === 7 && e['lost'] === false)).toEqual([]);
    }
    await healthy!.request('stop', { id: `process:${queue}` });
    expect(await producer.getPrefix(`${queue}/`)).toEqual([]);
    await Promise.allSettled([stuck!.kill(), healthy!.kill()]);
  }, 60_000);
}

it('maxDeliveries across processes: a delivery lost with its consumer counts; the next claimant dead-letters it with a "delivery lost" record', async () => {
  const queue = `${uniquePrefix('jobs lost delivery')}q`;
  const [stuck, healthy] = await Promise.all([startChild('stuck'), startChild('healthy')]);
  const producer = await connect({ endpoints: sharedCluster().endpoints });
  clients.push(producer);
  await stuck!.request('process', { queue, hangIds: [1], maxDeliveries: 1 });
  await producer.queue<{ id: number }>(queue).enqueue({ id: 1 });
  await stuck!.waitForEvent((e) => e.event === 'start' && e['id'] === 1, { timeoutMs: 10_000 });
  await stuck!.kill();
  await healthy!.request('process', { queue, maxDeliveries: 1 });
  expect(await producer.queue<{ id: number }>(`${queue}.dead`).dequeue({ signal: AbortSignal.timeout((TTL + 8) * 1000) })).toEqual({ id: 1 });
  expect(healthy!.events.filter((e) => e.event === 'start')).toEqual([]);
  const [record] = await producer.getPrefix(`__jobs/${encodeURIComponent(`${queue}.dead`)}/dead/`);
  const rec = JSON.parse(new TextDecoder().decode(record!.value)) as { attempt: number; error: { code?: string } };
  expect(rec.attempt).toBe(1);
  expect(rec.error.code).toBe('DELIVERY_LOST');
  await healthy!.kill();
}, 60_000);

it('the dead-letter move whose reply is lost is applied once: the item is in the dead-letter queue once, not in the queue', async () => {
  const { endpoints } = sharedCluster();
  const lossy = lostReplyTransport(createGrpcTransport({ endpoints }));
  const c = await connect({ transport: lossy });
  clients.push(c);
  const queue = `${uniquePrefix('jobs dead lost reply')}q`;
  await c.queue<string>(queue).enqueue('poison');
  lossy.arm({ method: 'txn', when: (req) => JSON.stringify(req, (_k, v: unknown) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : typeof v === 'bigint' ? v.toString() : v)).includes('/dead/') });
  const stop = new AbortController();
  const done = c.queue<string>(queue).process(() => Promise.reject(new Error('bad')), { maxDeliveries: 1, signal: stop.signal });
  await until(() => lossy.fired === 1, 'the lost reply', 15_000);
  await until(() => false, 'settle', 300).catch(() => undefined);
  stop.abort();
  await done;
  expect((await c.getPrefix(`${queue}.dead/`)).map((kv) => new TextDecoder().decode(kv.value))).toEqual(['"poison"']);
  expect(await c.getPrefix(`${queue}/`)).toEqual([]);
  expect(await c.getPrefix(`__jobs/${encodeURIComponent(`${queue}.dead`)}/dead/`)).toHaveLength(1);
}, 30_000);

let own: EtcdCluster | undefined;
afterAll(async () => {
  await own?.stop();
});

it('the dead-letter move under an etcd member kill: every item ends in the dead-letter queue exactly once, none left behind', async () => {
  own = await startCluster({ name: 'faults-jobs' });
  const c = await connect({ endpoints: own.endpoints, sessionTtlSeconds: 5 });
  clients.push(c);
  const queue = 'dlq/q';
  const N = 200;
  const q = c.queue<{ id: number }>(queue);
  for (let i = 0; i < N; i++) await q.enqueue({ id: i });
  const stop = new AbortController();
  let attempts = 0;
  const done = q.process(
    () => {
      attempts++;
      return Promise.reject(new Error('always'));
    },
    { maxDeliveries: 1, concurrency: 4, signal: stop.signal },
  );
  await until(() => attempts >= N / 4, 'a quarter of the items');
  const leader = await own.leader();
  await leader.kill();
  await own.waitForLeader();
  await leader.restart();
  await own.waitHealthy();
  const dead = c.queue<{ id: number }>(`${queue}.dead`);
  await until(() => attempts >= N, 'every item attempted', 60_000);
  const deadline = Date.now() + 30_000;
  let items = await c.getPrefix(`${queue}.dead/`);
  while (items.length < N && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    items = await c.getPrefix(`${queue}.dead/`);
  }
  stop.abort();
  await done;
  const ids = items.map((kv) => (JSON.parse(new TextDecoder().decode(kv.value)) as { id: number }).id).sort((a, b) => a - b);
  expect(ids).toEqual(Array.from({ length: N }, (_, i) => i));
  expect(await c.getPrefix(`${queue}/`)).toEqual([]);
  expect(await c.getPrefix(`__jobs/${encodeURIComponent(`${queue}.dead`)}/dead/`)).toHaveLength(N);
  void dead;
}, 120_000);
