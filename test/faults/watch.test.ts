/**
 * Watches across a full cluster restart (every member stopped, then started again on the same
 * data dirs) and across a client's connection being dropped and blackholed by a TCP relay:
 * every subscriber must resume with no gap and no duplicate, as checked against etcd's own
 * history of the prefix.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { connect, type Conclave } from '../../src/index.js';
import { startCluster, startRelay, uniquePrefix, type EtcdCluster, type Relay } from '../harness/index.js';
import { checkStream, type StreamMessage } from './checkers/stream-history.js';
import { describeViolations } from './checkers/violation.js';
import { recordRow } from './report.js';
import { Checks, Counter, faultFor, historyOf, retrying, SCALE, since } from './support.js';

const PUTS = 900 * SCALE;

let cluster: EtcdCluster;
const clients: Conclave[] = [];
const relays: Relay[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'faults-watch' });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(relays.map((r) => r.close()));
  await cluster?.stop();
});

async function open(endpoints: string[]): Promise<Conclave> {
  const c = await connect({ endpoints });
  clients.push(c);
  return c;
}

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

it(`${PUTS} puts across a full cluster restart and a relay drop + blackhole: every watcher resumes with no gap or duplicate`, async ({ task }) => {
  const relay = await startRelay(cluster.members[1]!.clientAddress);
  relays.push(relay);
  const publisher = await open(cluster.endpoints);
  const direct = await open(cluster.endpoints);
  const relayed = await open([relay.address]);
  const prefix = uniquePrefix('watch faults');
  const subscribers = [
    { name: 'direct-1', client: direct },
    { name: 'direct-2', client: direct },
    { name: 'direct-3', client: direct },
    { name: 'relayed', client: relayed },
  ].map(({ name, client }) => {
    const received: StreamMessage[] = [];
    const count = new Counter();
    const errors: string[] = [];
    const sub: Subscription = client.watch(prefix, { prefix: true }).subscribe({
      next: (e) => {
        received.push({ revision: e.revision, id: utf8(e.value) });
        count.add();
      },
      error: (e: unknown) => errors.push(String(e)),
    });
    return { name, received, count, errors, sub };
  });
  const probe = await publisher.put(`${prefix}probe`, 'probe');
  await Promise.all(subscribers.map((s) => s.count.reach(1, 20_000, `${s.name} to see the probe`)));

  const put = new Counter();
  const maybe = new Set<string>();
  let failedPuts = 0;
  const publishing = (async () => {
    for (let i = 0; i < PUTS; i++) {
      let attempt = 0;
      await retrying(
        () => publisher.put(`${prefix}k${i % 10}`, `v${i}.${attempt}`),
        60_000,
        () => {
          maybe.add(`v${i}.${attempt++}`);
          failedPuts++;
        },
      );
      put.add();
    }
  })();
  const faults: string[] = [];
  await put.reach(PUTS / 3, 120_000, `${PUTS / 3} puts`);
  let t0 = performance.now();
  await cluster.restartAll();
  faults.push(`full cluster restart (${since(t0)} ms)`);
  await put.reach((PUTS * 2) / 3, 120_000, `${(PUTS * 2) / 3} puts`);
  t0 = performance.now();
  relay.cut('drop');
  await faultFor(1_500);
  relay.restore();
  faults.push(`relay drop 1.5 s (${since(t0)} ms)`);
  await put.reach((PUTS * 5) / 6, 120_000, `${(PUTS * 5) / 6} puts`);
  t0 = performance.now();
  relay.cut('blackhole');
  await faultFor(3_000);
  relay.restore();
  faults.push(`relay blackhole 3 s (${since(t0)} ms)`);
  await publishing;

  const last = (await publisher.put(`${prefix}~end`, 'end')).revision;
  const truth = (await historyOf(publisher, prefix, probe.revision + 1n, last, 60_000)).map((e) => ({ revision: e.revision, id: utf8(e.value) }));
  await Promise.all(
    subscribers.map(async (s) => {
      const deadline = Date.now() + 60_000;
      while ((s.received.at(-1)?.revision ?? 0n) < last && Date.now() < deadline && s.errors.length === 0) {
        await s.count.reach(s.count.value + 1, deadline - Date.now()).catch(() => undefined);
      }
    }),
  );
  for (const s of subscribers) s.sub.unsubscribe();

  const checks = new Checks();
  for (const s of subscribers) {
    checks.add(checkStream(s.name, truth, s.received.filter((m) => m.revision > probe.revision)));
    checks.that(s.errors.length === 0, 'watch-error', `${s.name}: ${s.errors.join('; ')}`);
  }
  // Every acknowledged put is in the history (the ones retried after an unknown outcome may be there too).
  checks.that(truth.length >= PUTS + 1 && truth.length <= PUTS + 1 + maybe.size, 'history', `history has ${truth.length} events for ${PUTS} puts (+${maybe.size} maybe)`);
  recordRow(task, {
    scenario: `watch: ${PUTS} puts; ${faults.join(', ')}`,
    operations: PUTS,
    invariant: 'watchers (3 coalesced + 1 through the relay) resume with no gap or duplicate vs etcd history',
    violations: checks.violations.length,
    notes: `${truth.length} events in history; ${failedPuts} put attempts failed during faults and were retried`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
}, 300_000 * SCALE);
