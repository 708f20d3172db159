/**
 * One benchmark measurement in a fresh process (so its RSS is its own):
 *
 * ```sh
 * node --import tsx bench/worker.ts <watch|leases|locks> <conclave|etcd3> <N> <endpoint> <metricsUrl> <runId>
 * node --import tsx bench/worker.ts <jobs.floor|jobs.dequeue|jobs.process|groups.publish|groups.messages|groups.group> conclave <N> ...
 * ```
 *
 * Prints exactly one JSON line on stdout (the result, or `{ "error": ... }`) and exits.
 * @module
 */
import { GROUPS_CELLS, runGroups, type GroupsCell } from './scenarios/groups.js';
import { JOBS_CELLS, runJobs, type JobsCell } from './scenarios/jobs.js';
import { runLeases } from './scenarios/leases.js';
import { runLocks } from './scenarios/locks.js';
import { runWatchFanout } from './scenarios/watch-fanout.js';
import type { Side, WorkerContext } from './lib/worker-context.js';

const [scenario, side, nText, endpoint, metricsUrl, runId] = process.argv.slice(2);
const n = Number(nText);

async function main(): Promise<unknown> {
  if ((side !== 'conclave' && side !== 'etcd3') || !Number.isInteger(n) || n < 1 || !endpoint || !metricsUrl || !runId) {
    throw new Error(`usage: worker.ts <watch|leases|locks> <conclave|etcd3> <N> <endpoint> <metricsUrl> <runId>`);
  }
  const ctx: WorkerContext = { endpoint, metricsUrl, runId };
  const s: Side = side;
  const [family, cell] = (scenario ?? '').split('.');
  if (family === 'jobs' && s === 'conclave' && (JOBS_CELLS as readonly string[]).includes(cell ?? '')) {
    return runJobs(endpoint, `${runId}/jobs/${cell}/`, cell as JobsCell, n);
  }
  if (family === 'groups' && s === 'conclave' && (GROUPS_CELLS as readonly string[]).includes(cell ?? '')) {
    return runGroups(endpoint, `${runId}/groups/${cell}/`, cell as GroupsCell, n);
  }
  switch (scenario) {
    case 'watch':
      return runWatchFanout(ctx, s, n);
    case 'leases':
      return runLeases(ctx, s, n);
    case 'locks':
      return runLocks(ctx, s, n);
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
