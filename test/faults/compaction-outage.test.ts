/**
 * The compaction-during-outage fault model, table-driven over every waiting primitive
 * (test/faults/outage/*.ts): the client under test waits through a TCP relay; the relay is
 * blackholed; fault-free clients write what it waits for; etcd's history is compacted past
 * those writes; the relay's connections are reset and it is restored. Watch subscribers and
 * topic streams must deliver everything in order or end with `CompactedError` (never skip
 * silently); waits must re-read and finish; state streams must reach the current state; the
 * client leaves no key or lease behind when it closes. Runs on its own single-member etcd
 * (compaction is cluster-wide). `npm run soak` repeats the table SCALE times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { connect } from '../../src/index.js';
import { startSingle, type EtcdCluster } from '../harness/index.js';
import type { Participants } from './ambiguous/run.js';
import { describeViolations } from './checkers/violation.js';
import { runOutage, type OutageResult } from './outage/run.js';
import { streamOutageCases } from './outage/streams.js';
import { waitOutageCases } from './outage/waits.js';
import { recordRow } from './report.js';
import { SCALE } from './support.js';

let cluster: EtcdCluster;
let parts: Participants;
beforeAll(async () => {
  cluster = await startSingle({ name: 'faults-compaction-outage' });
  const { endpoints } = cluster;
  const [peer, third, observer] = await Promise.all([connect({ endpoints }), connect({ endpoints }), connect({ endpoints })]);
  parts = { endpoints, peer, third, observer, raw: createGrpcTransport({ endpoints }) };
});
afterAll(async () => {
  await Promise.allSettled([parts?.peer.close(), parts?.third.close(), parts?.observer.close(), parts?.raw.close()]);
  await cluster?.stop();
});

describe('compaction while the client is cut off, for every waiting primitive', () => {
  for (const c of [...streamOutageCases, ...waitOutageCases]) {
    it(c.name, async ({ task }) => {
      const runs: OutageResult[] = [];
      for (let round = 0; round < SCALE; round++) runs.push(await runOutage(c, cluster.endpoints[0]!, parts));
      const violations = runs.flatMap((r) => r.violations);
      recordRow(task, {
        scenario: `compaction during outage: ${c.name} (relay blackhole, writes + compact, reset, restore)`,
        operations: runs.length,
        invariant: 'no silent gap (all events or CompactedError); waits finish; current state reached; nothing left behind',
        violations: violations.length,
        notes: [...new Set(runs.flatMap((r) => r.notes))].join('; '),
      });
      expect(violations.length, describeViolations(violations, 8)).toBe(0);
    }, 120_000 * SCALE);
  }
});
