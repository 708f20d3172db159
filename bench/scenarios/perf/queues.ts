/**
 * Queues with {@link CONSUMERS} consumers (one client each, in one process), {@link ITEMS}
 * items enqueued before the cell (not counted).
 *
 * - `queues.dequeue.conclave`: every consumer loops `dequeue()`; `queues.claim.conclave`:
 *   `claim()` then `ack()`. Items/s, and per item: Txn RPCs, writes (revisions: a txn whose guard
 *   failed writes nothing), Txn RPCs that wrote nothing (failed guards, or read-only txns), Range.
 * - `queues.floor2.raw` / `queues.floor3.raw`: the floors, with etcd3's raw KV stubs on keys
 *   put beforehand: each consumer walks its own share (no race), 2 write txns per item (claim
 *   guarded by the item's mod revision, then delete item + marker) or 3 (claim, ack
 *   bookkeeping, delete): what dequeue and claim+ack cannot beat.
 * @module
 */
import { snapshot } from '../../lib/metrics.js';
import { rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import { now } from '../../lib/timing.js';
import type { WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3, many } from './clients.js';

export const CONSUMERS = 4;
export const ITEMS = 600;

function result(counts: ReturnType<typeof rpcCounts>, items: number, elapsed: number): PerfResult {
  const txn = counts.byMethod['Txn'] ?? 0;
  return {
    metrics: { itemsPerSecond: items / (elapsed / 1000), ...rpcMetrics(counts, items), txnNoWritePerOp: Math.max(0, txn - counts.writes) / items },
    notes: { rpcs: `Txn ${(txn / items).toFixed(2)}, writes ${(counts.writes / items).toFixed(2)}, Range ${((counts.byMethod['Range'] ?? 0) / items).toFixed(2)} per item` },
  };
}

/** Conclave `dequeue()` or `claim()`+`ack()`. */
export async function conclaveQueue(ctx: WorkerContext, mode: 'dequeue' | 'claim'): Promise<PerfResult> {
  const cs = await many(CONSUMERS, () => conclave(ctx.endpoint, { namespace: `${ctx.runId}/queues/${mode}/` }));
  try {
    const q0 = cs[0]!.queue<number>('q');
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ITEMS) await q0.enqueue(next++);
      }),
    );
    let taken = 0;
    const before = await snapshot(ctx.metricsUrl);
    const t0 = now();
    let last = t0;
    await Promise.all(
      cs.map(async (c) => {
        const q = c.queue<number>('q');
        while (taken < ITEMS) {
          try {
            if (mode === 'dequeue') await q.dequeue({ signal: AbortSignal.timeout(2_000) });
            else await (await q.claim({ signal: AbortSignal.timeout(2_000) })).ack();
            taken++;
            last = now();
          } catch {
            return; // empty: the others took the rest
          }
        }
      }),
    );
    const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
    return result(counts, taken, last - t0);
  } finally {
    await Promise.allSettled(cs.map((c) => c.close()));
  }
}

/** The 2- or 3-txn floor. */
export async function floor(ctx: WorkerContext, txns: 2 | 3): Promise<PerfResult> {
  const cs = await many(CONSUMERS, () => etcd3(ctx.endpoint));
  try {
    const prefix = `${ctx.runId}/floor${txns}/`;
    const kv = cs[0]!.kv;
    const revs: { key: Buffer; rev: string }[] = [];
    for (let i = 0; i < ITEMS; i++) {
      const key = Buffer.from(`${prefix}${String(i).padStart(6, '0')}`);
      const r = await kv.put({ key, value: Buffer.from(String(i)) });
      revs.push({ key, rev: r.header.revision });
    }
    const before = await snapshot(ctx.metricsUrl);
    const t0 = now();
    await Promise.all(
      cs.map(async (c, k) => {
        for (let i = k; i < revs.length; i += CONSUMERS) {
          const { key, rev } = revs[i]!;
          const marker = Buffer.concat([key, Buffer.from('/claim')]);
          await c.kv.txn({ compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: rev }], success: [{ request_put: { key: marker, value: Buffer.from('c') } }], failure: [] });
          if (txns === 3) await c.kv.txn({ compare: [{ key: marker, target: 'Version', result: 'Greater', version: '0' }], success: [{ request_put: { key: marker, value: Buffer.from('a') } }], failure: [] });
          await c.kv.txn({ compare: [], success: [{ request_delete_range: { key } }, { request_delete_range: { key: marker } }], failure: [] });
        }
      }),
    );
    const elapsed = now() - t0;
    return result(rpcCounts(before, await snapshot(ctx.metricsUrl)), ITEMS, elapsed);
  } finally {
    for (const c of cs) c.close();
  }
}
