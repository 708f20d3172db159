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
 * exactly from etcd's revision (every write txn moves it by one), Txn RPCs from etcd's
 * `/metrics` (`grpc_server_handled_total{grpc_method="Txn"}`) and failed txns (guarded, nothing
 * applied) at the clients. No timed assertions: the machine's load decides the numbers;
 * compare cells of one run only.
 *
 * The queue cells of issue 14 (`npx tsx bench/queues.ts [items]`, see {@link QUEUE_CELLS}):
 * `raw` (4 clients, each sending one guarded put txn after the other: the raw txn rate, whose
 * half is the dequeue floor and third the claim+ack floor), `dequeue` and `claimAck`
 * (`claim()` then `ack()`), 4 consumers each.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { connect, type Conclave } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import { op } from '../../src/kit/store.js';
import type { TxnRequest, TxnResponse } from '../../src/transport/index.js';
import { snapshot } from '../lib/metrics.js';

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
  /** etcd Txn RPCs per job during the cell (from etcd's `/metrics`). */
  txnsPerJob?: number | undefined;
  /** Guarded txns per job that applied nothing (a lost race), counted at the clients. */
  failedTxnsPerJob?: number | undefined;
}

/** Counts the txns of `clients` (all, and guarded ones that applied nothing) from now on. */
function countTxns(clients: Conclave[]): { failed: () => number; restore: () => void } {
  let failed = 0;
  const applied = (res: TxnResponse): boolean => {
    if (res.succeeded) return true;
    const nested = res.responses[0];
    return nested !== undefined && 'txn' in nested && applied(nested.txn);
  };
  const restores = clients.map((c) => {
    const transport = (c as ConclaveClient).core.transport as unknown as { txn: (r: TxnRequest, ...rest: unknown[]) => Promise<TxnResponse> };
    const original = transport.txn;
    transport.txn = async function (this: unknown, request: TxnRequest, ...rest: unknown[]) {
      const res = await original.call(this, request, ...rest);
      if (request.compare.length > 0 && !applied(res)) failed++;
      return res;
    };
    return () => void (transport.txn = original);
  });
  return { failed: () => failed, restore: () => restores.forEach((r) => r()) };
}

/** Txn RPCs etcd at `endpoint` has handled so far (its client port serves `/metrics`). */
async function txnRpcs(endpoint: string): Promise<number> {
  return (await snapshot(endpoint.startsWith('http') ? endpoint : `http://${endpoint}`)).handled('Txn');
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

/**
 * Runs `take` (one item per call) on every consumer until `n` items were taken; the time is
 * taken when the last item is, and the calls still waiting are then aborted (an empty
 * queue's wait is not counted).
 */
async function takeLoop(clients: Conclave[], n: number, take: (c: Conclave, signal: AbortSignal) => Promise<void>): Promise<number> {
  let taken = 0;
  const done = new AbortController();
  const t0 = performance.now();
  let elapsed = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (taken < n) {
        try {
          await take(c, AbortSignal.any([done.signal, AbortSignal.timeout(10_000)]));
        } catch {
          return; // empty: the others took the rest
        }
        if (++taken === n) {
          elapsed = performance.now() - t0;
          done.abort();
        }
      }
    }),
  );
  return taken / ((elapsed || performance.now() - t0) / 1000);
}

async function dequeueCell(clients: Conclave[], name: string, n: number): Promise<number> {
  return takeLoop(clients, n, async (c, signal) => {
    await c.queue<number>(name).dequeue({ signal });
  });
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

/** `claim()` then `ack()` in a loop on each consumer. */
async function claimAckCell(clients: Conclave[], name: string, n: number): Promise<number> {
  return takeLoop(clients, n, async (c, signal) => {
    const claim = await c.queue<number>(name).claim({ signal });
    await claim.ack();
  });
}

/** The raw txn rate: each consumer sends `n / CONSUMERS` guarded put txns, one after the other (items per second = txns per second). */
async function rawCell(clients: Conclave[], name: string, n: number): Promise<number> {
  const stores = clients.map((c) => (c as ConclaveClient).store);
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, k) => {
      for (let i = k; i < n; i += CONSUMERS) {
        const key = store.key(`${name}-raw/${i}`);
        await store.txn({ compare: [{ target: 'version', result: 'equal', key, value: 0n }], success: [op.put({ key, value: new Uint8Array(0) })], failure: [] });
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** The queue cells of issue 14 (see the module doc); `raw` is their floor's base. */
export const QUEUE_CELLS = ['raw', 'dequeue', 'claimAck'] as const;
export type QueueCell = (typeof QUEUE_CELLS)[number];

type Cell = JobsCell | QueueCell;
const CELLS: Record<Cell, (clients: Conclave[], name: string, n: number) => Promise<number>> = {
  floor,
  dequeue: dequeueCell,
  process: processCell,
  raw: rawCell,
  claimAck: claimAckCell,
};

/** Runs one cell with `n` items against etcd at `endpoint`, keys under `namespace`. */
export async function runJobs(endpoint: string, namespace: string, cell: JobsCell, n: number): Promise<JobsResult>;
export async function runJobs(endpoint: string, namespace: string, cell: Cell, n: number): Promise<Omit<JobsResult, 'cell'> & { cell: Cell }>;
export async function runJobs(endpoint: string, namespace: string, cell: Cell, n: number): Promise<Omit<JobsResult, 'cell'> & { cell: Cell }> {
  const clients = await Promise.all(Array.from({ length: CONSUMERS }, () => connect({ endpoints: [endpoint], namespace })));
  try {
    const name = `jobs-${cell}`;
    if (cell !== 'raw') await fill(clients[0]!, name, n);
    // Open every client's session first (the cells' first claims would otherwise count its grant).
    await Promise.all(clients.map((c) => (c as ConclaveClient).store.session()));
    const before = (await clients[0]!.put('probe', 'x')).revision;
    const rpcsBefore = await txnRpcs(endpoint).catch(() => undefined);
    const counted = countTxns(clients);
    let jobsPerSecond: number;
    try {
      jobsPerSecond = await CELLS[cell](clients, name, n);
    } finally {
      counted.restore();
    }
    const rpcsAfter = await txnRpcs(endpoint).catch(() => undefined);
    const after = (await clients[0]!.put('probe', 'x')).revision;
    return {
      scenario: 'jobs',
      cell,
      n,
      consumers: CONSUMERS,
      jobsPerSecond,
      writesPerJob: Number(after - before - 1n) / n,
      txnsPerJob: rpcsBefore === undefined || rpcsAfter === undefined ? undefined : (rpcsAfter - rpcsBefore) / n,
      failedTxnsPerJob: counted.failed() / n,
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}
