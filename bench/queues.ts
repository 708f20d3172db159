/**
 * `npx tsx bench/queues.ts [items] [rounds]`: the queue cells of issue 14 with 4 consumers (one
 * client each) on a throwaway single-member etcd (test/harness/standalone.ts), in one process:
 * the raw txn rate, `dequeue()` and `claim()` + `ack()` (see `scenarios/jobs.ts`), then the jobs
 * cells (floor, `process()`), each round in that order; printed as a markdown table with each
 * cell's floor from the same round (raw txns/s ÷ 2 per dequeue, ÷ 3 per claim+ack; the jobs
 * floor cell for `process()`) and the load average.
 * @module
 */
import { loadavg } from 'node:os';
import { startSingle } from '../test/harness/standalone.js';
import { CONSUMERS, runJobs } from './scenarios/jobs.js';

const N = Number(process.argv[2] ?? 1_000);
const ROUNDS = Number(process.argv[3] ?? 1);
const CELLS = ['raw', 'dequeue', 'claimAck', 'floor', 'process'] as const;
/** Txns per item of each cell's floor (raw: 1). */
const FLOOR_TXNS: Record<(typeof CELLS)[number], number> = { raw: 1, dequeue: 2, claimAck: 3, floor: 2, process: 2 };

const f = (x: number | undefined, d = 2): string => (x === undefined ? '–' : x.toFixed(d));
const etcd = await startSingle();
try {
  console.log(`\n### Queues: ${N} items, ${CONSUMERS} consumers (one client each), single-member etcd\n`);
  console.log('| round | cell | items/s | floor items/s | of the floor | Txn RPCs/item | failed txns/item | writes/item | load |\n|---|---|---|---|---|---|---|---|---|');
  await runJobs(etcd.endpoints[0]!, 'bench/queues/warm-up/', 'raw', N); // connections, JIT, etcd's first writes
  for (let round = 1; round <= ROUNDS; round++) {
    let raw = 0;
    let jobsFloor = 0;
    for (const cell of CELLS) {
      const r = await runJobs(etcd.endpoints[0]!, `bench/queues/${round}/${cell}/`, cell, N);
      if (cell === 'raw') raw = r.jobsPerSecond;
      if (cell === 'floor') jobsFloor = r.jobsPerSecond;
      const floor = cell === 'process' ? jobsFloor : raw / FLOOR_TXNS[cell];
      console.log(
        `| ${round} | ${cell} | ${r.jobsPerSecond.toFixed(0)} | ${floor.toFixed(0)} | ${((100 * r.jobsPerSecond) / floor).toFixed(0)} % | ${f(r.txnsPerJob)} | ${f(r.failedTxnsPerJob)} | ${f(r.writesPerJob)} | ${loadavg()[0]!.toFixed(1)} |`,
      );
    }
  }
} finally {
  await etcd.stop();
}
