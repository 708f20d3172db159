/**
 * Interop with etcd's real Go client, both ways, over every Conclave transport: items
 * enqueued on one side are dequeued on the other, in order, for the FIFO queue
 * (`recipe.NewQueue`) and the priority queue (`recipe.NewPriorityQueue`), including producers
 * of both sides sharing one priority's sequence.
 */
import { expect, it } from 'vitest';
import { stringCodec, type Conclave } from '../../src/index.js';
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
});
