/**
 * `npx tsx bench/jobs.ts [items]`: jobs per second, side by side in one run on a throwaway
 * single-member etcd (test/harness/standalone.ts), 4 consumers (one client each) per cell:
 *
 * | cell | what one item costs |
 * |---|---|
 * | floor: 2 writes/job | a claim txn (marker put guarded by the item's mod revision) + a delete txn (item + marker), no reads, no watch — the least any at-least-once job can cost |
 * | raw `dequeue()` | the at-most-once take: claim + delete, through the client's dispatcher |
 * | `process()` | the jobs mode: claim (with its delivery count) + ack (item, marker, bookkeeping), concurrency 4 per consumer |
 *
 * Items are enqueued before each cell starts (not timed). Prints a markdown table; no timed
 * assertions (the machine's load decides the numbers: compare cells of one run only).
 * @module
 */
import { connect, type Conclave } from '../src/index.js';
import { op, Store } from '../src/recipes/store.js';
import { startSingle } from '../test/harness/standalone.js';

const N = Number(process.argv[2] ?? 1_000);
const CONSUMERS = 4;

async function fill(c: Conclave, name: string): Promise<void> {
  const q = c.queue<number>(name);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < N) await q.enqueue(next++);
    }),
  );
}

/** The floor: each consumer walks its share of the items with exactly two txns per item. */
async function floor(clients: Conclave[], name: string): Promise<number> {
  const stores = clients.map((c) => new Store(c as never));
  const items = await clients[0]!.getPrefix(`${name}/`);
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, k) => {
      const session = await store.core.session();
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
  return N / ((performance.now() - t0) / 1000);
}

async function dequeueCell(clients: Conclave[], name: string): Promise<number> {
  let taken = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      const q = c.queue<number>(name);
      while (taken < N) {
        const stop = AbortSignal.timeout(2_000);
        try {
          await q.dequeue({ signal: stop });
          taken++;
        } catch {
          return; // empty: the others took the rest
        }
      }
    }),
  );
  return taken / ((performance.now() - t0) / 1000);
}

async function processCell(clients: Conclave[], name: string): Promise<number> {
  let done = 0;
  const stop = new AbortController();
  const t0 = performance.now();
  let elapsed = 0;
  await Promise.all(
    clients.map((c) =>
      c.queue<number>(name).process(
        async () => {
          if (++done === N) {
            elapsed = performance.now() - t0;
            stop.abort();
          }
        },
        { concurrency: 4, signal: stop.signal },
      ),
    ),
  );
  return N / (elapsed / 1000);
}

const etcd = await startSingle();
const clients = await Promise.all(Array.from({ length: CONSUMERS }, () => connect({ endpoints: etcd.endpoints })));
try {
  const rows: Array<[string, number]> = [];
  for (const [label, cell] of [
    ['floor: 2 writes/job', floor],
    ['raw dequeue()', dequeueCell],
    ['process() (concurrency 4)', processCell],
  ] as const) {
    const name = `bench/jobs/${label.replace(/[^a-z0-9]+/gi, '-')}`;
    await fill(clients[0]!, name);
    rows.push([label, await cell(clients, name)]);
  }
  const base = rows[0]![1];
  console.log(`\n### Jobs: ${N} items, ${CONSUMERS} consumers (one client each), single-member etcd\n`);
  console.log('| cell | jobs/s | of the floor |\n|---|---|---|');
  for (const [label, rate] of rows) console.log(`| ${label} | ${rate.toFixed(0)} | ${((rate / base) * 100).toFixed(0)} % |`);
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await etcd.stop();
}
