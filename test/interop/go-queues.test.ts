/**
 * Interop with etcd's real Go client, both ways, over every Conclave transport: items
 * enqueued on one side are dequeued on the other, in order, for the FIFO queue
 * (`recipe.NewQueue`) and the priority queue (`recipe.NewPriorityQueue`), including producers
 * of both sides sharing one priority's sequence; and items a Conclave producer enqueued without
 * job options stay plain recipe items while job bookkeeping (delivery counters, last errors,
 * delayed items) exists for the same queue name.
 */
import { expect, it } from 'vitest';
import { stringCodec, type Conclave, type Job } from '../../src/index.js';
import { pollUntil } from '../harness/index.js';
import { within } from '../contract/primitives-util.js';
import { describeGoInterop } from './go-interop.js';
import type { GoDriver } from './go-driver.js';

/** Dequeues `n` items on the Go side, one after another. */
async function goDequeue(go: GoDriver, op: 'queue.dequeue' | 'pqueue.dequeue', name: string, n: number): Promise<string[]> {
  const values: string[] = [];
  for (let i = 0; i < n; i++) values.push((await go.request<{ value: string }>(op, { name })).value);
  return values;
}

/** The keys left of queue `name` (items and, for a priority queue, nothing else under `name/`). */
async function itemsLeft(c: Conclave, name: string): Promise<string[]> {
  return (await c.getPrefix(`${name}/`)).map((kv) => kv.key);
}

/** The job bookkeeping of queue `name`: every key under `__jobs/<enc(name)>/`, relative to it. */
async function bookkeeping(c: Conclave, name: string): Promise<string[]> {
  const prefix = `__jobs/${encodeURIComponent(name)}/`;
  return (await c.getPrefix(prefix)).map((kv) => kv.key.slice(prefix.length));
}

/**
 * Leaves job bookkeeping for queue `name` behind: a `process()` consumer takes the head item
 * (`poison`), its handler throws (a delivery counter and a last-error record are written), then
 * the consumer is stopped, which puts the item back at its place. Plus a delayed item, due in
 * an hour. Resolves once the counter and the error record exist and `process()` resolved.
 */
async function leaveBookkeeping(c: Conclave, name: string, consume: (handler: (v: string, job: Job) => Promise<void>, signal: AbortSignal) => Promise<void>, delay: () => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const handled: string[] = [];
  const running = consume(async (v) => {
    handled.push(v);
    throw new Error(`handler failed on ${v}`);
  }, stop.signal);
  await delay();
  await pollUntil(async () => {
    const keys = await bookkeeping(c, name);
    return keys.some((k) => k.startsWith('n/')) && keys.some((k) => k.startsWith('e/')) ? true : undefined;
  }, { timeoutMs: 20_000, intervalMs: 20, description: 'a delivery counter and an error record' });
  stop.abort();
  await within(running, 20_000, 'process() to stop');
  expect(handled).toEqual(['poison']);
  expect((await bookkeeping(c, name)).map((k) => k.slice(0, 2)).sort()).toEqual(['d/', 'e/', 'n/']);
}

