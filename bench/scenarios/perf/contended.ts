/**
 * Locks under contention: {@link CONTENDERS} contenders, each acquiring, holding for one
 * macrotask, releasing and asking again for {@link CONTEND_MS}.
 *
 * **Where the contenders live.** "10 clients" = 10 clients (10 connections, 10 sessions) in ONE
 * process, not 10 processes: every grant is then timed on one clock, so mutual exclusion
 * (never two holders), FIFO order (fencing tokens increase in grant order) and handover times
 * (a grant minus the release it waited for) are checked exactly rather than across process
 * clocks, and the 2-core machine does not pay 10 Node start-ups. What is measured is bound by
 * round trips to etcd, not by the one event loop (the loop is idle while waiting).
 * "1 client" = the 10 contenders share one client (Conclave queues them locally, FIFO, in front
 * of the etcd key; etcd3 gives each lock its own lease anyway).
 *
 * - Conclave: `mutex(name).acquire()`; `rwlock(name)` with 8 readers and 2 writers;
 *   `semaphore(name, 3)`.
 * - etcd3: `lock(name).acquire()` is a try-lock (it fails with `EtcdLockFailedError` when held),
 *   so a waiter spins: it tries again at once; failed tries are counted.
 *
 * Metrics: cycles/s, wait p50/p99, handover p50/p99 (and how many handovers took ≥ 100 ms), Jain's
 * fairness over per-contender grants, FIFO violations, mutual-exclusion violations, RPCs per cycle.
 * @module
 */
import type { Conclave } from '../../../src/index.js';
import { contend, type Contender } from '../../lib/contention.js';
import { snapshot } from '../../lib/metrics.js';
import { perOp, rpcCounts, rpcMetrics, type PerfResult } from '../../lib/perf.js';
import type { WorkerContext } from '../../lib/worker-context.js';
import { conclave, etcd3, many } from './clients.js';

export const CONTENDERS = 10;
export const CONTEND_MS = 5_000;
export const SEMAPHORE_PERMITS = 3;
export const RW_WRITERS = 2;

/** Runs the loop with `contenders`, counting RPCs around it. */
async function measure(ctx: WorkerContext, contenders: Contender[], maxHolders: number, extra: () => Record<string, number> = () => ({})): Promise<PerfResult> {
  const before = await snapshot(ctx.metricsUrl);
  const m = await contend(contenders, { durationMs: CONTEND_MS, maxHolders });
  const counts = rpcCounts(before, await snapshot(ctx.metricsUrl));
  return { metrics: { ...m, ...rpcMetrics(counts, m.cycles!), ...extra() }, notes: { rpcs: perOp(counts, m.cycles!) } };
}

async function closeAll(clients: Conclave[]): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.close()));
}

/** Conclave mutex, 10 contenders in `clients` clients (10 or 1). */
export async function conclaveMutex(ctx: WorkerContext, clients: number): Promise<PerfResult> {
  const cs = await many(clients, () => conclave(ctx.endpoint));
  try {
    const name = `${ctx.runId}/contended/conclave/${clients}`;
    await Promise.all(cs.map(async (c) => (await c.mutex(`${name}-warm`).acquire()).release()));
    const contenders = Array.from({ length: CONTENDERS }, (_, i): Contender => ({
      kind: 'writer',
      async acquire() {
        const l = await cs[i % clients]!.mutex(name).acquire({ timeoutMs: 30_000 });
        return { token: l.fencingToken, release: () => l.release() };
      },
    }));
    return await measure(ctx, contenders, 1);
  } finally {
    await closeAll(cs);
  }
}

/** etcd3 lock (spinning try-lock), 10 contenders in `clients` clients. */
export async function etcd3Mutex(ctx: WorkerContext, clients: number): Promise<PerfResult> {
  const { EtcdLockFailedError } = await import('etcd3');
  const cs = await many(clients, () => etcd3(ctx.endpoint));
  let failedTries = 0;
  try {
    const name = `${ctx.runId}/contended/etcd3/${clients}`;
    const contenders = Array.from({ length: CONTENDERS }, (_, i): Contender => ({
      kind: 'writer',
      async acquire() {
        for (;;) {
          try {
            const l = await cs[i % clients]!.lock(name).ttl(10).acquire();
            return { release: () => l.release() };
          } catch (error) {
            if (!(error instanceof EtcdLockFailedError)) throw error;
            failedTries++;
          }
        }
      },
    }));
    return await measure(ctx, contenders, 1, () => ({ failedTriesPerSecond: failedTries / (CONTEND_MS / 1000) }));
  } finally {
    for (const c of cs) c.close();
  }
}

/** Conclave rw-lock: 8 readers and 2 writers in 10 clients. */
export async function conclaveRwlock(ctx: WorkerContext): Promise<PerfResult> {
  const cs = await many(CONTENDERS, () => conclave(ctx.endpoint));
  try {
    const name = `${ctx.runId}/rwlock`;
    const contenders = Array.from({ length: CONTENDERS }, (_, i): Contender => {
      const writer = i < RW_WRITERS;
      return {
        kind: writer ? 'writer' : 'reader',
        async acquire() {
          const rw = cs[i]!.rwlock(name);
          const l = await (writer ? rw.writeLock({ timeoutMs: 30_000 }) : rw.readLock({ timeoutMs: 30_000 }));
          return { release: () => l.release() };
        },
      };
    });
    return await measure(ctx, contenders, CONTENDERS);
  } finally {
    await closeAll(cs);
  }
}

/** Conclave semaphore with {@link SEMAPHORE_PERMITS} permits, 10 contenders in 10 clients. */
export async function conclaveSemaphore(ctx: WorkerContext): Promise<PerfResult> {
  const cs = await many(CONTENDERS, () => conclave(ctx.endpoint));
  try {
    const name = `${ctx.runId}/semaphore`;
    const contenders = Array.from({ length: CONTENDERS }, (_, i): Contender => ({
      kind: 'holder',
      async acquire() {
        const l = await cs[i]!.semaphore(name, SEMAPHORE_PERMITS).acquire({ timeoutMs: 30_000 });
        return { release: () => l.release() };
      },
    }));
    return await measure(ctx, contenders, SEMAPHORE_PERMITS);
  } finally {
    await closeAll(cs);
  }
}
