/**
 * What the memory cells measure, run by `memory-main.ts` in a plain `node` process on the bundled
 * bench (see `memory.ts`): each in its own fresh process, so RSS is the library's alone, and
 * "bare node" is the same process with no library:
 *
 * - `memory.idle.*`: a connected, idle client (one `get` done, then {@link IDLE_MS} idle), RSS;
 * - `memory.sub100k.conclave` / `memory.sub1.conclave`: the watch fan-out scenario
 *   (`scenarios/watch-fanout.ts`) at 100,000 and 1 subscribers on one key: RSS and put→all p99;
 * - `memory.keys10k.*`: {@link DISTINCT} subscribers on as many distinct keys, created all at
 *   once (pipelined): create time = until etcd counts that many more server watchers
 *   (`/metrics`, polled every 20 ms), and RSS with them open.
 * @module
 */
import { snapshot, WATCHERS } from '../../lib/metrics.js';
import type { PerfResult } from '../../lib/perf.js';
import { rssMb } from '../../lib/rss.js';
import { now, sleep } from '../../lib/timing.js';
import type { WorkerContext } from '../../lib/worker-context.js';
import { runWatchFanout } from '../watch-fanout.js';
import { conclave, etcd3 } from './clients.js';

export const IDLE_MS = 2_000;
export const DISTINCT = 10_000;
/** Subscribers on one key in the big memory cell. */
export const SUBSCRIBERS_BIG = 100_000;

/** RSS of a connected idle client (`side` 'node': no client at all). */
export async function idle(ctx: WorkerContext, side: 'conclave' | 'etcd3' | 'node'): Promise<PerfResult> {
  let close = async (): Promise<void> => undefined;
  if (side === 'conclave') {
    const c = await conclave(ctx.endpoint);
    await c.get('bench/idle');
    close = () => c.close();
  } else if (side === 'etcd3') {
    const c = await etcd3(ctx.endpoint);
    close = async () => c.close();
  }
  await sleep(IDLE_MS);
  const rss = rssMb();
  await close();
  return { metrics: { rssMb: rss }, notes: {} };
}

/** The fan-out scenario at `n` subscribers (Conclave). */
export async function oneKey(ctx: WorkerContext, n: number): Promise<PerfResult> {
  const r = await runWatchFanout(ctx, 'conclave', n);
  return { metrics: { rssMb: r.rssMb, putAllP50: r.latency.p50, putAllP99: r.latency.p99, createAllMs: r.createAllMs, serverWatchers: r.watchersAdded, puts: r.latency.n }, notes: {} };
}

async function waitWatchers(metricsUrl: string, base: number, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if ((await snapshot(metricsUrl)).get(WATCHERS) - base >= n) return true;
    await sleep(20);
  }
  return false;
}

/** {@link DISTINCT} subscribers on distinct keys. */
export async function distinctKeys(ctx: WorkerContext, side: 'conclave' | 'etcd3'): Promise<PerfResult> {
  const keys = Array.from({ length: DISTINCT }, (_, i) => `${ctx.runId}/keys10k/${side}/${i}`);
  const base = (await snapshot(ctx.metricsUrl)).get(WATCHERS);
  let close: () => Promise<void>;
  let t0: number;
  let all: boolean;
  if (side === 'conclave') {
    const c = await conclave(ctx.endpoint);
    t0 = now();
    const subs = keys.map((k) => c.watch(k).subscribe(() => undefined));
    all = await waitWatchers(ctx.metricsUrl, base, DISTINCT, 120_000);
    close = async () => {
      for (const s of subs) s.unsubscribe();
      await c.close();
    };
  } else {
    const c = await etcd3(ctx.endpoint);
    t0 = now();
    await Promise.all(keys.map((k) => c.watch().key(k).create()));
    all = await waitWatchers(ctx.metricsUrl, base, DISTINCT, 120_000);
    close = async () => c.close();
  }
  const createMs = now() - t0;
  const rss = rssMb();
  await close();
  if (!all) throw new Error(`${DISTINCT} server watchers not seen within 120 s`);
  return { metrics: { createMs, rssMb: rss }, notes: {} };
}
