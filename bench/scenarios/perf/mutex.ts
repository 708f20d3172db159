/**
 * Uncontended mutex cycles and the first lock of a fresh client.
 *
 * - `mutex.uncontended.*`: one client, one name, acquire+release one after the other for
 *   {@link MEASURE_MS}: cycles/s and etcd RPCs per cycle by method (`/metrics` deltas).
 *   Conclave `client.mutex(name).acquire()` / `release()`; etcd3 `client.lock(name).acquire()` /
 *   `release()` (a lease per lock: grant, txn, revoke).
 * - `mutex.first.*`: {@link FRESH} fresh clients one after the other (after one warm-up client,
 *   so the process's one-time costs are not counted); for each, from the first `acquire()` call
 *   (client connected) until it resolved: time p50 and RPCs by method. The report turns the
 *   time into round trips with the raw put round trip of the same run.
 * @module
 */
import { snapshot } from '../../lib/metrics.js';
import { perOp, rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now } from '../../lib/timing.js';
import type { Side, WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3 } from './clients.js';
import { MEASURE_MS } from './raw.js';

/** Fresh clients in the first-lock cell. */
export const FRESH = 10;

interface LockOpener {
  /** Acquires `name`; resolves with its release. */
  lock(name: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

async function opener(side: Side, endpoint: string): Promise<LockOpener> {
  if (side === 'conclave') {
    const c = await conclave(endpoint);
    return {
      async lock(name) {
        const l = await c.mutex(name).acquire();
        return () => l.release();
      },
      close: () => c.close(),
    };
  }
  const c = await etcd3(endpoint);
  return {
    async lock(name) {
      const l = await c.lock(name).ttl(10).acquire();
      return () => l.release();
    },
    async close() {
      c.close();
    },
  };
}

/** acquire+release cycles on one name, one at a time. */
export async function uncontended(ctx: WorkerContext, side: Side): Promise<PerfResult> {
  const client = await opener(side, ctx.endpoint);
  try {
    const name = `${ctx.runId}/mutex/${side}/uncontended`;
    for (let i = 0; i < 20; i++) await (await client.lock(name))(); // warm-up (session, codecs)
    const before = await snapshot(ctx.metricsUrl);
    const t0 = now();
    let cycles = 0;
    while (now() - t0 < MEASURE_MS) {
      await (await client.lock(name))();
      cycles++;
    }
    const elapsed = now() - t0;
    const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
    return { metrics: { cyclesPerSecond: cycles / (elapsed / 1000), ...rpcMetrics(counts, cycles) }, notes: { rpcs: perOp(counts, cycles) } };
  } finally {
    await client.close();
  }
}

/** The first lock of {@link FRESH} fresh clients. */
export async function firstLock(ctx: WorkerContext, side: Side): Promise<PerfResult> {
  const warm = await opener(side, ctx.endpoint);
  await (await warm.lock(`${ctx.runId}/first/${side}/warm`))();
  await warm.close();
  const times: number[] = [];
  const rpcs: number[] = [];
  let note = '';
  for (let i = 0; i < FRESH; i++) {
    const client = await opener(side, ctx.endpoint);
    try {
      const before = await snapshot(ctx.metricsUrl);
      const t0 = now();
      const release = await client.lock(`${ctx.runId}/first/${side}/${i}`);
      times.push(now() - t0);
      const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
      rpcs.push(counts.unary);
      note = perOp(counts, 1);
      await release();
    } finally {
      await client.close();
    }
  }
  const t = summarize(times);
  return { metrics: { firstLockP50: t.p50, firstLockMax: t.max, rpcs: summarize(rpcs).p50 }, notes: { rpcs: note } };
}
