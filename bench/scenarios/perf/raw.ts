/**
 * The raw etcd limit, measured in the same run as every other cell: etcd3's generated KV stubs
 * (`client.kv.put` / `deleteRange`: one gRPC call each, no builder, no lease, no watch).
 *
 * - `raw.pairs`: put+delete pairs, one at a time (what a lock cycle cannot beat);
 * - `raw.txnPairs`: lock-shaped txn pairs, one at a time: the txn a lock acquires with (put if absent, read the
 *   name's keys) and the guarded delete that releases it — the same two writes as a lock cycle, without a client
 *   library's work (shows how much of a lock cycle is etcd's txn cost);
 * - `raw.first`: a fresh etcd3 client (connected by one `get`) sends a lease grant, then one lock-shaped txn: the 2
 *   sequential round trips of a fresh client's first lock, with a fresh gRPC client's first-call costs;
 * - `raw.put1` / `raw.put64`: puts with 1 and 64 in flight (what a publish cannot beat);
 *   `put1` also gives the write round trip (`rttMean` = 1 s / puts per second; `rttP50`) that handovers and cold starts are counted in.
 * @module
 */
import { snapshot } from '../../lib/metrics.js';
import { rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now } from '../../lib/timing.js';
import type { WorkerContext } from '../../lib/worker-context.js';
import type { Etcd3 } from 'etcd3';
import { etcd3 } from './clients.js';

/** How long each throughput cell measures, in ms. */
export const MEASURE_MS = 4_000;

/** Runs `pair` one at a time for {@link MEASURE_MS} on a fresh etcd3 client: pairs/s and etcd RPCs per pair. */
async function pairs(ctx: WorkerContext, pair: (client: Etcd3) => Promise<unknown>): Promise<PerfResult> {
  const client = await etcd3(ctx.endpoint);
  try {
    const before = await snapshot(ctx.metricsUrl);
    const t0 = now();
    let n = 0;
    while (now() - t0 < MEASURE_MS) {
      await pair(client);
      n++;
    }
    const elapsed = now() - t0;
    const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
    return { metrics: { pairsPerSecond: n / (elapsed / 1000), ...rpcMetrics(counts, n) }, notes: {} };
  } finally {
    client.close();
  }
}

/** put+delete pairs, one at a time, for {@link MEASURE_MS}. */
export function rawPairs(ctx: WorkerContext): Promise<PerfResult> {
  const key = Buffer.from(`${ctx.runId}/raw/pair`);
  return pairs(ctx, async (client) => {
    await client.kv.put({ key, value: Buffer.from('x') });
    await client.kv.deleteRange({ key });
  });
}

/** The txn a lock acquires with on `key` (under `prefix`) and the guarded delete that releases it. */
function lockTxns(prefix: string, key: Buffer): { acquire: object; release: (rev: string) => object } {
  const owners = { key: Buffer.from(prefix), range_end: Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)), sort_target: 'Create', sort_order: 'Ascend', limit: 8, keys_only: true };
  return {
    acquire: {
      compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key, value: Buffer.alloc(0) } }, { request_range: owners }],
      failure: [{ request_range: { key } }, { request_range: owners }],
    },
    release: (rev) => ({ compare: [{ key, target: 'Create', result: 'Equal', create_revision: rev }], success: [{ request_delete_range: { key } }], failure: [] }),
  };
}

/** Lock-shaped txn pairs (acquire txn, guarded delete), one at a time, for {@link MEASURE_MS}. */
export function rawTxnPairs(ctx: WorkerContext): Promise<PerfResult> {
  const prefix = `${ctx.runId}/raw/txn/`;
  const { acquire, release } = lockTxns(prefix, Buffer.from(`${prefix}k`));
  return pairs(ctx, async (client) => {
    const res = await client.kv.txn(acquire as never);
    await client.kv.txn(release(res.header.revision) as never);
  });
}

/** Fresh clients in {@link rawFirst}. */
const FRESH = 10;

/** A fresh etcd3 client's lease grant then lock-shaped txn ({@link FRESH} clients, one after the other): p50 ms. */
export async function rawFirst(ctx: WorkerContext): Promise<PerfResult> {
  const times: number[] = [];
  for (let i = -1; i < FRESH; i++) {
    const client = await etcd3(ctx.endpoint);
    try {
      const prefix = `${ctx.runId}/raw/first/${i}/`;
      const { acquire, release } = lockTxns(prefix, Buffer.from(`${prefix}k`));
      const t0 = now();
      await client.leaseClient.leaseGrant({ TTL: 10 });
      const res = await client.kv.txn(acquire as never);
      if (i >= 0) times.push(now() - t0); // (-1: the process's warm-up client)
      await client.kv.txn(release(res.header.revision) as never);
    } finally {
      client.close();
    }
  }
  const t = summarize(times);
  return { metrics: { firstP50: t.p50, firstMax: t.max }, notes: {} };
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
