/**
 * Every issue-14 cell, by id (`<family>.<cell>.<side>`): what `worker.ts perf:<id>` runs, and
 * its time bound. The runner runs the cells of the selected families in this order, each in a
 * fresh process; `raw` runs whenever any of these families does (the targets are relative to it).
 *
 * @example
 * ```ts
 * const cell = PERF_CELLS.find((c) => c.id === 'mutex.uncontended.conclave');
 * await cell.run(ctx);
 * ```
 * @module
 */
import type { PerfResult } from '../../lib/perf.js';
import type { WorkerContext } from '../../lib/worker-context.js';

// Every cell imports its module only when it runs, so a cell's process loads nothing it does not
// use (the memory cells' "bare node" loads no library and no harness).
const contended = (): Promise<typeof import('./contended.js')> => import('./contended.js');
const election = (): Promise<typeof import('./election.js')> => import('./election.js');
const memory = (): Promise<typeof import('./memory.js')> => import('./memory.js');
const mutex = (): Promise<typeof import('./mutex.js')> => import('./mutex.js');
const proxy = (): Promise<typeof import('./proxy.js')> => import('./proxy.js');
const queues = (): Promise<typeof import('./queues.js')> => import('./queues.js');
const raw = (): Promise<typeof import('./raw.js')> => import('./raw.js');
const resume = (): Promise<typeof import('./resume.js')> => import('./resume.js');
const topics = (): Promise<typeof import('./topics.js')> => import('./topics.js');

/** Subscribers on one key in the big memory cell. */
const SUBSCRIBERS_BIG = 100_000;

/** The families, in run order (`--only=` names). */
export const PERF_FAMILIES = ['raw', 'mutex', 'contended', 'rwlock', 'semaphore', 'election', 'resume', 'topics', 'queues', 'memory', 'proxy'] as const;
export type PerfFamily = (typeof PERF_FAMILIES)[number];

export interface PerfCell {
  id: string;
  family: PerfFamily;
  /** Bound on the cell's process, in ms (killed by PID past it). */
  timeoutMs: number;
  run(ctx: WorkerContext): Promise<PerfResult>;
}

const cell = (id: string, timeoutMs: number, run: (ctx: WorkerContext) => Promise<PerfResult>): PerfCell => ({ id, family: id.split('.')[0] as PerfFamily, timeoutMs, run });

