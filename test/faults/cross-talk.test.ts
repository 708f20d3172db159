/**
 * Names that contain the key separator `/`. Locks and elections use names verbatim, as Go's
 * `concurrency` package and `etcdctl` do (mutex `jobs` is the key range `jobs/<lease>`), and
 * topics, queues, barriers and the registry accept any non-empty name too. Whatever the names,
 * two primitives with different names must never interfere: a primitive named `a/b` (or
 * `a/read`, `a/waiters`, ...) is not a holder, waiter, leader, item or message of one named `a`.
 */
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { recordRow } from './report.js';

const clients: Conclave[] = [];
const results: { pair: string; ok: boolean }[] = [];

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

async function two(): Promise<[Conclave, Conclave]> {
  const namespace = uniquePrefix('cross talk');
  const a = await connect({ endpoints: sharedCluster().endpoints, namespace });
  const b = await connect({ endpoints: sharedCluster().endpoints, namespace });
  clients.push(a, b);
  return [a, b];
}

/** Runs a cross-talk check, recording whether it held. */
function pair(title: string, body: () => Promise<void>): void {
  it(title, async () => {
    let ok = false;
    try {
      await body();
      ok = true;
    } finally {
      results.push({ pair: title, ok });
    }
  }, 30_000);
}

describe('locks and elections: nested names are independent', () => {
  pair("mutex 'jobs/nightly' held: mutex 'jobs' is free", async () => {
    const [a, b] = await two();
    const nested = await a.mutex('jobs/nightly').acquire();
    const outer = await b.mutex('jobs').tryAcquire();
    expect(outer).toBeDefined();
    expect(outer!.key.startsWith('jobs/')).toBe(true);
    await outer!.release();
    await nested.release();
  });

  pair("mutex 'jobs' held: mutex 'jobs/nightly' is free", async () => {
    const [a, b] = await two();
    const outer = await a.mutex('jobs').acquire();
    const nested = await b.mutex('jobs/nightly').tryAcquire();
    expect(nested).toBeDefined();
    await nested!.release();
    await outer.release();
  });

  pair("mutex 'jobs' with 70 keys of longer names around its own: owner found, waited for, handed over", async () => {
    const [a, b] = await two();
    const nestedBefore = await Promise.all(Array.from({ length: 70 }, (_, i) => a.mutex(`jobs/before-${i}`).acquire()));
    const held = await a.mutex('jobs').acquire(); // its key is newer than 70 foreign keys
    expect(await b.mutex('jobs').tryAcquire()).toBeUndefined();
    const nestedAfter = await Promise.all(Array.from({ length: 70 }, (_, i) => a.mutex(`jobs/after-${i}`).acquire()));
    // b's key is newer than 70 foreign keys, which are newer than its real predecessor.
    let acquired = false;
    const waiting = b.mutex('jobs').acquire({ timeoutMs: 10_000 }).then((lock) => {
      acquired = true;
      return lock;
    });
    await expect.poll(async () => (await a.getPrefix('jobs/')).filter((kv) => !kv.key.slice(5).includes('/')).length, { timeout: 5_000 }).toBe(2);
    expect(acquired).toBe(false);
    await held.release();
    const next = await waiting;
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    // A mutex and an election of one name share their keys (as in Go): leader() pages past the 140 foreign keys too.
    expect((await b.election('jobs').leader())?.key).toBe(next.key);
    await next.release();
    await Promise.all([...nestedBefore, ...nestedAfter].map((l) => l.release()));
  });

  pair("election 'svc/eu' has a leader: election 'svc' has none, and a campaign wins at once", async () => {
    const [a, b] = await two();
    const nested = await a.election('svc/eu').campaign('eu-leader');
    expect(await b.election('svc').leader()).toBeUndefined();
    expect(await firstValueFrom(b.election('svc').leader$.pipe(timeout(10_000)))).toBeUndefined();
    const term = await b.election('svc').campaign('svc-leader', { signal: AbortSignal.timeout(5_000) });
    expect(new TextDecoder().decode((await b.election('svc').leader())!.value)).toBe('svc-leader');
    await term.resign();
    await nested.resign();
  });

  pair("semaphore 'pool/gpu' (1 permit) held: semaphore 'pool' (1 permit) is free", async () => {
    const [a, b] = await two();
    const nested = await a.semaphore('pool/gpu', 1).acquire();
    const outer = await b.semaphore('pool', 1).tryAcquire();
    expect(outer).toBeDefined();
    await outer!.release();
    await nested.release();
  });

  pair("rwlock 'catalog/read' write-locked: rwlock 'catalog' can be write-locked", async () => {
    const [a, b] = await two();
    const nested = await a.rwlock('catalog/read').writeLock();
    const outer = await b.rwlock('catalog').writeLock({ timeoutMs: 5_000 });
    await outer.release();
    await nested.release();
  });

  pair("rwlock 'catalog/write' write-locked: rwlock 'catalog' can be read-locked", async () => {
    const [a, b] = await two();
    const nested = await a.rwlock('catalog/write').writeLock();
    const outer = await b.rwlock('catalog').readLock({ timeoutMs: 5_000 });
    await outer.release();
    await nested.release();
  });
});

