/**
 * `npx tsx bench/jobs.ts [items]`: the jobs cells of `npm run bench` (see
 * `scenarios/jobs.ts`), all three in one process on a throwaway single-member etcd
 * (test/harness/standalone.ts), printed as a markdown table. `npm run bench -- --only=jobs`
 * runs them the bench's way (one fresh process per cell) with the target checked.
 * @module
 */
import { startSingle } from '../test/harness/standalone.js';
import { CONSUMERS, JOBS_CELLS, JOBS_LABELS, runJobs, type JobsResult } from './scenarios/jobs.js';

const N = Number(process.argv[2] ?? 1_000);

const etcd = await startSingle();
try {
  const rows: JobsResult[] = [];
  for (const cell of JOBS_CELLS) rows.push(await runJobs(etcd.endpoints[0]!, `bench/jobs/${cell}/`, cell, N));
  const base = rows[0]!.jobsPerSecond;
  console.log(`\n### Jobs: ${N} items, ${CONSUMERS} consumers (one client each), single-member etcd\n`);
  console.log('| cell | jobs/s | of the floor | etcd writes/job |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${JOBS_LABELS[r.cell]} | ${r.jobsPerSecond.toFixed(0)} | ${((r.jobsPerSecond / base) * 100).toFixed(0)} % | ${r.writesPerJob.toFixed(2)} |`);
} finally {
  await etcd.stop();
}