export const PERF_CELLS: readonly PerfCell[] = [
  cell('raw.pairs.raw', 60_000, async (ctx) => (await raw()).rawPairs(ctx)),
  cell('raw.txnPairs.raw', 60_000, async (ctx) => (await raw()).rawTxnPairs(ctx)),
  cell('raw.first.raw', 60_000, async (ctx) => (await raw()).rawFirst(ctx)),
  cell('raw.put1.raw', 60_000, async (ctx) => (await raw()).rawPut(ctx, 1)),
  cell('raw.put64.raw', 60_000, async (ctx) => (await raw()).rawPut(ctx, 64)),
  cell('mutex.uncontended.conclave', 60_000, async (ctx) => (await mutex()).uncontended(ctx, 'conclave')),
  cell('mutex.uncontended.etcd3', 60_000, async (ctx) => (await mutex()).uncontended(ctx, 'etcd3')),
  cell('mutex.first.conclave', 60_000, async (ctx) => (await mutex()).firstLock(ctx, 'conclave')),
  cell('mutex.first.etcd3', 60_000, async (ctx) => (await mutex()).firstLock(ctx, 'etcd3')),
  cell('contended.clients10.conclave', 90_000, async (ctx) => (await contended()).conclaveMutex(ctx, 10)),
  cell('contended.clients10.etcd3', 90_000, async (ctx) => (await contended()).etcd3Mutex(ctx, 10)),
  cell('contended.clients1.conclave', 90_000, async (ctx) => (await contended()).conclaveMutex(ctx, 1)),
  cell('contended.clients1.etcd3', 90_000, async (ctx) => (await contended()).etcd3Mutex(ctx, 1)),
  cell('rwlock.clients10.conclave', 90_000, async (ctx) => (await contended()).conclaveRwlock(ctx)),
  cell('semaphore.clients10.conclave', 90_000, async (ctx) => (await contended()).conclaveSemaphore(ctx)),
  cell('election.resign.conclave', 90_000, async (ctx) => (await election()).resignHandover(ctx, 'conclave')),
  cell('election.resign.etcd3', 90_000, async (ctx) => (await election()).resignHandover(ctx, 'etcd3')),
  cell('election.kill.conclave', 150_000, async (ctx) => (await election()).leaderKill(ctx)),
  cell('resume.restart.conclave', 150_000, async (ctx) => (await resume()).resume(ctx, 'conclave')),
  cell('resume.restart.etcd3', 150_000, async (ctx) => (await resume()).resume(ctx, 'etcd3')),
  cell('topics.publish1.conclave', 90_000, async (ctx) => (await topics()).publish(ctx, 'conclave', 1)),
  cell('topics.publish1.etcd3', 90_000, async (ctx) => (await topics()).publish(ctx, 'etcd3', 1)),
  cell('topics.publish64.conclave', 90_000, async (ctx) => (await topics()).publish(ctx, 'conclave', 64)),
  cell('topics.publish64.etcd3', 90_000, async (ctx) => (await topics()).publish(ctx, 'etcd3', 64)),
  cell('topics.deliver1.conclave', 60_000, async (ctx) => (await topics()).deliver(ctx, 'conclave', 1)),
  cell('topics.deliver1.etcd3', 60_000, async (ctx) => (await topics()).deliver(ctx, 'etcd3', 1)),
  cell('topics.deliver100.conclave', 60_000, async (ctx) => (await topics()).deliver(ctx, 'conclave', 100)),
  cell('topics.deliver100.etcd3', 60_000, async (ctx) => (await topics()).deliver(ctx, 'etcd3', 100)),
  cell('queues.floor2.raw', 90_000, async (ctx) => (await queues()).floor(ctx, 2)),
  cell('queues.floor3.raw', 90_000, async (ctx) => (await queues()).floor(ctx, 3)),
  cell('queues.dequeue.conclave', 120_000, async (ctx) => (await queues()).conclaveQueue(ctx, 'dequeue')),
  cell('queues.claim.conclave', 120_000, async (ctx) => (await queues()).conclaveQueue(ctx, 'claim')),
  cell('memory.idle.node', 30_000, async (ctx) => (await memory()).idle(ctx, 'node')),
  cell('memory.idle.conclave', 30_000, async (ctx) => (await memory()).idle(ctx, 'conclave')),
  cell('memory.idle.etcd3', 30_000, async (ctx) => (await memory()).idle(ctx, 'etcd3')),
  cell('memory.sub1.conclave', 60_000, async (ctx) => (await memory()).oneKey(ctx, 1)),
  cell('memory.sub100k.conclave', 180_000, async (ctx) => (await memory()).oneKey(ctx, SUBSCRIBERS_BIG)),
  cell('memory.keys10k.conclave', 180_000, async (ctx) => (await memory()).distinctKeys(ctx, 'conclave')),
  cell('memory.keys10k.etcd3', 180_000, async (ctx) => (await memory()).distinctKeys(ctx, 'etcd3')),
  cell('proxy.direct.conclave', 360_000, async (ctx) => (await proxy()).proxyScale(ctx, 'conclave', 'direct')),
  cell('proxy.proxy.conclave', 360_000, async (ctx) => (await proxy()).proxyScale(ctx, 'conclave', 'proxy')),
  cell('proxy.direct.etcd3', 360_000, async (ctx) => (await proxy()).proxyScale(ctx, 'etcd3', 'direct')),
  cell('proxy.proxy.etcd3', 360_000, async (ctx) => (await proxy()).proxyScale(ctx, 'etcd3', 'proxy')),
];
