/**
 * The ambiguous-outcome fault model, table-driven: for every write step of every primitive
 * (test/faults/ambiguous/*.ts), a clean run counts the operation's writes; then each write in
 * turn is applied by etcd and its reply lost (`lostReplyTransport`), and the first write goes
 * through a real TCP relay that loses etcd's answer and resets the connection, and one that
 * holds the answer past the call's deadline. After each run the row's invariants are checked
 * with fault-free participants (no double holder, no phantom participant, nothing lost,
 * duplicated or reordered, every wait bounded), then the client under fault closes and nothing
 * may be left behind (keys under the run's prefix, leases it was granted).
 *
 * `npm run soak` (CONCLAVE_FAULT_SCALE > 1) also runs the relay faults on every write, and
 * repeats the whole table SCALE times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { connect } from '../../src/index.js';
import { sharedCluster } from '../harness/index.js';
import { describeViolations } from './checkers/violation.js';
import { barrierCases } from './ambiguous/barriers.js';
import { electionCases } from './ambiguous/election.js';
import { lockCases } from './ambiguous/locks.js';
import { otherCases } from './ambiguous/others.js';
import { queueCases } from './ambiguous/queues.js';
import { faultLabel, runCase, type AmbiguousCase, type Fault, type Participants, type RunResult } from './ambiguous/run.js';
import { recordRow } from './report.js';
import { SCALE } from './support.js';

const CASES: AmbiguousCase<unknown>[] = [...lockCases, ...electionCases, ...barrierCases, ...queueCases, ...otherCases(() => parts)];
const only = process.env['CONCLAVE_FAULT_ONLY'];

let parts: Participants;
beforeAll(async () => {
  const { endpoints } = sharedCluster();
  const [peer, third, observer] = await Promise.all([connect({ endpoints }), connect({ endpoints }), connect({ endpoints })]);
  parts = { endpoints, peer, third, observer, raw: createGrpcTransport({ endpoints }) };
});
afterAll(async () => {
  await Promise.allSettled([parts?.peer.close(), parts?.third.close(), parts?.observer.close(), parts?.raw.close()]);
});

/** The faults of one case, given its clean run's write count. */
function faultsFor(writes: number): Fault[] {
  const faults: Fault[] = [];
  for (let n = 1; n <= writes; n++) faults.push({ kind: 'lost-reply', write: n });
  const relayWrites = SCALE > 1 ? writes : Math.min(1, writes);
  for (let n = 1; n <= relayWrites; n++) faults.push({ kind: 'relay-lose', write: n }, { kind: 'relay-delay', write: n });
  return faults;
}

describe.concurrent('reply lost after the write was applied, on every write step', () => {
  for (const c of CASES.filter((x) => only === undefined || x.name.startsWith(only))) {
    it(c.name, async ({ task }) => {
      const runs: RunResult[] = [];
      for (let round = 0; round < SCALE; round++) {
        const clean = await runCase(c, { kind: 'none' }, parts);
        runs.push(clean);
        for (const fault of faultsFor(clean.writes.length)) runs.push(await runCase(c, fault, parts));
      }
      const violations = runs.flatMap((r) => r.violations);
      const writes = runs[0]!.writes.map((w) => w.method).join(', ');
      const outcomes = runs.filter((r) => r.fault.kind !== 'none').map((r) => `${faultLabel(r.fault)}: ${r.outcome.slice(0, 60)}`);
      recordRow(task, {
        scenario: `ambiguous ${c.name}: ${runs[0]!.writes.length} write(s) (${writes}) x reply lost; relay lose + delay`,
        operations: runs.length,
        invariant: 'one holder; no phantom; nothing lost/duplicated/reordered; bounded waits; nothing left behind',
        violations: violations.length,
        notes: [...new Set(runs.flatMap((r) => r.notes))].slice(0, 6).join('; ') + ` | ${outcomes.join(' | ')}`,
      });
      expect(violations.length, describeViolations(violations, 8)).toBe(0);
    }, 240_000 * SCALE);
  }
});
