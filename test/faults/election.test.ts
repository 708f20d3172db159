/**
 * Election safety and failover under faults: client processes campaign, write to a protected
 * key with `leadership.putIfHeld` while they lead, resign and campaign again, while the test
 * kills etcd members, then kills (-9) and pauses (SIGSTOP) the leading process. The checker
 * reads etcd's history of the protected key: at most one leader per term, terms never
 * overlap. Failover (leader process gone → new leader seen) is measured against TTL + 1 s.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave, type Leader } from '../../src/index.js';
import { ChildRequestError, type ClientProcess } from '../harness/client-process.js';
import { startCluster, uniquePrefix, type EtcdCluster, type EtcdMember } from '../harness/index.js';
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
const WRITES_PER_TERM = 3;
const FAILOVER_BOUND_MS = TTL * 1000 + 1000;

let cluster: EtcdCluster;
let observer: Conclave;
const workers: ClientProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'faults-election' });
  observer = await connect({ endpoints: cluster.endpoints });
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.kill()));
  await observer?.close();
  await cluster?.stop();
});

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
const rotate = (list: string[], k: number): string[] => [...list.slice(k), ...list.slice(0, k)];

/** Resolves with the time (performance clock) `leader$` shows a leader other than the term `old`. */
function nextLeader(leader$: import('rxjs').Observable<Leader | undefined>, old: bigint, ms: number): Promise<{ at: number; leader: Leader }> {
  return firstValueFrom(
    leader$.pipe(
      filter((l): l is Leader => l !== undefined && l.revision !== old),
      timeout(ms),
    ),
  ).then((leader) => ({ at: performance.now(), leader }));
}

