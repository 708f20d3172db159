/**
 * The waits of the lock primitives, counted with etcd's own metrics on a single member of this
 * file's own (issue 14): server watchers per client and RPCs per cycle. No timings are asserted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, createGrpcTransport, type Conclave } from '../../src/index.js';
import { interceptTransport } from '../harness/intercept.js';
import { parseMetrics, pollUntil, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

let cluster: EtcdCluster;
const clients: Conclave[] = [];
const namespace = uniquePrefix('lock-waits');

beforeAll(async () => {
  cluster = await startSingle({ name: 'lock-waits' });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function open(): Promise<Conclave> {
  const c = await connect({ endpoints: cluster.endpoints, namespace });
  clients.push(c);
  return c;
}

/** etcd's count of open watchers. */
async function etcdWatchers(): Promise<number> {
  return cluster.members[0]!.metric('etcd_debugging_mvcc_watcher_total');
}

/** Unary RPCs handled so far, by method (streams left out). */
async function unaryRpcs(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of parseMetrics(await cluster.members[0]!.metrics())) {
    if (s.name !== 'grpc_server_handled_total' || s.labels['grpc_type'] !== 'unary') continue;
    const method = s.labels['grpc_method']!;
    out.set(method, (out.get(method) ?? 0) + s.value);
  }
  return out;
}

function rpcDelta(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, n] of after) if (n - (before.get(method) ?? 0) > 0) out[method] = n - (before.get(method) ?? 0);
  return out;
}

it('10 waiters on one semaphore in one client: one server watcher for the name (plus the session marker and held-key watches)', async () => {
  const holder = await open();
  const waiter = await open();
  const name = 'sem-waiters';
  const held = await holder.semaphore(name, 1).acquire();
  await waiter.get('warm-up');
  const before = await etcdWatchers();
  let got = 0;
  const waits = Array.from({ length: 10 }, () =>
    waiter
      .semaphore(name, 1)
      .acquire()
      .then((lock) => {
        got++;
        return lock.release();
      }),
  );
  await pollUntil(async () => ((await holder.getPrefix(`${name}/`)).length === 11 ? true : undefined), { timeoutMs: 10_000, description: '10 waiting keys' });
  // The session's marker watch, the watch of held keys' deletes, and the name's watch: never one per waiter.
  expect(waiter.stats().serverWatchers).toBe(3);
  expect((await etcdWatchers()) - before).toBe(3);
  await held.release();
  await Promise.all(waits);
  expect(got).toBe(10);
});

it('uncontended acquire + release: 2 RPCs (Txn, Txn), fencing token from the acquire txn, no read', async () => {
  const c = await open();
  const m = c.mutex('plain');
  await (await m.acquire()).release(); // the session exists
  const before = await unaryRpcs();
  const N = 20;
  for (let i = 0; i < N; i++) {
    const lock = await m.acquire();
    expect(lock.fencingToken).toBeGreaterThan(0n);
    await lock.release();
  }
  expect(rpcDelta(await unaryRpcs(), before)).toEqual({ Txn: 2 * N });
});

it('1,000 held locks of distinct names: one server watcher for all of them (plus the session marker watch)', async () => {
  const c = await open();
  await c.get('warm-up');
  const before = await etcdWatchers();
  const locks = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.mutex(`held-${i}`).acquire()));
  expect(c.stats().serverWatchers).toBe(2);
  // (Other clients' lingering name watches may close meanwhile: at most 2 more.)
  expect((await etcdWatchers()) - before).toBeLessThanOrEqual(2);
  // Lock lost detection still works through the shared watch.
  const lost = new Promise<void>((resolve) => locks[500]!.lost$.subscribe({ next: () => resolve() }));
  await c.delete(locks[500]!.key);
  await lost;
  expect(locks[500]!.signal.aborted).toBe(true);
  expect(locks[499]!.signal.aborted).toBe(false);
  await Promise.all(locks.map((l) => l.release()));
});

it("10 contenders in 10 clients: each handover is the holder's delete + one watch event (no read while waiting)", async () => {
  const cs = await Promise.all(Array.from({ length: 10 }, () => open()));
  const name = 'contended';
  for (const c of cs) await (await c.mutex(name).acquire()).release(); // sessions, and each name watch open
  const before = await unaryRpcs();
  const ROUNDS = 5;
  let cycles = 0;
  await Promise.all(
    cs.map(async (c) => {
      for (let i = 0; i < ROUNDS; i++) {
        const lock = await c.mutex(name).acquire();
        cycles++;
        await lock.release();
      }
    }),
  );
  const delta = rpcDelta(await unaryRpcs(), before);
  expect(cycles).toBe(10 * ROUNDS);
  expect(delta['Range'] ?? 0).toBe(0);
  // Acquire + release per cycle, and a re-read only when a waiter's name watch started after its enqueue.
  expect(delta['Txn']!).toBeLessThanOrEqual(2 * cycles + 10);
});

it('first lock of a fresh client: 2 round trips (lease grant, then the marker put alongside the lock txn)', async () => {
  let completedDepth = 0;
  let maxDepth = 0;
  const calls: string[] = [];
  const transport = interceptTransport(createGrpcTransport({ endpoints: cluster.endpoints }), async (method, _request, _signal, send) => {
    const depth = completedDepth + 1;
    maxDepth = Math.max(maxDepth, depth);
    calls.push(`${method}@${depth}`);
    try {
      return await send();
    } finally {
      completedDepth = Math.max(completedDepth, depth);
    }
  });
  const c = await connect({ transport, namespace });
  clients.push(c);
  const lock = await c.mutex('cold').acquire();
  expect(calls.sort()).toEqual(['leaseGrant@1', 'put@2', 'txn@2']);
  expect(maxDepth).toBe(2);
  await lock.release();
});
