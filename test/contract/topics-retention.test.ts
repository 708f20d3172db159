/**
 * Topics at put speed (issue 14, item 3), counted from etcd's own metrics, not timings: a
 * steady-state publish is ONE Put (no txn), the client's one trimmer per topic adds a few
 * amortised reads and deletes; and the retention bounds (count and age) hold under concurrent
 * publishers in several clients. Own single-member etcd, so the RPC counters are ours alone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { parseMetrics, startSingle, sumMetric, type EtcdCluster } from '../harness/index.js';

let cluster: EtcdCluster;
const clients: Conclave[] = [];

beforeAll(async () => {
  cluster = await startSingle({ name: 'topics-retention' });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function open(namespace: string): Promise<Conclave> {
  const c = await connect({ endpoints: cluster.endpoints, namespace });
  clients.push(c);
  return c;
}

const METHODS = ['Put', 'Txn', 'Range', 'DeleteRange'] as const;
type Calls = Record<(typeof METHODS)[number], number>;

/** etcd's count of finished unary calls, by method. */
async function calls(): Promise<Calls> {
  const samples = parseMetrics(await cluster.members[0]!.metrics());
  const out = {} as Calls;
  for (const m of METHODS) out[m] = sumMetric(samples, 'grpc_server_handled_total', { grpc_method: m });
  return out;
}

/** Runs `n` publishes, `inFlight` at a time. */
async function drive(n: number, inFlight: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await send(next++);
    }),
  );
}

/** The time field (ms) of a message key. */
const publishedAt = (key: string): number => Number(/\/([0-9]{15})-[0-9a-f]{16}$/.exec(key)?.[1]);

it.each([1, 16])('a steady-state publish is one write: a Put, or a txn carrying the trim; one revision per message, < 0.05 reads (%i in flight)', async (inFlight) => {
  const c = await open(`writes-${inFlight}/`);
  const topic = c.topic<number>('t'); // default retention: 1,000 messages, 24 h
  await drive(1200, inFlight, (i) => topic.publish(i)); // past the count bound: trimming is part of the steady state
  const n = 1000;
  const before = await calls();
  const r0 = (await c.put('probe', 'x')).revision;
  await drive(n, inFlight, (i) => topic.publish(i));
  const r1 = (await c.put('probe', 'x')).revision;
  const after = await calls();
  const per = (m: keyof Calls): number => (after[m] - before[m]) / n;
  expect(after.Put + after.Txn - before.Put - before.Txn).toBe(n + 2); // one write call per message (+ the two probes)
  expect(per('Txn')).toBeGreaterThan(0); // the count bound is enforced meanwhile: trims ride on publishes
  expect(per('Txn')).toBeLessThan(0.05);
  expect(per('Range')).toBeLessThan(0.05);
  // A trim is sent on its own only for a publish that must wait for it (never at 1 in flight).
  if (inFlight === 1) expect(after.DeleteRange - before.DeleteRange).toBe(0);
  else expect(per('DeleteRange')).toBeLessThan(0.01);
  expect(Number(r1 - r0 - 1n)).toBe(n + (after.DeleteRange - before.DeleteRange)); // one etcd write (revision) per message
  const kept = await c.getPrefix('__topics/t/');
  expect(kept.length).toBeGreaterThanOrEqual(1000);
  expect(kept.length).toBeLessThanOrEqual(1100 + inFlight);
});

it('retention by count holds under concurrent publishers in 4 clients; every message key is unique', async () => {
  const maxMessages = 100; // slack 10
  const clientsN = 4;
  const inFlight = 8;
  const publishers = await Promise.all(Array.from({ length: clientsN }, () => open('count/')));
  const observer = await open('count/');
  let publishing = true;
  let maxSeen = 0;
  const sampler = (async () => {
    while (publishing) {
      maxSeen = Math.max(maxSeen, (await observer.getPrefix('__topics/t/')).length);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const revisions = await Promise.all(
    publishers.map(async (c, p) => {
      const topic = c.topic<{ p: number; i: number }>('t', { retention: { maxMessages } });
      const mine: bigint[] = [];
      await drive(400, inFlight, async (i) => mine.push((await topic.publish({ p, i })).revision));
      return mine;
    }),
  );
  publishing = false;
  await sampler;
  expect(new Set(revisions.flat()).size).toBe(clientsN * 400);
  // When a publish returns: at most maxMessages + 10% + twice that client's other publishes in
  // flight. At any moment, also the puts of every client's publishes not returned yet.
  const bound = maxMessages + 10 + 2 * (inFlight - 1) + clientsN * inFlight;
  expect(maxSeen).toBeLessThanOrEqual(bound);
  const kept = await observer.getPrefix('__topics/t/');
  expect(kept.length).toBeGreaterThanOrEqual(maxMessages);
  expect(kept.length).toBeLessThanOrEqual(bound);
  // One more publish at 1 in flight from a client: back within maxMessages + 10%, the newest kept.
  const last = await publishers[0]!.topic<{ p: number; i: number }>('t', { retention: { maxMessages } }).publish({ p: 0, i: 400 });
  const final = await observer.getPrefix('__topics/t/');
  expect(final.length).toBeLessThanOrEqual(maxMessages + 10);
  expect(final.map((kv) => kv.modRevision)).toContain(last.revision);
});

it('retention by age holds under concurrent publishers: no stored message older than maxAgeMs + the sweep interval', async () => {
  const maxAgeMs = 1000; // swept every 100 ms by each publishing client
  const publishers = await Promise.all(Array.from({ length: 3 }, () => open('age/')));
  const observer = await open('age/');
  const topics = publishers.map((c) => c.topic<number>('t', { retention: { maxMessages: Infinity, maxAgeMs } }));
  const until = Date.now() + 3500;
  let oldestAge = 0;
  let samples = 0;
  const sampler = (async () => {
    while (Date.now() < until) {
      const now = Date.now();
      const keys = (await observer.getPrefix('__topics/t/')).map((kv) => kv.key);
      if (now > until - 2000) {
        // Past the first maxAgeMs, messages have aged out: the bound is exercised.
        oldestAge = Math.max(oldestAge, ...keys.map((k) => now - publishedAt(k)));
        samples++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  let published = 0;
  await Promise.all(
    topics.flatMap((topic) =>
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          await topic.publish(published++);
          await new Promise((r) => setTimeout(r, 2));
        }
      }),
    ),
  );
  await sampler;
  expect(samples).toBeGreaterThan(10);
  expect(published).toBeGreaterThan(100);
  expect(oldestAge).toBeGreaterThan(maxAgeMs / 2); // messages did age meanwhile
  // maxAgeMs + the sweep interval (100 ms) + a pass's round trip and the sampler's own read (slack for a
  // loaded machine). Without sweeps the oldest would be ~3,500 ms old by the end.
  expect(oldestAge).toBeLessThanOrEqual(maxAgeMs + 100 + 900);
});