it('terms under member and process faults: one leader per term, no overlap; failover within TTL + 1 s', async ({ task }) => {
  const [m0, m1] = cluster.members as [EtcdMember, EtcdMember, EtcdMember];
  const prefix = uniquePrefix('election faults');
  const name = `${prefix}election`;
  const resourceKey = `${prefix}resource`;
  const connectTo = (k: number) => ({ endpoints: rotate(cluster.endpoints, k), sessionTtlSeconds: TTL });
  const alive = await Promise.all(['E1', 'E2', 'E3'].map((label, k) => startWorker(label, connectTo(k), workers)));
  const terms = new Counter();
  for (const w of alive) countEvents(w, 'elected', terms);
  const election = observer.election(name);
  const watching = election.leader$.subscribe();
  const startRevision = (await observer.put(`${prefix}start`, '')).revision;
  const loop = { election: name, resourceKey, writesPerTerm: WRITES_PER_TERM, holdWriteMs: 100 };
  await Promise.all(alive.map((w) => w.request('electionLoop', loop)));

  const faults: string[] = [];
  await terms.reach(40 * SCALE, 120_000 * SCALE, '40 terms');
  let t0 = performance.now();
  const etcdLeader = await cluster.leader();
  await etcdLeader.kill();
  await cluster.waitForLeader({ notMember: etcdLeader });
  await etcdLeader.restart();
  await cluster.waitHealthy();
  faults.push(`kill -9 etcd leader (${since(t0)} ms)`);
  await terms.reach(80 * SCALE, 120_000 * SCALE, '80 terms');
  t0 = performance.now();
  await m0.kill(); // E1's member
  await cluster.waitForLeader();
  await m0.restart();
  await cluster.waitHealthy();
  faults.push(`kill -9 E1's member (${since(t0)} ms)`);
  await terms.reach(120 * SCALE, 120_000 * SCALE, '120 terms');
  t0 = performance.now();
  m1.pause(); // E2's member
  await faultFor(2_500); // past the election timeout
  m1.resume();
  await cluster.waitHealthy();
  faults.push(`SIGSTOP E2's member 2.5 s (${since(t0)} ms)`);
  await terms.reach(150 * SCALE, 120_000 * SCALE, '150 terms');

  // Failover: leaders now keep their term; find the holder, take it away, time the next leader.
  await Promise.all(alive.map((w) => w.request('setHold', { hold: true })));
  const holding = async (): Promise<{ worker: ClientProcess; term: bigint }> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const leader = (await firstValueFrom(election.leader$.pipe(filter((l): l is Leader => l !== undefined), timeout(20_000)))) as Leader;
      const worker = alive.find((w) => w.label === utf8(leader.value));
      if (!worker) continue;
      const wrote = await worker
        .waitForEvent((e) => e.event === 'write' && e['token'] === leader.revision.toString() && (e['seq'] as number) > WRITES_PER_TERM, {
          timeoutMs: 5_000,
          description: `hold-mode write of term ${leader.revision}`,
        })
        .then(
          () => true,
          () => false,
        );
      if (wrote) return { worker, term: leader.revision };
    }
    throw new Error('no leader settled into its term');
  };
  const failovers: { how: string; leaderSeenMs: number; electedMs: number }[] = [];
  const takeAway = async (how: 'kill -9' | 'SIGSTOP'): Promise<ClientProcess> => {
    const { worker, term } = await holding();
    const others = alive.filter((w) => w !== worker);
    const marks = others.map((w) => w.events.length);
    const seen = nextLeader(election.leader$, term, 30_000);
    const elected = Promise.any(others.map((w, i) => w.waitForEvent((e) => e.event === 'elected', { from: marks[i], timeoutMs: 30_000 })));
    const start = performance.now();
    const startWall = Date.now();
    if (how === 'kill -9') await worker.kill();
    else worker.pause();
    const next = await seen;
    const won = await elected;
    failovers.push({ how, leaderSeenMs: Math.round(next.at - start), electedMs: won.receivedAt - startWall });
    return worker;
  };

  const killed = await takeAway('kill -9');
  alive.splice(alive.indexOf(killed), 1);
  const e4 = await startWorker('E4', connectTo(0), workers);
  countEvents(e4, 'elected', terms);
  await e4.request('setHold', { hold: true });
  await e4.request('electionLoop', loop);
  alive.push(e4);
  const paused = await takeAway('SIGSTOP');
  const mark = paused.events.length;
  const resumedAt = Date.now();
  paused.resume();
  const lost = await paused.waitForEvent((e) => e.event === 'lost', { from: mark, timeoutMs: 15_000, description: 'lost$ after SIGCONT' }).then(
    (e) => e,
    () => undefined,
  );
  await Promise.all(alive.map((w) => w.request('setHold', { hold: false })));
  await terms.reach(terms.value + 5, 60_000, '5 more terms');
  await Promise.all(alive.map((w) => w.request('stopLoops', {}, { timeoutMs: 60_000 })));
  watching.unsubscribe();

  const endRevision = (await observer.put(`${resourceKey}~end`, '')).revision;
  const history = await historyOf(observer, resourceKey, startRevision + 1n, endRevision);
  const accepted = acceptedWrites(history, (key) => key.endsWith('~end'));
  const checks = new Checks();
  checks.add(checkFencedWrites(accepted));
  checks.add(checkReportedWrites(accepted, reportedWrites(workers, () => resourceKey)));
  checks.add(unhandledRejections(workers));
  checks.that(lost !== undefined, 'no-lost', `the leader paused past its TTL (${paused.label}) never reported lost$ after SIGCONT`);
  const distinctTerms = new Set(accepted.map((w) => w.token)).size;
  recordRow(task, {
    scenario: `election: 3 client processes, resign every ${WRITES_PER_TERM} writes; ${faults.join(', ')}; leader process kill -9; leader process SIGSTOP > TTL`,
    operations: terms.value,
    invariant: 'at most one leader per term, terms never overlap (fenced writes in etcd history)',
    violations: checks.violations.length,
    notes: `${accepted.length} writes accepted over ${distinctTerms} terms; paused leader ${paused.label} reported lost$ ${lost ? `${lost.receivedAt - resumedAt} ms after SIGCONT` : 'never'}`,
  });
  for (const f of failovers) {
    const over = f.leaderSeenMs > FAILOVER_BOUND_MS ? 1 : 0;
    recordRow(task, {
      scenario: `election failover: leader process ${f.how} (TTL ${TTL} s)`,
      operations: 1,
      invariant: `new leader within TTL + 1 s (${FAILOVER_BOUND_MS} ms)`,
      violations: over,
      notes: `new leader seen by leader$ after ${f.leaderSeenMs} ms; its campaign() resolved after ${f.electedMs} ms${over ? ' (over the bound on this run)' : ''}`,
    });
  }
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
  expect(terms.value).toBeGreaterThanOrEqual(150 * SCALE);
  for (const f of failovers) expect(f.leaderSeenMs, `${f.how} failover`).toBeLessThanOrEqual(FAILOVER_BOUND_MS + SLACK_MS);
}, 420_000 * SCALE);

