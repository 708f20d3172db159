/**
 * Entry of a memory cell's process (`memory.ts` bundles it, then runs it with plain `node`):
 *
 * ```sh
 * node memory-main.mjs <idle|oneKey|distinctKeys> <side or subscriber count> <endpoint> <metricsUrl> <runId>
 * ```
 *
 * Prints one JSON line (the `PerfResult`, or `{ "error": ... }`) and exits.
 * @module
 */
import type { WorkerContext } from '../../lib/worker-context.js';

const [cell, arg, endpoint, metricsUrl, runId] = process.argv.slice(2);

async function main(): Promise<unknown> {
  if (!cell || !arg || !endpoint || !metricsUrl || !runId) throw new Error('usage: memory-main <cell> <arg> <endpoint> <metricsUrl> <runId>');
  const ctx: WorkerContext = { endpoint, metricsUrl, runId };
  const cells = await import('./memory-cells.js');
  if (cell === 'idle' && (arg === 'conclave' || arg === 'etcd3' || arg === 'node')) return cells.idle(ctx, arg);
  if (cell === 'oneKey') return cells.oneKey(ctx, Number(arg));
  if (cell === 'distinctKeys' && (arg === 'conclave' || arg === 'etcd3')) return cells.distinctKeys(ctx, arg);
  throw new Error(`unknown memory cell ${cell} ${arg}`);
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
  (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stdout.write(`${JSON.stringify({ error: message })}\n`, () => process.exit(1));
  },
);
