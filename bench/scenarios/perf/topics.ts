/**
 * Topics: publish throughput and publish→deliver latency.
 *
 * - `topics.publish{1,64}.conclave`: `topic(name).publish(i)` (default retention, so the
 *   measured window is past the 1,000-message bound and trimming is in the steady state), with 1
 *   and 64 in flight for {@link MEASURE_MS} after {@link WARM_MESSAGES} unmeasured messages:
 *   msgs/s and etcd calls per message by method (Txn vs Put vs Range vs DeleteRange) and writes
 *   (revisions) per message. etcd3 "put+watch": `put(key)` with a watch open on the key.
 * - `topics.deliver{1,100}.*`: S subscribers in the publishing client (Conclave
 *   `messages$()`, etcd3 `watch().key(k).create()`); {@link DELIVER_MESSAGES} messages, one at
 *   a time, each from `publish()` until all S subscribers got it; p50/p99.
 * @module
 */
import { snapshot } from '../../lib/metrics.js';
import { perOp, rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import { summarize } from '../../lib/stats.js';
import { now, within } from '../../lib/timing.js';
import type { Side, WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3 } from './clients.js';
import { MEASURE_MS } from './raw.js';

export const WARM_MESSAGES = 1_500;
export const DELIVER_MESSAGES = 100;

interface Pub {
  publish(i: number): Promise<void>;
  /** `n` subscribers; `onMessage` per delivery. */
  subscribe(n: number, onMessage: () => void): Promise<void>;
  close(): Promise<void>;
}

async function pub(side: Side, ctx: WorkerContext, name: string): Promise<Pub> {
  if (side === 'conclave') {
    const c = await conclave(ctx.endpoint);
    const topic = c.topic<number>(name);
    const subs: { unsubscribe(): void }[] = [];
    return {
      async publish(i) {
        await topic.publish(i);
      },
      async subscribe(n, onMessage) {
        for (let i = 0; i < n; i++) subs.push(topic.messages$().subscribe(() => onMessage()));
      },
      async close() {
        for (const s of subs) s.unsubscribe();
        await c.close();
      },
    };
  }
  const c = await etcd3(ctx.endpoint);
  const watchers: { cancel(): Promise<void> }[] = [];
  return {
    async publish(i) {
      await c.put(name).value(String(i));
    },
    async subscribe(n, onMessage) {
      const ws = await Promise.all(Array.from({ length: n }, () => c.watch().key(name).create()));
      for (const w of ws) {
        w.on('put', () => onMessage());
        watchers.push(w);
      }
    },
    async close() {
      await Promise.allSettled(watchers.map((w) => w.cancel()));
      c.close();
    },
  };
}

/** Publish throughput with `inFlight` outstanding. */
export async function publish(ctx: WorkerContext, side: Side, inFlight: number): Promise<PerfResult> {
  const p = await pub(side, ctx, `${ctx.runId}/topic/${side}/${inFlight}`);
  try {
    if (side === 'etcd3') await p.subscribe(1, () => undefined); // put+watch: a watcher is open
    let next = 0;
    const run = (until: () => boolean): Promise<unknown> =>
      Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (until()) await p.publish(next++);
        }),
      );
    await run(() => next < WARM_MESSAGES);
    const before = await snapshot(ctx.metricsUrl);
    const start = next;
    const t0 = now();
    await run(() => now() - t0 < MEASURE_MS);
    const elapsed = now() - t0;
    const msgs = next - start;
    const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
    return { metrics: { msgsPerSecond: msgs / (elapsed / 1000), ...rpcMetrics(counts, msgs) }, notes: { rpcs: perOp(counts, msgs) } };
  } finally {
    await p.close();
  }
}

/** publish→deliver to `subscribers` subscribers. */
export async function deliver(ctx: WorkerContext, side: Side, subscribers: number): Promise<PerfResult> {
  const p = await pub(side, ctx, `${ctx.runId}/deliver/${side}/${subscribers}`);
  try {
    let got = 0;
    let all: (() => void) | undefined;
    await p.subscribe(subscribers, () => {
      if (++got === subscribers) all?.();
    });
    const samples: number[] = [];
    for (let i = 0; i < DELIVER_MESSAGES + 5; i++) {
      got = 0;
      const done = new Promise<void>((resolve) => (all = resolve));
      const t = now();
      await p.publish(i);
      await within(done, 30_000, `message ${i} to reach ${subscribers} subscribers`);
      if (i >= 5) samples.push(now() - t);
    }
    const s = summarize(samples);
    return { metrics: { deliverP50: s.p50, deliverP99: s.p99, deliverMax: s.max }, notes: {} };
  } finally {
    await p.close();
  }
}
