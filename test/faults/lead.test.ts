/**
 * `election.lead` across 3 real processes: exactly one `work` at a time (fenced history of
 * the resource key: tokens never go back, one holder per token); `work` returning hands the
 * term to another candidate; `kill -9` of the leader → a successor's `work` starts within
 * TTL + 2 s; `signal` → prompt resign (a successor starts at once).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { ClientProcess } from '../harness/client-process.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { checkFencedWrites } from './checkers/fenced-history.js';
import { acceptedWrites, historyOf } from './support.js';

const TTL = 2;
const CHILD = 'test/faults/children/jobs-worker.ts';
const workers: ClientProcess[] = [];
let observer: Conclave;

beforeAll(async () => {
  observer = await connect({ endpoints: sharedCluster().endpoints });
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.kill()));
  await observer?.close();
});

async function startChild(label: string): Promise<ClientProcess> {
  const child = await ClientProcess.start(CHILD, { label, args: [label] });
  workers.push(child);
  await child.request('connect', { endpoints: sharedCluster().endpoints, sessionTtlSeconds: TTL }, { timeoutMs: 30_000 });
  return child;
}

/** The children whose latest work-start has no work-end after it. */
function working(list: readonly ClientProcess[]): ClientProcess[] {
  return list.filter((w) => {
    const last = w.events.filter((e) => e.event === 'work-start' || e.event === 'work-end').at(-1);
    return last?.event === 'work-start';
  });
}

it('3 processes: terms rotate when work returns; kill -9 and stop hand over promptly; one work at a time (fenced history)', async () => {
  const prefix = uniquePrefix('lead processes');
  const election = `${prefix}election`;
  const resourceKey = `${prefix}resource`;
  const from = (await observer.put(`${prefix}start`, '')).revision;
  const [a, b, c] = await Promise.all(['A', 'B', 'C'].map(startChild));
  const all = [a!, b!, c!];

  // work returns after 300 ms: each return resigns; another candidate gets the next term.
  for (const w of all) await w.request('lead', { election, resourceKey, writeEveryMs: 50, workMs: 300 });
  await Promise.all(all.map((w) => w.waitForEvent((e) => e.event === 'work-end', { timeoutMs: 20_000, description: 'a completed term' })));

  // Hold terms: restart the loops without workMs.
  await Promise.all(all.map((w) => w.request('stop', { id: `lead:${election}` })));
  for (const w of all) await w.request('lead', { election, resourceKey, writeEveryMs: 50 });
  const deadline = Date.now() + 20_000;
  while (working(all).length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const leader = working(all)[0]!;
  const others = all.filter((w) => w !== leader);

  // kill -9 the leader: a successor's work starts within TTL + 2 s.
  const marks = others.map((w) => w.events.length);
  const killedAt = Date.now();
  await leader.kill();
  const next = await Promise.any(
    others.map((w, i) => w.waitForEvent((e) => e.event === 'work-start', { from: marks[i], timeoutMs: (TTL + 4) * 1000, description: 'a successor' }).then((e) => ({ w, e }))),
  );
  expect(next.e.receivedAt - killedAt).toBeLessThan((TTL + 2) * 1000);

  // stop (signal) on the new leader: it resigns at once; the last one starts promptly.
  const last = others.find((w) => w !== next.w)!;
  const mark = last.events.length;
  const stoppedAt = Date.now();
  const { ms } = await next.w.request<{ ms: number }>('stop', { id: `lead:${election}` });
  const started = await last.waitForEvent((e) => e.event === 'work-start', { from: mark, timeoutMs: 10_000, description: 'the last candidate' });
  expect(ms).toBeLessThan(2_000);
  expect(started.receivedAt - stoppedAt).toBeLessThan(2_000);
  await last.request('stop', { id: `lead:${election}` });

  // Exactly one work at a time: the resource accepted writes with tokens that never went back, one holder per token.
  const until = (await observer.put(`${prefix}end`, '')).revision;
  const history = await historyOf(observer, prefix, from, until);
  const writes = acceptedWrites(history.filter((e) => e.key === resourceKey));
  expect(new Set(writes.map((w) => w.holder)).size).toBe(3);
  expect(checkFencedWrites(writes)).toEqual([]);
  for (const w of all) expect(w.events.filter((e) => e.event === 'unhandled' || e.event === 'loop-failed')).toEqual([]);
}, 90_000);