describe('recipes: nested names are independent', () => {
  pair("double barrier 'batch/waiters' has a participant: double barrier 'batch' (count 1) is not full", async () => {
    const [a, b] = await two();
    const waiting = a.doubleBarrier('batch/waiters', 2).enter({ signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
    // Its participant key exists once a second participant of the same barrier could see it.
    await expect.poll(async () => (await a.getPrefix('batch/waiters/waiters/')).length, { timeout: 10_000 }).toBe(1);
    const outer = b.doubleBarrier('batch', 1);
    await outer.enter({ signal: AbortSignal.timeout(5_000) });
    await outer.leave({ signal: AbortSignal.timeout(5_000) });
    const partner = a.doubleBarrier('batch/waiters', 2);
    await partner.enter({ signal: AbortSignal.timeout(10_000) });
    await waiting;
  });

  pair("queue 'jobs/urgent' has an item: queue 'jobs' is empty", async () => {
    const [a, b] = await two();
    await a.queue<string>('jobs/urgent').enqueue('urgent-1');
    await expect(b.queue<string>('jobs').dequeue({ signal: AbortSignal.timeout(1_000) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await b.queue<string>('jobs/urgent').dequeue({ signal: AbortSignal.timeout(5_000) })).toBe('urgent-1');
  });

  pair("topic 'orders/eu' messages never reach topic 'orders'", async () => {
    const [a, b] = await two();
    // Subscribe from a revision before both publishes (no race with the watch being set up).
    const from = (await a.put('start', '')).revision;
    const outer = firstValueFrom(b.topic<string>('orders').messages$({ fromRevision: from }).pipe(take(1), toArray(), timeout(10_000)));
    const nested = firstValueFrom(b.topic<string>('orders/eu').messages$({ fromRevision: from }).pipe(take(1), toArray(), timeout(10_000)));
    await a.topic<string>('orders/eu').publish('eu-1');
    await a.topic<string>('orders').publish('all-1');
    expect((await outer).map((m) => m.value)).toEqual(['all-1']);
    expect((await nested).map((m) => m.value)).toEqual(['eu-1']);
  });

  pair("service 'api/v2' instances are not instances of service 'api'", async () => {
    const [a, b] = await two();
    const registration = await a.services('api/v2').register({ id: 'v2-1', address: '10.0.0.2:80' });
    expect(await b.services('api').instances()).toEqual([]);
    expect((await b.services('api/v2').instances()).map((i) => i.id)).toEqual(['v2-1']);
    await registration.deregister();
  });

  pair("barrier 'gate/inner' held: barrier 'gate' is open", async () => {
    const [a, b] = await two();
    await a.barrier('gate/inner').hold();
    await b.barrier('gate').wait({ signal: AbortSignal.timeout(5_000) });
    await a.barrier('gate/inner').release();
  });
});

it('summary', ({ task }) => {
  const failed = results.filter((r) => !r.ok);
  recordRow(task, {
    scenario: 'names containing "/": a primitive named a/b vs one named a, for every primitive',
    operations: results.length,
    invariant: 'no cross-talk between different names (holders, leaders, waiters, items, messages, instances)',
    violations: failed.length,
    notes: failed.length ? `cross-talk: ${failed.map((f) => f.pair).join('; ')}` : undefined,
  });
  expect(results.length).toBe(12);
});