it('a leader process paused past its TTL: a new leader takes over; on resume the old one sees lost$, and its proclaim and writes are refused', async ({ task }) => {
  const prefix = uniquePrefix('election paused');
  const name = `${prefix}election`;
  const resourceKey = `${prefix}resource`;
  const [l1, l2] = await Promise.all([
    startWorker('L1', { endpoints: cluster.endpoints, sessionTtlSeconds: TTL }, workers),
    startWorker('L2', { endpoints: rotate(cluster.endpoints, 1), sessionTtlSeconds: TTL }, workers),
  ]);
  const resource = new FencedResource();
  const checks = new Checks();
  const first = await l1.request<{ token: string }>('campaign', { election: name, value: 'L1' });
  const term1 = BigInt(first.token);
  checks.that(resource.write(term1, 'L1'), 'refused-leader', 'the resource refused the first leader');
  await l1.request('putIfHeld', { name, key: resourceKey, value: 'L1' });

  const next = l2.request<{ token: string }>('campaign', { election: name, value: 'L2' }, { timeoutMs: 70_000 });
  const pausedAt = performance.now();
  l1.pause();
  const second = await next;
  const failoverMs = since(pausedAt);
  const term2 = BigInt(second.token);
  checks.that(term2 > term1, 'term-order', `term ${term2} is not after ${term1}`);
  checks.that(resource.write(term2, 'L2'), 'refused-leader', 'the resource refused the new leader');
  const current = await observer.election(name).leader();
  checks.that(current !== undefined && utf8(current.value) === 'L2' && current.revision === term2, 'two-leaders', `leader() says ${current && utf8(current.value)}`);

  const mark = l1.events.length;
  const resumedAt = Date.now();
  l1.resume();
  const lost = await l1.waitForEvent((e) => e.event === 'lost' && e['name'] === name, { from: mark, timeoutMs: 15_000, description: 'lost$ after SIGCONT' });
  checks.that(lost['aborted'] === true, 'signal', 'leadership.signal not aborted when lost$ emitted');
  const refused = async (op: string, args: Record<string, unknown>, code?: string): Promise<void> => {
    const outcome = await l1.request(op, args).then(
      () => undefined,
      (e: unknown) => e,
    );
    const ok = outcome instanceof ChildRequestError && outcome.remoteName === 'LockLostError' && (code === undefined || outcome.code === code);
    checks.that(ok, 'stale-leader', `${op} by the old leader: ${String(outcome)}`);
  };
  await refused('proclaim', { election: name, value: 'L1 again' }, 'NOT_LEADER');
  await refused('putIfHeld', { name, key: resourceKey, value: 'L1-late' });
  const naive = await l1.request<{ token: string }>('token', { name });
  checks.that(!resource.write(BigInt(naive.token), 'L1'), 'stale-write', 'the resource accepted the old term');
  await l1.request('resign', { election: name }); // idempotent success, and L2 stays leader
  const after = await observer.election(name).leader();
  checks.that(after !== undefined && after.revision === term2 && utf8(after.value) === 'L2', 'two-leaders', 'the old leader resign removed the new leader');
  const stored = await observer.get(resourceKey);
  checks.that(stored !== undefined && utf8(stored.value) === 'L1', 'stale-write', 'the protected key changed after the pause');
  checks.add(unhandledRejections([l1, l2]));

  recordRow(task, {
    scenario: 'election: leader process SIGSTOPped past its TTL, then SIGCONT',
    operations: 7,
    invariant: 'one leader; old leader sees lost$; its proclaim/putIfHeld refused; resign harmless',
    violations: checks.violations.length,
    notes: `new leader elected ${failoverMs} ms after the pause (TTL ${TTL} s); lost$ reported ${lost.receivedAt - resumedAt} ms after SIGCONT`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
  expect(failoverMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS + SLACK_MS);
  await l2.request('resign', { election: name });
}, 120_000);
