/**
 * Jobs (issue 15): jobs per second with {@link CONSUMERS} consumers (one client each), one
 * cell per process in `npm run bench` (`worker.ts jobs.<cell>`), or all three in one process
 * with `npx tsx bench/jobs.ts [items]`:
 *
 * | cell | what one item costs |
 * |---|---|
 * | `floor` (2 writes/job) | a claim txn (marker put guarded by the item's mod revision) + a delete txn (item + marker), no reads, no watch — the least any at-least-once job can cost |
 * | `dequeue` (raw `dequeue()`) | the at-most-once take: claim + delete, through the client's dispatcher |
 * | `process` (`process()`) | the jobs mode: claim (with its delivery count) + ack (item, marker, bookkeeping), concurrency 4 per consumer |
 *
 * Items are enqueued before the cell starts (not timed). etcd writes per job are counted
 * exactly from etcd's revision (every write txn moves it by one). No timed assertions: the
 * machine's load decides the numbers; compare cells of one run only.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { connect, type Conclave } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import { op } from '../../src/kit/store.js';

export const CONSUMERS = 4;
export const JOBS_CELLS = ['floor', 'dequeue', 'process'] as const;
export type JobsCell = (typeof JOBS_CELLS)[number];
export const JOBS_LABELS: Record<JobsCell, string> = {
  floor: 'floor: 2 writes/job',
  dequeue: 'raw dequeue()',
  process: 'process() (concurrency 4)',
};

export interface JobsResult {
  scenario: 'jobs';
  cell: JobsCell;
  n: number;
  consumers: number;
  jobsPerSecond: number;
  /** etcd writes (revisions) per job during the cell, the enqueues not counted. */
  writesPerJob: number;
}

async function fill(c: Conclave, name: string, n: number): Promise<void> {
  const q = c.queue<number>(name);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) await q.enqueue(next++);
    }),
  );
}

/** The floor: each consumer walks its share of the items with exactly two txns per item. */
async function floor(clients: Conclave[], name: string, n: number): Promise<number> {
  const stores = clients.map((c) => (c as ConclaveClient).store);
  const items = await clients[0]!.getPrefix(`${name}/`);
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, k) => {
      const session = await store.session();
      for (let i = k; i < items.length; i += CONSUMERS) {
        const kv = items[i]!;
        const key = store.key(kv.key);
        const marker = store.key(`__floor/${kv.key}`);
        await store.txn({
          compare: [{ target: 'mod', result: 'equal', key, value: kv.modRevision }],
          success: [op.put({ key: marker, value: new Uint8Array(0), lease: session.lease })],
          failure: [],
        });
        await store.txn({ compare: [], success: [op.del({ key }), op.del({ key: marker })], failure: [] });
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function dequeueCell(clients: Conclave[], name: string, n: number): Promise<number> {
  let taken = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      const q = c.queue<number>(name);
      while (taken < n) {
        try {
          await q.dequeue({ signal: AbortSignal.timeout(2_000) });
          taken++;
        } catch {
          return; // empty: the others took the rest
        }
      }
    }),
  );
  return taken / ((performance.now() - t0) / 1000);
}

async function processCell(clients: Conclave[], name: string, n: number): Promise<number> {
  let done = 0;
  const stop = new AbortController();
  setMaxListeners(64, stop.signal); // every slot of the 4 consumers listens to it
  const t0 = performance.now();
  let elapsed = 0;
  await Promise.all(
    clients.map((c) =>
      c.queue<number>(name).process(
        async () => {
          if (++done === n) {
            elapsed = performance.now() - t0;
            stop.abort();
          }
        },
        { concurrency: 4, signal: stop.signal },
      ),
    ),
  );
  return n / (elapsed / 1000);
}

const CELLS: Record<JobsCell, (clients: Conclave[], name: string, n: number) => Promise<number>> = { floor, dequeue: dequeueCell, process: processCell };

/** Runs one cell with `n` items against etcd at `endpoint`, keys under `namespace`. */
export async function runJobs(endpoint: string, namespace: string, cell: JobsCell, n: number): Promise<JobsResult> {
  const clients = await Promise.all(Array.from({ length: CONSUMERS }, () => connect({ endpoints: [endpoint], namespace })));
  try {
    const name = `jobs-${cell}`;
    await fill(clients[0]!, name, n);
    const before = (await clients[0]!.put('probe', 'x')).revision;
    const jobsPerSecond = await CELLS[cell](clients, name, n);
    const after = (await clients[0]!.put('probe', 'x')).revision;
    return { scenario: 'jobs', cell, n, consumers: CONSUMERS, jobsPerSecond, writesPerJob: Number(after - before - 1n) / n };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}
