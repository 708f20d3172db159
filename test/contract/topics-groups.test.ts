/**
 * Consumer groups (`topic.consume`) over every transport: every group gets every message, the
 * work is spread, progress survives a full stop, startAt, retries and the dead-letter queue.
 */
import { expect, it } from 'vitest';
import { ClosedError, type Conclave, type ConsumeContext, type TopicMessage } from '../../src/index.js';
import { pollUntil } from '../harness/index.js';
import { describeContract } from './transports.js';
import { revokeLease, within } from './primitives-util.js';

/** Handled messages of one consume() call. */
interface Member {
  handled: { value: number; revision: bigint; attempt: number }[];
  stop(): Promise<void>;
  done: Promise<void>;
}

function join(
  c: Conclave,
  topic: string,
  group: string,
  opts: { startAt?: 'latest' | 'earliest' | bigint; maxDeliveries?: number; retryDelayMs?: number; deadLetter?: string; concurrency?: number } = {},
  handle?: (m: TopicMessage<number>, ctx: ConsumeContext) => Promise<void>,
): Member {
  const stopper = new AbortController();
  const handled: Member['handled'] = [];
  const done = c.topic<number>(topic).consume(
    async (m, ctx) => {
      await handle?.(m, ctx);
      handled.push({ value: m.value, revision: m.revision, attempt: ctx.attempt });
    },
    { group, signal: stopper.signal, ...opts },
  );
  done.catch(() => undefined); // awaited by stop(); a test that failed early must not leave an unhandled rejection
  return {
    handled,
    done,
    stop: async () => {
      stopper.abort();
      await within(done, 20_000, `consume(${group}) to stop`);
    },
  };
}

const values = (members: Member[]): number[] => members.flatMap((m) => m.handled.map((h) => h.value)).sort((a, b) => a - b);

async function handledCount(members: Member[], n: number, what: string): Promise<void> {
  await pollUntil(() => (values(members).length >= n ? true : undefined), { timeoutMs: 30_000, intervalMs: 20, description: what });
}

/** Waits until a member of `group` is registered (so 'latest' groups see what is published next). */
async function registered(c: Conclave, topic: string, group: string, n = 1): Promise<void> {
  await pollUntil(async () => ((await c.getPrefix(`__topics/${topic}/~groups/${group}/`)).length >= n ? true : undefined), { description: `${n} member(s) of ${group}` });
}