describeGoInterop('go interop queues', ({ client, go, name }) => {
  it('queue: Go enqueues, Conclave dequeues in order', async () => {
    const c = await client();
    const q = name('queue');
    for (const v of ['a', 'b', 'c']) await go().request('queue.enqueue', { name: q, value: v });
    const queue = c.queue<string>(q, { codec: stringCodec });
    expect([await queue.dequeue(), await queue.dequeue(), await queue.dequeue()]).toEqual(['a', 'b', 'c']);
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('queue: Conclave enqueues, Go dequeues in order', async () => {
    const c = await client();
    const q = name('queue');
    const queue = c.queue<string>(q, { codec: stringCodec });
    for (const v of ['x', 'y', 'z']) await queue.enqueue(v);
    expect(await goDequeue(go(), 'queue.dequeue', q, 3)).toEqual(['x', 'y', 'z']);
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('queue: producers and consumers of both sides interleaved keep one FIFO order', async () => {
    const c = await client();
    const q = name('queue');
    const queue = c.queue<string>(q, { codec: stringCodec });
    await go().request('queue.enqueue', { name: q, value: '1' });
    await queue.enqueue('2');
    await go().request('queue.enqueue', { name: q, value: '3' });
    await queue.enqueue('4');
    const got = [await queue.dequeue(), ...(await goDequeue(go(), 'queue.dequeue', q, 1)), await queue.dequeue()];
    got.push(...(await goDequeue(go(), 'queue.dequeue', q, 1)));
    expect(got).toEqual(['1', '2', '3', '4']);
  });

  it('queue: a waiting dequeue on each side gets the item the other side enqueues', async () => {
    const c = await client();
    const q = name('queue');
    const queue = c.queue<string>(q, { codec: stringCodec });
    const conclaveWaits = queue.dequeue({ signal: AbortSignal.timeout(20_000) });
    await go().request('queue.enqueue', { name: q, value: 'for-conclave' });
    expect(await conclaveWaits).toBe('for-conclave');
    const goWaits = go().call<{ value: string }>('queue.dequeue', { name: q });
    await queue.enqueue('for-go');
    expect((await goWaits.result).value).toBe('for-go');
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('priority queue: Go enqueues, Conclave dequeues by priority then FIFO', async () => {
    const c = await client();
    const q = name('pq');
    for (const [value, priority] of [['low', 5], ['high-1', 1], ['mid', 3], ['high-2', 1]] as const) {
      await go().request('pqueue.enqueue', { name: q, value, priority });
    }
    const pq = c.priorityQueue<string>(q, { codec: stringCodec });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await pq.dequeue({ signal: AbortSignal.timeout(15_000) }));
    expect(got).toEqual(['high-1', 'high-2', 'mid', 'low']);
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('priority queue: Conclave enqueues, Go dequeues by priority then FIFO', async () => {
    const c = await client();
    const q = name('pq');
    const pq = c.priorityQueue<string>(q, { codec: stringCodec });
    for (const [value, priority] of [['low', 5], ['high-1', 1], ['mid', 3], ['high-2', 1]] as const) await pq.enqueue(value, priority);
    expect(await goDequeue(go(), 'pqueue.dequeue', q, 4)).toEqual(['high-1', 'high-2', 'mid', 'low']);
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('priority queue: producers of both sides share one sequence per priority', async () => {
    const c = await client();
    const q = name('pq');
    const pq = c.priorityQueue<string>(q, { codec: stringCodec });
    await go().request('pqueue.enqueue', { name: q, value: 'go-2a', priority: 2 });
    await pq.enqueue('conclave-1a', 1);
    await go().request('pqueue.enqueue', { name: q, value: 'go-1b', priority: 1 });
    await pq.enqueue('conclave-2b', 2);
    await go().request('pqueue.enqueue', { name: q, value: 'go-1c', priority: 1 });
    const keys = await itemsLeft(c, q);
    expect(keys).toEqual([
      `${q}/00001/0000000000000000`,
      `${q}/00001/0000000000000001`,
      `${q}/00001/0000000000000002`,
      `${q}/00002/0000000000000000`,
      `${q}/00002/0000000000000001`,
    ]);
    const got = [await pq.dequeue(), ...(await goDequeue(go(), 'pqueue.dequeue', q, 2)), await pq.dequeue()];
    got.push(...(await goDequeue(go(), 'pqueue.dequeue', q, 1)));
    expect(got).toEqual(['conclave-1a', 'go-1b', 'go-1c', 'go-2a', 'conclave-2b']);
    expect(await itemsLeft(c, q)).toEqual([]);
  });

  it('queue: Go dequeues the items a Conclave producer enqueued without job options, in order, never job bookkeeping', async () => {
    const c = await client();
    const q = name('jobs');
    const queue = c.queue<string>(q, { codec: stringCodec });
    await queue.enqueue('poison');
    await leaveBookkeeping(
      c,
      q,
      (handler, signal) => queue.process(handler, { retryDelayMs: 3_600_000, signal }),
      () => queue.enqueue('later', { delayMs: 3_600_000 }),
    );
    for (const v of ['a', 'b', 'c']) await queue.enqueue(v);
    expect(await goDequeue(go(), 'queue.dequeue', q, 4)).toEqual(['poison', 'a', 'b', 'c']);
    expect(await itemsLeft(c, q)).toEqual([]);
    expect((await bookkeeping(c, q)).some((k) => k.startsWith('d/'))).toBe(true); // the delayed item waits beside, unseen by Go
  });

  it('priority queue: Go dequeues the items a Conclave producer enqueued without job options, by priority, never job bookkeeping', async () => {
    const c = await client();
    const q = name('pjobs');
    const pq = c.priorityQueue<string>(q, { codec: stringCodec });
    await pq.enqueue('poison', 2);
    await leaveBookkeeping(
      c,
      q,
      (handler, signal) => pq.process(handler, { retryDelayMs: 3_600_000, signal }),
      () => pq.enqueue('later', 0, { delayMs: 3_600_000 }),
    );
    for (const [value, priority] of [['a', 1], ['b', 3], ['c', 1]] as const) await pq.enqueue(value, priority);
    expect(await goDequeue(go(), 'pqueue.dequeue', q, 4)).toEqual(['a', 'c', 'poison', 'b']);
    expect(await itemsLeft(c, q)).toEqual([]);
    expect((await bookkeeping(c, q)).some((k) => k.startsWith('d/'))).toBe(true);
  });
});
