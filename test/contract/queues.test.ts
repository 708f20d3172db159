/**
 * Queue and priority queue: the scenarios of etcd's Go recipe tests
 * (v3_queue_test.go) at a larger scale, the recipes' key layouts, delivery
 * guarantees (exactly one dequeuer; at-least-once claims), no herd inside a
 * client, and aborts that lose nothing.
 */
import { expect, it } from 'vitest';
import type { ConclaveClient } from '../../src/client/client.js';
import { AbortError, DecodeError, InvalidArgumentError, LockLostError, type Conclave } from '../../src/index.js';
import { countBecomes, revokeLease, sharedLease, track, within } from './primitives-util.js';
import { describeContract } from './transports.js';

describeContract('queues', ({ client, open, prefix, cluster }) => {
  const openNs = () => open({ namespace: prefix });

  /**
   * A client whose queue watchers can be counted: dequeues and claims hold
   * their items through claim markers on the client's session, whose own
   * marker watch is one server watcher; it is started first and not counted.
   */
  async function openCounted(): Promise<{ c: Conclave; watchers: () => Promise<number> }> {
    const c = await openNs();
    await sharedLease(c);
    await countBecomes(async () => c.stats().serverWatchers, 1, 'the session watching its marker');
    return { c, watchers: async () => c.stats().serverWatchers - 1 };
  }

  /** Counts the txn calls a client makes from now on. */
  function countTxns(c: Conclave): { count: () => number; restore: () => void } {
    const transport = (c as ConclaveClient).core.transport as unknown as { txn: (...args: unknown[]) => unknown };
    const original = transport.txn;
    let n = 0;
    transport.txn = function (this: unknown, ...args: unknown[]) {
      n++;
      return original.apply(this, args);
    };
    return { count: () => n, restore: () => void (transport.txn = original) };
  }

  it('FIFO with one producer and one consumer, in the recipes layout `${name}/<unixNano>`', async () => {
    const c = await client();
    const q = c.queue<number>('fifo');
    const consumer = (await openNs()).queue<number>('fifo');
    const got = within(
      (async () => {
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push(await consumer.dequeue());
        return out;
      })(),
      20_000,
      'dequeuing 20',
    );
    for (let i = 0; i < 20; i++) await q.enqueue(i);
    expect(await got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await q.enqueue(99);
    const [kv] = await c.getPrefix('fifo/');
    expect(kv!.key).toMatch(/^fifo\/[0-9]{19}$/);
    expect(await consumer.dequeue()).toBe(99);
  });

  it('4 producers and 4 consumers on 8 clients: 2,000 items, each dequeued exactly once', async () => {
    const producers = await Promise.all(Array.from({ length: 4 }, () => openNs()));
    const consumers = await Promise.all(Array.from({ length: 4 }, () => openNs()));
    const total = 2000;
    const perProducer = total / producers.length;
    let claimed = 0;
    const received: string[][] = consumers.map(() => []);
    const consuming = consumers.map(async (c, i) => {
      const q = c.queue<string>('many');
      while (claimed++ < total) received[i]!.push(await q.dequeue());
    });
    const producing = producers.map(async (c, p) => {
      const q = c.queue<string>('many');
      for (let j = 0; j < perProducer; j++) await q.enqueue(`${p}:${j}`);
    });
    await within(Promise.all([...producing, ...consuming]), 170_000, '2,000 items through the queue');
    const all = received.flat();
    expect(all.length).toBe(total);
    expect(new Set(all).size).toBe(total);
    // Each consumer sees each producer's items in the producer's order.
    for (const items of received) {
      for (let p = 0; p < producers.length; p++) {
        const seq = items.filter((v) => v.startsWith(`${p}:`)).map((v) => Number(v.split(':')[1]));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
    }
    expect(await (await client()).getPrefix('many/')).toEqual([]);
  }, 180_000);

  it('priority queue: lower number first, FIFO within a priority, recipes layout `${name}/%05d/%016d`', async () => {
    const c = await client();
    const pq = c.priorityQueue<string>('prq');
    const items: [string, number][] = [];
    for (let i = 0; i < 30; i++) items.push([`item-${i}`, [2, 0, 1, 65535, 7][i % 5]!]);
    for (const [v, p] of items) await pq.enqueue(v, p);
    const keys = (await c.getPrefix('prq/')).map((kv) => kv.key);
    expect(keys).toContain('prq/00000/0000000000000000');
    expect(keys).toContain('prq/65535/0000000000000005');
    expect(await c.get('__prq/00002')).toBeDefined(); // the recipes' bookkeeping key
    const consumer = (await openNs()).priorityQueue<string>('prq');
    const out: string[] = [];
    for (let i = 0; i < items.length; i++) out.push(await within(consumer.dequeue(), 10_000, 'a dequeue'));
    const expected = [...items].map(([v, p], i) => ({ v, p, i })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.v);
    expect(out).toEqual(expected);
  });

  it('priority queue: 3 producers with random priorities and 3 consumers, each item once', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => openNs()));
    const total = 300;
    let taken = 0;
    const got: string[] = [];
    await within(
      Promise.all([
        ...clients.slice(0, 3).map(async (c, p) => {
          const pq = c.priorityQueue<string>('prq-many');
          for (let j = 0; j < total / 3; j++) await pq.enqueue(`${p}:${j}`, Math.floor(Math.random() * 2));
        }),
        ...clients.slice(3).map(async (c) => {
          const pq = c.priorityQueue<string>('prq-many');
          while (taken++ < total) got.push(await pq.dequeue());
        }),
      ]),
      110_000,
      'the priority queue run',
    );
    expect(new Set(got).size).toBe(total);
  }, 120_000);

  it('bad priorities and unencodable values are refused before anything is written', async () => {
    const c = await client();
    const pq = c.priorityQueue('bad');
    for (const p of [-1, 1.5, 65536, Number.NaN, '1' as unknown as number]) await expect(pq.enqueue('x', p)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.queue('bad').enqueue(undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.queue('bad').enqueue('x'.repeat(2 * 1024 * 1024))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await c.getPrefix('bad')).toEqual([]);
    expect(await c.getPrefix('__bad')).toEqual([]);
  });

  it('waiting dequeues of one client are served one at a time: an enqueue does not wake them all', async () => {
    const { c, watchers } = await openCounted();
    const q = c.queue<number>('herd');
    const waits = Array.from({ length: 10 }, () => track(q.dequeue()));
    await countBecomes(watchers, 2, 'the head waiter watching items and claims');
    const txns = countTxns(c);
    try {
      const producer = (await client()).queue<number>('herd');
      await producer.enqueue(1);
      await within(waits[0]!.promise, 10_000, 'the first waiter');
      await countBecomes(watchers, 2, 'the next waiter watching');
      // One scan, then a claim and a delete for the item, then one scan before waiting again: not one per waiter.
      expect(txns.count()).toBeLessThanOrEqual(4);
      expect(waits.filter((w) => w.settled()).length).toBe(1);
      for (let i = 2; i <= 10; i++) await producer.enqueue(i);
      expect(await within(Promise.all(waits.map((w) => w.promise)), 10_000, 'all waiters')).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    } finally {
      txns.restore();
    }
  });

  it('an aborted dequeue leaves nothing behind and loses no item enqueued right after (repeated race)', async () => {
    const { c, watchers } = await openCounted();
    const q = c.queue<number>('abort');
    const producer = (await client()).queue<number>('abort');
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const waiting = q.dequeue({ signal: controller.signal }).then(
        (v) => ({ value: v }),
        (e: unknown) => ({ error: e }),
      );
      if (i % 2 === 0) await countBecomes(watchers, 2, 'the waiter watching');
      const enqueued = producer.enqueue(i);
      if (i % 4 < 2) await enqueued;
      controller.abort();
      await enqueued;
      const outcome: { value: number } | { error: unknown } = await waiting;
      if ('error' in outcome) {
        expect(outcome.error).toBeInstanceOf(AbortError);
        expect(await within(q.dequeue(), 10_000, 'the item after the abort')).toBe(i);
      } else {
        expect(outcome.value).toBe(i);
      }
      await countBecomes(watchers, 0, 'no watcher left');
    }
    expect(await c.getPrefix('abort/')).toEqual([]);
  });

  it('claim() is at-least-once: an item claimed by a client whose session is lost is served again; ack() removes it', async () => {
    const c = await client();
    const q = c.queue<string>('claims');
    await q.enqueue('first');
    await q.enqueue('second');
    const doomed = await openNs();
    const claim = await doomed.queue<string>('claims').claim();
    expect(claim.value).toBe('first');
    expect(claim.key).toMatch(/^claims\/[0-9]+$/);
    // Hidden from other consumers while claimed: the next one gets 'second'.
    const other = await openNs();
    const second = await other.queue<string>('claims').claim();
    expect(second.value).toBe('second');
    const waiting = track(other.queue<string>('claims').dequeue());
    await revokeLease(cluster(), await sharedLease(doomed));
    expect(await within(waiting.promise, 10_000, 'redelivery after the claimant died')).toBe('first');
    await within(new Promise((resolve) => (claim.signal.aborted ? resolve(undefined) : claim.signal.addEventListener('abort', resolve))), 10_000, 'claim lost');
    await expect(claim.ack()).rejects.toBeInstanceOf(LockLostError);
    await second.ack();
    await second.ack(); // idempotent
    expect(await c.getPrefix('claims/')).toEqual([]);
    expect(await c.getPrefix('__claims/claims/')).toEqual([]);
  });

  it('claim().release() returns the item at its place; `await using` releases an unacknowledged claim', async () => {
    const c = await client();
    const q = c.queue<string>('release');
    for (const v of ['a', 'b', 'c']) await q.enqueue(v);
    const a = await q.claim();
    expect(a.value).toBe('a');
    await a.release();
    {
      await using again = await q.claim();
      expect(again.value).toBe('a');
    }
    expect(await q.dequeue()).toBe('a');
    expect(await q.dequeue()).toBe('b');
    const pq = c.priorityQueue<string>('release-pq');
    await pq.enqueue('low', 5);
    await pq.enqueue('high', 1);
    const top = await pq.claim();
    expect(top.value).toBe('high');
    expect(await pq.dequeue()).toBe('low');
    await top.ack();
    expect(await c.getPrefix('release-pq/')).toEqual([]);
  });

  it('an item the codec cannot decode is removed and reported as DecodeError with its bytes; the next item follows', async () => {
    const c = await client();
    const q = c.queue<unknown>('poison');
    await c.put('poison/1000000000000000000', 'not json');
    await q.enqueue({ ok: true });
    const err = await q.dequeue().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect(new TextDecoder().decode((err as DecodeError).bytes)).toBe('not json');
    expect(await q.dequeue()).toEqual({ ok: true });
  });

  it('queues `a` and `a/b` do not see each other’s items; items written as Go does are served', async () => {
    const { c, watchers } = await openCounted();
    const a = c.queue<string>('nest');
    const ab = c.queue<string>('nest/b');
    await ab.enqueue('inner');
    await c.put(`nest/${1_700_000_000_000_000_000n}`, JSON.stringify('from go'));
    expect(await a.dequeue()).toBe('from go');
    const aborted = new AbortController();
    const none = a.dequeue({ signal: aborted.signal });
    await countBecomes(watchers, 2, 'waiting on an empty queue');
    aborted.abort();
    await expect(none).rejects.toBeInstanceOf(AbortError);
    expect(await ab.dequeue()).toBe('inner');
  });

  it('a dequeue waiting when the client closes rejects with ClosedError', async () => {
    const { c, watchers } = await openCounted();
    const waiting = c
      .queue('closing')
      .dequeue()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await countBecomes(watchers, 2, 'waiting');
    await c.close();
    expect(await within(waiting, 10_000, 'the waiter')).toMatchObject({ code: 'CLOSED' });
  });
});
