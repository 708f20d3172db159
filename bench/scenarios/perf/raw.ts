/**
 * The raw etcd limit, measured in the same run as every other cell: etcd3's generated KV stubs
 * (`client.kv.put` / `deleteRange`: one gRPC call each, no builder, no lease, no watch).
 *
 * - `raw.pairs`: put+delete pairs, one at a time (what a lock cycle cannot beat);
 * - `raw.put1` / `raw.put64`: puts with 1 and 64 in flight (what a publish cannot beat);
 *   `put1` also gives the write round trip (`rttMean` = 1 s / puts per second; `rttP50`) that handovers and cold starts are counted in.
 * @module
 */
import { snapshot } from '../../lib/metrics.js';
import { rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now } from '../../lib/timing.js';
import type { WorkerContext } from '../../lib/worker-context.js';
import { etcd3 } from './clients.js';

/** How long each throughput cell measures, in ms. */
export const MEASURE_MS = 4_000;

/** put+delete pairs, one at a time, for {@link MEASURE_MS}. */
export async function rawPairs(ctx: WorkerContext): Promise<PerfResult> {
  const client = await etcd3(ctx.endpoint);
  try {
    const key = Buffer.from(`${ctx.runId}/raw/pair`);
    const before = await snapshot(ctx.metricsUrl);
    const t0 = now();
    let pairs = 0;
    while (now() - t0 < MEASURE_MS) {
      await client.kv.put({ key, value: Buffer.from('x') });
      await client.kv.deleteRange({ key });
      pairs++;
    }
    const elapsed = now() - t0;
    const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
    return { metrics: { pairsPerSecond: pairs / (elapsed / 1000), ...rpcMetrics(counts, pairs) }, notes: {} };
  } finally {
    client.close();
  }
}

/** Puts with `inFlight` outstanding, for {@link MEASURE_MS}; latency per put. */
export async function rawPut(ctx: WorkerContext, inFlight: number): Promise<PerfResult> {
  const client = await etcd3(ctx.endpoint);
  try {
    const key = Buffer.from(`${ctx.runId}/raw/put${inFlight}`);
    const value = Buffer.from('{"n":12345}');
    const latencies: number[] = [];
    const t0 = now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (now() - t0 < MEASURE_MS) {
          const t = now();
          await client.kv.put({ key, value });
          latencies.push(now() - t);
        }
      }),
    );
    const elapsed = now() - t0;
    const s = summarize(latencies);
    const putsPerSecond = latencies.length / (elapsed / 1000);
    // rttMean: the mean write round trip at 1 in flight (1 s / puts per second): a write's fsync tail makes p50 flatter than what a sequence of writes pays.
    return { metrics: { putsPerSecond, rttMean: (1000 * inFlight) / putsPerSecond, rttP50: s.p50, rttP99: s.p99 }, notes: {} };
  } finally {
    client.close();
  }
}
