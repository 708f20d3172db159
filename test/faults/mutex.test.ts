/**
 * Mutex safety under faults: client processes take turns on a few locks, each holder writing
 * `begin` and `end` to a protected etcd key with `lock.putIfHeld` (fenced on its token), while
 * the test kills and pauses etcd members, cuts a client's network, pauses a holder process past
 * its session TTL and kills one. The checker then reads etcd's history of the protected keys:
 * no two holders ever overlapped, every acknowledged write is there, no refused one is.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { ChildRequestError, type ClientProcess } from '../harness/client-process.js';
import { startCluster, startRelay, uniquePrefix, type EtcdCluster, type EtcdMember, type Relay } from '../harness/index.js';
import { checkFencedWrites, checkReportedWrites } from './checkers/fenced-history.js';
import { FencedResource } from './checkers/fenced-resource.js';
import { describeViolations } from './checkers/violation.js';
import { recordRow } from './report.js';
import {
  acceptedWrites,
  Checks,
  Counter,
  countEvents,
  faultFor,
  historyOf,
  reportedWrites,
  since,
  SCALE,
  SLACK_MS,
  startWorker,
  unhandledRejections,
} from './support.js';

const TTL = 3;
const ELECTION_TIMEOUT_MS = 1_000;
const TARGET = 1_000 * SCALE;

let cluster: EtcdCluster;
let observer: Conclave;
const workers: ClientProcess[] = [];
const relays: Relay[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'faults-mutex' });
  observer = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.kill()));
  await Promise.allSettled(relays.map((r) => r.close()));
  await observer?.close();
  await cluster?.stop();
});

const addresses = (...members: EtcdMember[]): string[] => members.map((m) => m.clientAddress);

it(`>= ${TARGET} fenced acquisitions by client processes under member, network and process faults: never two holders`, async ({ task }) => {
  const [m0, m1, m2] = cluster.members as [EtcdMember, EtcdMember, EtcdMember];
  const relayToM2 = await startRelay(m2.clientAddress);
  const relayToM0 = await startRelay(m0.clientAddress);
  relays.push(relayToM2, relayToM0);
  const prefix = uniquePrefix('mutex faults');
  const locks = [0, 1, 2, 3].map((i) => `${prefix}lock${i}`);
  const resourcePrefix = `${prefix}res/`;
  const connectTo = (endpoints: string[]) => ({ endpoints, sessionTtlSeconds: TTL });

  // A and B talk to the members directly (pick_first: A is on m0, B on m1); C only through relays.
  const [a, b, c] = await Promise.all([
    startWorker('A', connectTo(addresses(m0, m1, m2)), workers),
    startWorker('B', connectTo(addresses(m1, m2, m0)), workers),
    startWorker('C', connectTo([relayToM2.address, relayToM0.address]), workers),
  ]);
  const acquired = new Counter();
  for (const w of [a, b, c]) countEvents(w, 'acquired', acquired);
  const startRevision = (await observer.put(`${prefix}start`, '')).revision;
  const loop = { locks, resourcePrefix, acquireTimeoutMs: 20_000 };
  await Promise.all([a, b, c].map((w) => w.request('mutexLoop', loop)));

  const faults: string[] = [];
  const step = async (at: number, name: string, inject: () => Promise<void>): Promise<void> => {
    await acquired.reach(at, 120_000 * SCALE, `${at} acquisitions before "${name}"`);
    const t0 = performance.now();
    await inject();
    faults.push(`${name} (${since(t0)} ms)`);
  };

  await step(80 * SCALE, 'kill -9 etcd leader', async () => {
    const leader = await cluster.leader();
    await leader.kill();
    await cluster.waitForLeader({ notMember: leader });
    await leader.restart();
    await cluster.waitHealthy();
  });
  await step(200 * SCALE, 'kill -9 the member A is connected to', async () => {
    await m0.kill();
    await cluster.waitForLeader();
    await m0.restart();
    await cluster.waitHealthy();
  });
  await step(320 * SCALE, 'SIGSTOP the member B is connected to, past the election timeout', async () => {
    m1.pause();
    await faultFor(ELECTION_TIMEOUT_MS + 1_500);
    m1.resume();
    await cluster.waitHealthy();
  });
  await step(440 * SCALE, "drop C's connections for 1.5 s", async () => {
    relayToM2.cut('drop');
    relayToM0.cut('drop');
    await faultFor(1_500);
    relayToM2.restore();
    relayToM0.restore();
  });
  await step(560 * SCALE, `blackhole C's connections past its TTL (${TTL} s)`, async () => {
    relayToM2.cut('blackhole');
    relayToM0.cut('blackhole');
    await faultFor(TTL * 1000 + 2_000);
    relayToM2.restore();
    relayToM0.restore();
  });
  await step(680 * SCALE, `SIGSTOP client process A past its TTL`, async () => {
    a.pause();
    await faultFor(TTL * 1000 + 2_000);
    a.resume();
  });
  let b2: ClientProcess | undefined;
  await step(800 * SCALE, 'kill -9 client process B (and start B2)', async () => {
    await b.kill();
    b2 = await startWorker('B2', connectTo(addresses(m1, m2, m0)), workers);
    countEvents(b2, 'acquired', acquired);
    await b2.request('mutexLoop', loop);
  });
  await acquired.reach(TARGET + 50, 120_000 * SCALE, `${TARGET + 50} acquisitions`);

  const alive = [a, c, b2!];
  const stats = await Promise.all(alive.map((w) => w.request<Record<string, number>>('stopLoops', {}, { timeoutMs: 60_000 })));
  const endRevision = (await observer.put(`${resourcePrefix}~end`, '')).revision;
  const history = await historyOf(observer, resourcePrefix, startRevision + 1n, endRevision);

  const accepted = acceptedWrites(history, (key) => key.endsWith('~end'));
  const reported = reportedWrites(workers, (e) => `${resourcePrefix}${String(e['lock'])}`);
  const checks = new Checks();
  checks.add(checkFencedWrites(accepted));
  checks.add(checkReportedWrites(accepted, reported));
  checks.add(unhandledRejections(workers));
  const lostEvents = workers.flatMap((w) => w.events.filter((e) => e.event === 'lost').map(() => w.label));
  const refused = reported.filter((r) => r.outcome === 'rejected').length;
  const unknown = reported.filter((r) => r.outcome === 'failed').length;
  recordRow(task, {
    scenario: `mutex: 3 client processes x 4 locks; ${faults.length} faults (etcd leader kill -9, connected member kill -9, member SIGSTOP, relay drop, relay blackhole > TTL, client SIGSTOP > TTL, client kill -9)`,
    operations: acquired.value,
    invariant: 'no two holders (fenced writes in etcd history); acked writes kept, refused writes absent',
    violations: checks.violations.length,
    notes: `${accepted.length} writes accepted, ${refused} refused by fencing, ${unknown} unknown outcome; locks lost ${lostEvents.length} times (${[...new Set(lostEvents)].join(', ')}); faults: ${faults.join('; ')}`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
  expect(acquired.value).toBeGreaterThanOrEqual(TARGET);
  expect(stats.reduce((n, s) => n + (s['acquisitions'] ?? 0), 0)).toBeGreaterThan(0);
  expect(accepted.length).toBeGreaterThan(TARGET);
}, 420_000 * SCALE);

it('a holder process paused past its TTL learns on resume that it lost the lock, and its writes are refused', async ({ task }) => {
  const prefix = uniquePrefix('mutex paused');
  const lock = `${prefix}lock`;
  const resourceKey = `${prefix}resource`;
  const [p1, p2] = await Promise.all([
    startWorker('P1', { endpoints: cluster.endpoints, sessionTtlSeconds: TTL }, workers),
    startWorker('P2', { endpoints: [...cluster.endpoints].reverse(), sessionTtlSeconds: TTL }, workers),
  ]);
  const resource = new FencedResource();
  const checks = new Checks();

  const first = await p1.request<{ token: string }>('acquire', { lock });
  const tokenA = BigInt(first.token);
  checks.that(resource.write(tokenA, 'P1'), 'refused-holder', 'the resource refused the first holder');
  await p1.request('putIfHeld', { name: lock, key: resourceKey, value: 'P1' });

  const next = p2.request<{ token: string }>('acquire', { lock, timeoutMs: 60_000 }, { timeoutMs: 70_000 });
  const pausedAt = performance.now();
  p1.pause();
  const second = await next;
  const takeoverMs = since(pausedAt);
  const tokenB = BigInt(second.token);
  checks.that(tokenB > tokenA, 'token-order', `next token ${tokenB} is not above ${tokenA}`);
  checks.that(resource.write(tokenB, 'P2'), 'refused-holder', 'the resource refused the new holder');
  await p2.request('putIfHeld', { name: lock, key: resourceKey, value: 'P2' });

  const resumedAt = Date.now();
  p1.resume();
  const lost = await p1.waitForEvent((e) => e.event === 'lost' && e['name'] === lock, { from: 0, timeoutMs: 15_000, description: 'lost$ after resume' });
  checks.that(lost['aborted'] === true, 'signal', 'lock.signal was not aborted when lost$ emitted');
  checks.that((lost['reason'] as { name?: string }).name === 'LockLostError', 'signal', `signal reason ${JSON.stringify(lost['reason'])}`);
  const naive = await p1.request<{ token: string; aborted: boolean }>('token', { name: lock });
  checks.that(naive.aborted, 'signal', 'lock.signal not aborted after resume');
  // A holder that ignored the signal and wrote anyway, with its token: refused by the resource...
  checks.that(!resource.write(BigInt(naive.token), 'P1'), 'stale-write', 'the resource accepted the old token');
  // ...and by etcd (putIfHeld is fenced on the lock key's create revision).
  const late = await p1.request('putIfHeld', { name: lock, key: resourceKey, value: 'P1-late' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  checks.that(late instanceof ChildRequestError && late.remoteName === 'LockLostError', 'stale-write', `late fenced write: ${String(late)}`);
  // Releasing the lost lock is an idempotent success and does not touch the new holder's key.
  await p1.request('release', { lock });
  const stored = await observer.get(resourceKey);
  checks.that(stored !== undefined && new TextDecoder().decode(stored.value) === 'P2', 'stale-write', 'the resource key does not hold the new holder value');
  const holders = await observer.getPrefix(`${lock}/`);
  checks.that(holders.length === 1 && holders[0]!.createRevision === tokenB, 'holder', `lock keys after the late release: ${holders.map((k) => k.key).join(', ')}`);
  checks.add(unhandledRejections([p1, p2]));

  const bound = TTL * 1000 + 1000;
  recordRow(task, {
    scenario: 'mutex: holder process SIGSTOPped past its TTL, then SIGCONT',
    operations: 6,
    invariant: 'paused holder sees lost$/signal; its late writes refused (etcd and token resource)',
    violations: checks.violations.length,
    notes: `next holder ${takeoverMs} ms after the pause (TTL ${TTL} s); lost$ reported ${lost.receivedAt - resumedAt} ms after SIGCONT`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
  expect(takeoverMs).toBeLessThanOrEqual(bound + SLACK_MS);
  await p2.request('release', { lock });
}, 120_000);

it('negative control: client processes writing without the lock are caught by the checker', async ({ task }) => {
  const prefix = uniquePrefix('mutex control');
  const resourcePrefix = `${prefix}res/`;
  const [x, y] = await Promise.all([
    startWorker('X', { endpoints: cluster.endpoints }, workers),
    startWorker('Y', { endpoints: [...cluster.endpoints].reverse() }, workers),
  ]);
  const rounds = new Counter();
  for (const w of [x, y]) countEvents(w, 'acquired', rounds);
  const startRevision = (await observer.put(`${prefix}start`, '')).revision;
  const loop = { locks: ['shared'], resourcePrefix, unlocked: true };
  await Promise.all([x, y].map((w) => w.request('mutexLoop', loop)));
  // Two writers racing without a lock: let them write a few hundred times.
  await rounds.reach(300, 60_000, '300 unlocked rounds');
  const stats = await Promise.all([x, y].map((w) => w.request<Record<string, number>>('stopLoops', {}, { timeoutMs: 30_000 })));
  const endRevision = (await observer.put(`${resourcePrefix}~end`, '')).revision;
  const history = await historyOf(observer, resourcePrefix, startRevision + 1n, endRevision);
  const found = checkFencedWrites(acceptedWrites(history, (key) => key.endsWith('~end')));
  recordRow(task, {
    scenario: 'negative control: 2 client processes writing the resource without the lock',
    operations: stats.reduce((n, s) => n + (s['acquisitions'] ?? 0), 0),
    invariant: 'the checker must flag the overlaps (a checker that cannot fail is a defect)',
    violations: found.length > 0 ? 0 : 1,
    notes: `checker flagged ${found.length} overlapping writes`,
  });
  expect(found.length).toBeGreaterThan(0);
}, 120_000);

