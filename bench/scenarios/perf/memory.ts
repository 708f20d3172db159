/**
 * Memory cells (measured in `memory-cells.ts`): each runs the bench bundled like `dist/` in a
 * fresh plain `node` process (`bench/lib/built.ts`), so RSS is that of a user's process with the
 * package as shipped — not that of a tsx worker, whose loader thread and per-file transforms would
 * weigh on the library's side only (etcd3 ships compiled JavaScript).
 * @module
 */
import { runBuilt } from '../../lib/built.js';
import type { PerfResult } from '../../lib/perf.js';
import type { WorkerContext } from '../../lib/worker-context.js';

export { DISTINCT, IDLE_MS, SUBSCRIBERS_BIG } from './memory-cells.js';

const MAIN = 'bench/scenarios/perf/memory-main.ts';

function run(ctx: WorkerContext, cell: string, arg: string): Promise<PerfResult> {
  return runBuilt(MAIN, [cell, arg, ctx.endpoint, ctx.metricsUrl, ctx.runId]) as Promise<PerfResult>;
}

/** RSS of a connected idle client (`side` 'node': no client at all). */
export function idle(ctx: WorkerContext, side: 'conclave' | 'etcd3' | 'node'): Promise<PerfResult> {
  return run(ctx, 'idle', side);
}

/** The fan-out scenario at `n` subscribers (Conclave). */
export function oneKey(ctx: WorkerContext, n: number): Promise<PerfResult> {
  return run(ctx, 'oneKey', String(n));
}

/** {@link DISTINCT} subscribers on distinct keys. */
export function distinctKeys(ctx: WorkerContext, side: 'conclave' | 'etcd3'): Promise<PerfResult> {
  return run(ctx, 'distinctKeys', side);
}
