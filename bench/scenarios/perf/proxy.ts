/**
 * The scale story on etcd's own proxy: {@link PROCESSES} processes × {@link PER_PROCESS}
 * subscribers on one key, directly against etcd or through `etcd grpc-proxy` (started here with
 * the test harness, `startGrpcProxy()`, on loopback; Conclave then uses `transport:
 * 'grpc-proxy'`). Subscriber processes: `proxy-sub-main.ts`, killed by PID at the end.
 *
 * Probe puts (through etcd's HTTP gateway, no client library) until every process saw one; then
 * server watchers added (etcd's gauge, at etcd itself, not the proxy) and {@link PUTS} puts one
 * at a time, each from just before the put until the LAST process reported all its subscribers
 * got it (wall clock, same machine): p50/p99 (nearest rank: with 30 puts the p99 is the slowest).
 * A put the HTTP gateway gives up on, or that not every process saw within 30 s, is counted
 * (`failedPuts`), not timed.
 * @module
 */
import { kvPut, startGrpcProxy, type GrpcProxy } from '../../../test/harness/standalone.js';
import { spawnChild, type Child } from '../../lib/children.js';
import { snapshot, WATCHERS } from '../../lib/metrics.js';
import { reportChildPid, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now, within } from '../../lib/timing.js';
import type { Side, WorkerContext } from '../../lib/worker-context.js';

export const PROCESSES = 20;
export const PER_PROCESS = 500;
export const PUTS = 30;

const wallNow = (): number => performance.timeOrigin + performance.now();

/** The cell for one library, `via` etcd directly or the proxy. */
export async function proxyScale(ctx: WorkerContext, side: Side, via: 'direct' | 'proxy'): Promise<PerfResult> {
  let proxy: GrpcProxy | undefined;
  const children: Child[] = [];
  const clientUrl = `http://${ctx.endpoint}`;
  const key = `${ctx.runId}/proxy/${side}/${via}`;
  try {
    if (via === 'proxy') {
      proxy = await startGrpcProxy({ endpoints: [ctx.endpoint] });
      reportChildPid(proxy.pid);
    }
    const before = await snapshot(ctx.metricsUrl);
    const address = proxy?.address ?? ctx.endpoint;
    const seen = new Map<string, number[]>();
    let waiting: { value: string; resolve: () => void } | undefined;
    const t0 = now();
    for (let p = 0; p < PROCESSES; p++) {
      const child = spawnChild('bench/scenarios/perf/proxy-sub-main.ts', [side, address, key, String(PER_PROCESS), via === 'proxy' ? 'grpc-proxy' : 'grpc']);
      child.onLine = (line) => {
        const [word, value, at] = line.split(' ');
        if (word !== 'saw' || !value) return;
        const list = seen.get(value) ?? [];
        list.push(Number(at));
        seen.set(value, list);
        if (waiting?.value === value && list.length === PROCESSES) waiting.resolve();
      };
      children.push(child);
    }
    await Promise.all(children.map((c) => c.line((l) => l === 'ready', 240_000)));
    // Probe until every process is provably receiving.
    let probe = 0;
    for (;;) {
      const value = `probe-${probe++}`;
      const all = new Promise<void>((resolve) => (waiting = { value, resolve }));
      await kvPut(clientUrl, key, value).catch(() => undefined); // a slow gateway call: the next probe tries again
      const ok = await within(all, 2_000, 'probe').then(() => true, () => false);
      if (ok) break;
      if (now() - t0 > 300_000) throw new Error('subscriber processes not all receiving after 300 s');
    }
    const setupMs = now() - t0;
    const watchersAdded = (await snapshot(ctx.metricsUrl)).delta(before, WATCHERS);
    const samples: number[] = [];
    let failedPuts = 0;
    for (let i = 0; i < PUTS; i++) {
      const value = `v${i}`;
      const all = new Promise<void>((resolve) => (waiting = { value, resolve }));
      const t = wallNow();
      try {
        await kvPut(clientUrl, key, value);
        await within(all, 30_000, `put ${i} to reach ${PROCESSES} processes`);
        samples.push(Math.max(...seen.get(value)!) - t);
      } catch {
        failedPuts++; // a put the gateway gave up on, or not seen by all within 30 s: counted, not timed
      }
    }
    const s = summarize(samples);
    return { metrics: { serverWatchers: watchersAdded, putAllP50: s.p50, putAllP99: s.p99, setupMs, failedPuts }, notes: {} };
  } finally {
    for (const c of children) c.kill();
    await proxy?.stop();
  }
}
