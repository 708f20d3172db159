/**
 * One benchmark measurement in a fresh process (so its RSS is its own):
 *
 * ```sh
 * node --import tsx bench/worker.ts <watch|leases|locks> <conclave|etcd3> <N> <endpoint> <metricsUrl> <runId>
 * node --import tsx bench/worker.ts perf:<cell id> <conclave|etcd3> 1 <endpoint> <metricsUrl> <runId>   # issue 14: scenarios/perf/cells.ts
 * node --import tsx bench/worker.ts <jobs.floor|jobs.dequeue|jobs.process|groups.publish|groups.messages|groups.group> conclave <N> ...
 * ```
 *
 * Prints exactly one JSON line on stdout (the result, or `{ "error": ... }`) and exits.
 * @module
 */
// Scenarios are imported when they run: a process loads only what its cell uses (the jobs and
// groups scenarios import Conclave at the top level, which would weigh on every cell's RSS).
import type { Side, WorkerContext } from './lib/worker-context.js';

const [scenario, side, nText, endpoint, metricsUrl, runId] = process.argv.slice(2);
const n = Number(nText);

async function main(): Promise<unknown> {
  if ((side !== 'conclave' && side !== 'etcd3') || !Number.isInteger(n) || n < 1 || !endpoint || !metricsUrl || !runId) {
    throw new Error(`usage: worker.ts <watch|leases|locks> <conclave|etcd3> <N> <endpoint> <metricsUrl> <runId>`);
  }
  const ctx: WorkerContext = { endpoint, metricsUrl, runId };
  const s: Side = side;
  if (scenario?.startsWith('perf:')) {
    const { PERF_CELLS } = await import('./scenarios/perf/cells.js');
    const perf = PERF_CELLS.find((c) => c.id === scenario.slice('perf:'.length));
    if (!perf) throw new Error(`unknown cell ${scenario}`);
    return perf.run(ctx);
  }
  const [family, cell] = (scenario ?? '').split('.');
  if (family === 'jobs' && s === 'conclave') {
    const { JOBS_CELLS, runJobs } = await import('./scenarios/jobs.js');
    if (!(JOBS_CELLS as readonly string[]).includes(cell ?? '')) throw new Error(`unknown cell ${scenario}`);
    return runJobs(endpoint, `${runId}/jobs/${cell}/`, cell as (typeof JOBS_CELLS)[number], n);
  }
  if (family === 'groups' && s === 'conclave') {
    const { GROUPS_CELLS, runGroups } = await import('./scenarios/groups.js');
    if (!(GROUPS_CELLS as readonly string[]).includes(cell ?? '')) throw new Error(`unknown cell ${scenario}`);
    return runGroups(endpoint, `${runId}/groups/${cell}/`, cell as (typeof GROUPS_CELLS)[number], n);
  }
  switch (scenario) {
    case 'watch':
      return (await import('./scenarios/watch-fanout.js')).runWatchFanout(ctx, s, n);
    case 'leases':
      return (await import('./scenarios/leases.js')).runLeases(ctx, s, n);
    case 'locks':
      return (await import('./scenarios/locks.js')).runLocks(ctx, s, n);
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stdout.write(`${JSON.stringify({ error: message })}\n`, () => process.exit(1));
  },
);