describeContract('topic consumer groups', ({ client, open, prefix, cluster }) => {
  it('every group gets every message once; the work is spread over the members', async () => {
    const c = await client();
    const topic = c.topic<number>('orders');
    const billing = [join(c, 'orders', 'billing'), join(c, 'orders', 'billing')];
    const audit = [join(c, 'orders', 'audit')];
    await registered(c, 'orders', 'billing', 2);
    await registered(c, 'orders', 'audit', 1);
    const n = 60;
    for (let i = 0; i < n; i++) await topic.publish(i);
    await handledCount(billing, n, 'billing to handle every message');
    await handledCount(audit, n, 'audit to handle every message');
    const all = Array.from({ length: n }, (_, i) => i);
    await Promise.all([...billing, ...audit].map((m) => m.stop()));
    expect(values(billing)).toEqual(all); // nothing failed: each exactly once
    expect(values(audit)).toEqual(all);
    expect(billing[0]!.handled.length).toBeGreaterThan(0);
    expect(billing[1]!.handled.length).toBeGreaterThan(0);
  });

  it('a group whose members all stopped resumes at the first unhandled message', async () => {
    const c = await client();
    const topic = c.topic<number>('resume');
    const first = [join(c, 'resume', 'g'), join(c, 'resume', 'g')];
    await registered(c, 'resume', 'g', 2);
    for (let i = 0; i < 20; i++) await topic.publish(i);
    await handledCount(first, 20, 'the first 20');
    await Promise.all(first.map((m) => m.stop()));
    for (let i = 20; i < 35; i++) await topic.publish(i);
    const again = join(c, 'resume', 'g', { startAt: 'earliest' }); // an existing group ignores startAt
    await handledCount([again], 15, 'the 15 published while stopped');
    await topic.publish(35);
    await handledCount([again], 16, 'the live one');
    await again.stop();
    expect(values([again])).toEqual(Array.from({ length: 16 }, (_, i) => 20 + i));
  });

  it("startAt: 'latest', 'earliest' and a revision (inclusive) for new groups", async () => {
    const c = await client();
    const topic = c.topic<number>('starts');
    const revs: bigint[] = [];
    for (let i = 0; i < 5; i++) revs.push((await topic.publish(i)).revision);
    // One client per group (three services): see the report on grpc-proxy watch creates in one client.
    const latest = join(await open({ namespace: prefix }), 'starts', 'latest');
    const earliest = join(await open({ namespace: prefix }), 'starts', 'earliest', { startAt: 'earliest' });
    const fromRev = join(await open({ namespace: prefix }), 'starts', 'rev', { startAt: revs[2]! });
    await registered(c, 'starts', 'latest');
    await registered(c, 'starts', 'earliest');
    await registered(c, 'starts', 'rev');
    await topic.publish(5);
    await handledCount([latest], 1, 'latest');
    await handledCount([earliest], 6, 'earliest');
    await handledCount([fromRev], 4, 'from a revision');
    await Promise.all([latest, earliest, fromRev].map((m) => m.stop()));
    expect(values([latest])).toEqual([5]);
    expect(values([earliest])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(values([fromRev])).toEqual([2, 3, 4, 5]);
  });

  it('a throwing handler gets the message again with attempt + 1; after maxDeliveries it goes to the dead-letter queue', async () => {
    const c = await client();
    const topic = c.topic<number>('flaky');
    const attempts = new Map<number, number[]>();
    const member = join(c, 'flaky', 'g', { maxDeliveries: 3, retryDelayMs: 10 }, async (m, ctx) => {
      attempts.set(m.value, [...(attempts.get(m.value) ?? []), ctx.attempt]);
      if (m.value === 1 && ctx.attempt < 2) throw new Error('transient');
      if (m.value === 2) throw new Error('poison');
    });
    await registered(c, 'flaky', 'g');
    for (let i = 0; i < 3; i++) await topic.publish(i);
    await handledCount([member], 2, 'the good and the transient one');
    const dead = await within(c.queue<number>('flaky.g.dead').dequeue(), 20_000, 'the dead letter');
    await member.stop();
    expect(dead).toBe(2);
    expect(values([member])).toEqual([0, 1]);
    expect(attempts.get(1)).toEqual([1, 2]);
    expect(attempts.get(2)).toEqual([1, 2, 3]);
  });

  it("a dead letter keeps the handler's last error beside it, in the jobs' error-record form, written by the move's txn", async () => {
    const c = await client();
    const topic = c.topic<number>('poison');
    const member = join(c, 'poison', 'g', { maxDeliveries: 3, retryDelayMs: 10 }, async (_m, ctx) => {
      throw Object.assign(new Error(`poison at attempt ${ctx.attempt}`), { code: 'E_POISON' });
    });
    await registered(c, 'poison', 'g');
    const revision = (await topic.publish(7)).revision;
    const [item] = await pollUntil(async () => {
      const kvs = await c.getPrefix('poison.g.dead/');
      return kvs.length > 0 ? kvs : undefined;
    }, { timeoutMs: 20_000, intervalMs: 20, description: 'the dead letter' });
    await member.stop();
    expect(JSON.parse(new TextDecoder().decode(item!.value))).toBe(7); // the original value (JSON codec)
    const suffix = item!.key.slice('poison.g.dead/'.length);
    const rec = await c.get(`__jobs/${encodeURIComponent('poison.g.dead')}/dead/${suffix}`);
    expect(rec, 'the error record').toBeDefined();
    expect(rec!.modRevision).toBe(item!.modRevision); // same txn
    const body = JSON.parse(new TextDecoder().decode(rec!.value)) as Record<string, unknown> & { error: Record<string, unknown> };
    expect(body).toMatchObject({ queue: 'poison', group: 'g', revision: revision.toString(), attempt: 3 });
    expect(body.key).toMatch(/^__topics\/poison\/[0-9]{15}-[0-9a-f]{16}$/);
    expect(body.error).toMatchObject({ name: 'Error', message: 'poison at attempt 3', code: 'E_POISON' });
    expect(typeof body.at).toBe('string');
    expect(await c.queue<number>('poison.g.dead').dequeue()).toBe(7); // an ordinary queue item
  });

  it('closing the client aborts the running handler and rejects consume() with ClosedError', async () => {
    const c = await open({ namespace: prefix });
    const topic = c.topic<number>('closing');
    let aborted: unknown;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const member = join(c, 'closing', 'g', {}, async (_m, ctx) => {
      markStarted();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = ctx.signal.reason;
    });
    await registered(c, 'closing', 'g');
    await topic.publish(1);
    await within(started, 20_000, 'the handler to start');
    await c.close();
    await expect(within(member.done, 20_000, 'consume to settle')).rejects.toBeInstanceOf(ClosedError);
    expect(aborted).toBeInstanceOf(ClosedError);
  });

  it("a member whose session is lost mid-handler: its handler's signal aborts, another member gets the message, and it joins again", async () => {
    const c = await client();
    const topic = c.topic<number>('lose');
    let aborted = 0;
    let markStarted!: (value: number) => void;
    const started = new Promise<number>((resolve) => (markStarted = resolve));
    let blocking = true;
    const a = join(c, 'lose', 'g', {}, async (m, ctx) => {
      if (!blocking) return;
      markStarted(m.value);
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted++;
      throw ctx.signal.reason;
    });
    await registered(c, 'lose', 'g');
    const [aKey] = await c.getPrefix('__topics/lose/~groups/g/');
    const b = join(c, 'lose', 'g');
    await registered(c, 'lose', 'g', 2);
    for (let i = 0; i < 10; i++) await topic.publish(i);
    const stuck = await within(started, 20_000, "a message of a's share");
    blocking = false;
    await revokeLease(cluster(), aKey!.lease);
    await handledCount([a, b], 10, 'every message, the stuck one by b');
    await Promise.all([a.stop(), b.stop()]);
    expect(aborted).toBe(1);
    expect(b.handled.map((h) => h.value)).toContain(stuck);
    expect(values([a, b])).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('rejects bad options', async () => {
    const c = await client();
    const topic = c.topic<number>('bad');
    const noop = async () => {};
    await expect(topic.consume(noop, { group: '' })).rejects.toThrow(/group/);
    await expect(topic.consume(noop, { group: 'g', concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(topic.consume(noop, { group: 'g', startAt: 0n })).rejects.toThrow(/startAt/);
    await expect(topic.consume(noop, { group: 'g', retryDelayMs: -1 })).rejects.toThrow(/retryDelayMs/);
  });
});
