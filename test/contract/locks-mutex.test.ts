/**
 * Mutex contract: Go's layout and algorithm, FIFO, tryAcquire, abort and
 * timeout cleanup, local queueing, loss detection, fenced writes, safety.
 */
import { firstValueFrom, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { AbortError, ClosedError, InvalidArgumentError, LockLostError, TimeoutError, type Conclave, type Lock } from '../../src/index.js';
import { gatewayPost } from '../harness/index.js';
import { keysWhen, leaseOf, roundTrips, track } from './lock-helpers.js';
import { describeContract } from './transports.js';

const dec = new TextDecoder();

/** Resolves with the lost$ outcome: 'emitted' (then completed) or 'completed' (without emitting). */
function lostOutcome(lock: Lock, ms = 10_000): Promise<'emitted' | 'completed'> {
  return new Promise((resolve, reject) => {
    let emitted = false;
    const timer = setTimeout(() => reject(new Error('lost$ did not complete')), ms);
    lock.lost$.subscribe({
      next: () => (emitted = true),
      complete: () => {
        clearTimeout(timer);
        resolve(emitted ? 'emitted' : 'completed');
      },
    });
  });
}

describeContract('locks mutex', ({ transport, prefix, client, raw, open, cluster }) => {
  let n = 0;
  const unique = (label: string) => `${label}-${++n}`;

  it("takes the key `${name}/${leaseHex}` on the shared session, fencing token = its create revision; release deletes it", async () => {
    const c = await client();
    const r = await raw();
    const name = unique('basic');
    const lock = await c.mutex(name).acquire();
    const kvs = await r.getPrefix(`${prefix}${name}/`);
    expect(kvs).toHaveLength(1);
    const kv = kvs[0]!;
    expect(kv.key).toBe(`${prefix}${name}/${kv.lease.toString(16)}`);
    expect(lock.key).toBe(`${name}/${kv.lease.toString(16)}`);
    expect(lock.fencingToken).toBe(kv.createRevision);
    expect(kv.value).toHaveLength(0);
    expect(lock.signal.aborted).toBe(false);
    const outcome = lostOutcome(lock);
    await lock.release();
    await lock.release();
    expect(await outcome).toBe('completed');
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).not.toBeInstanceOf(LockLostError);
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
    // A second lock of the same client shares the session lease, and gets a new token.
    const again = await c.mutex(name).acquire();
    expect(again.key).toBe(lock.key);
    expect(again.fencingToken).toBeGreaterThan(lock.fencingToken);
    await again.release();
  });

  it('is FIFO by create revision across clients, and a release wakes only the next waiter', async () => {
    const name = unique('fifo');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const held = await a.mutex(name).acquire();
    const bWait = track(b.mutex(name).acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's key");
    const cWait = track(cc.mutex(name).acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, "c's key");
    await roundTrips(r);
    expect(bWait.settled()).toBe(false);
    expect(cWait.settled()).toBe(false);
    await held.release();
    const bLock = await bWait.promise;
    expect(bLock.fencingToken).toBeGreaterThan(held.fencingToken);
    await roundTrips(r);
    expect(cWait.settled()).toBe(false);
    await bLock.release();
    const cLock = await cWait.promise;
    expect(cLock.fencingToken).toBeGreaterThan(bLock.fencingToken);
    await cLock.release();
  });

  it('tryAcquire never waits and leaves no key behind when it fails', async () => {
    const name = unique('try');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const lock = await a.mutex(name).tryAcquire();
    expect(lock).toBeDefined();
    expect(await b.mutex(name).tryAcquire()).toBeUndefined();
    expect(await a.mutex(name).tryAcquire()).toBeUndefined(); // same client: held locally
    const kvs = await r.getPrefix(`${prefix}${name}/`);
    expect(kvs.map((kv) => kv.key)).toEqual([`${prefix}${lock!.key}`]);
    await lock!.release();
    const next = await b.mutex(name).tryAcquire();
    expect(next).toBeDefined();
    await next!.release();
  });

  it('abort while waiting: rejects with AbortError, deletes its key, and the queue behind moves on', async () => {
    const name = unique('abort');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const held = await a.mutex(name).acquire();
    const ac = new AbortController();
    const bWait = b.mutex(name).acquire({ signal: ac.signal });
    const [, bKv] = await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's key").then((kvs) =>
      kvs.sort((x, y) => Number(x.createRevision - y.createRevision)),
    );
    const cWait = track(cc.mutex(name).acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, "c's key");
    ac.abort();
    await expect(bWait).rejects.toBeInstanceOf(AbortError);
    expect(await r.get(bKv!.key)).toBeUndefined();
    // c waited on b's key; it must now wait on a's, and get the lock when a releases.
    await roundTrips(r);
    expect(cWait.settled()).toBe(false);
    await held.release();
    const cLock = await cWait.promise;
    expect((await r.getPrefix(`${prefix}${name}/`)).map((kv) => kv.key)).toEqual([`${prefix}${cLock.key}`]);
    await cLock.release();
  });

  it('timeoutMs: rejects with TimeoutError and leaves no key', async () => {
    const name = unique('timeout');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const held = await a.mutex(name).acquire();
    await expect(b.mutex(name).acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect((await r.getPrefix(`${prefix}${name}/`)).map((kv) => kv.key)).toEqual([`${prefix}${held.key}`]);
    // An already aborted signal rejects at once, without writing.
    await expect(b.mutex(name).acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    await held.release();
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('two acquire() of one mutex in one client exclude each other and are served FIFO, locally', async () => {
    const c = await open({ namespace: prefix });
    const r = await raw();
    const name = unique('local');
    const m = c.mutex(name);
    const first = await m.acquire();
    const second = track(m.acquire());
    const third = track(c.mutex(name).acquire()); // another Mutex object of the same name: same queue
    await roundTrips(r);
    expect(second.settled()).toBe(false);
    expect(third.settled()).toBe(false);
    expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(1);
    await first.release();
    const secondLock = await second.promise;
    expect(secondLock.fencingToken).toBeGreaterThan(first.fencingToken);
    await roundTrips(r);
    expect(third.settled()).toBe(false);
    await secondLock.release();
    const thirdLock = await third.promise;
    await thirdLock.release();

    // Many concurrent local acquisitions: one at a time, in call order.
    const order: number[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        m.withLock(async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          order.push(i);
          await c.get('x');
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('abort while queued locally rejects without touching etcd', async () => {
    const c = await open({ namespace: prefix });
    const name = unique('local-abort');
    const held = await c.mutex(name).acquire();
    const ac = new AbortController();
    const waiting = c.mutex(name).acquire({ signal: ac.signal });
    const after = track(c.mutex(name).acquire());
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await held.release();
    await (await after.promise).release();
  });

  it('withLock hands fn the lock and releases after fn settles, also on throw', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('with');
    let seen: Lock | undefined;
    const result = await c.mutex(name).withLock(async (lock) => {
      seen = lock;
      expect(lock.signal.aborted).toBe(false);
      expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(1);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen!.signal.aborted).toBe(true);
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
    await expect(
      c.mutex(name).withLock(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('[Symbol.asyncDispose] releases', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('dispose');
    {
      await using lock = await c.mutex(name).acquire();
      expect(lock.signal.aborted).toBe(false);
      expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(1);
    }
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('session lease revoked from outside: lost$ emits, signal aborts, the next waiter gets the lock', async () => {
    const name = unique('revoke');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const held = await a.mutex(name).acquire();
    const bWait = b.mutex(name).acquire();
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's key");
    const lost = firstValueFrom(held.lost$.pipe(timeout(5000)));
    await gatewayPost(cluster().clientUrls[0]!, '/v3/lease/revoke', { ID: await leaseOf(r, `${prefix}${held.key}`) });
    await lost;
    expect(held.signal.aborted).toBe(true);
    expect(held.signal.reason).toBeInstanceOf(LockLostError);
    await expect(held.putIfHeld('fenced', 'x')).rejects.toBeInstanceOf(LockLostError);
    const bLock = await bWait;
    expect(bLock.fencingToken).toBeGreaterThan(held.fencingToken);
    await held.release(); // no-op
    expect((await r.getPrefix(`${prefix}${name}/`)).map((kv) => kv.key)).toEqual([`${prefix}${bLock.key}`]);
    await bLock.release();
    // The client that lost its session locks again on a new one.
    const again = await a.mutex(name).acquire({ timeoutMs: 10_000 });
    expect(again.key).not.toBe(held.key);
    await again.release();
  });

  it('right after an outside revoke, new locks are taken on a new session lease', async () => {
    const c = await open({ namespace: prefix });
    const r = await raw();
    const name = unique('fresh-session');
    const first = await c.mutex(name).acquire();
    const lease = await leaseOf(r, `${prefix}${first.key}`);
    await gatewayPost(cluster().clientUrls[0]!, '/v3/lease/revoke', { ID: lease });
    // Whether or not the client noticed the revoke yet, these must work (on a fresh lease).
    const [second, permit] = await Promise.all([c.mutex(`${name}-b`).acquire({ timeoutMs: 10_000 }), c.semaphore(`${name}-s`, 1).acquire({ timeoutMs: 10_000 })]);
    expect(await leaseOf(r, `${prefix}${second.key}`)).not.toBe(lease);
    expect(await leaseOf(r, `${prefix}${permit.key}`)).not.toBe(lease);
    await firstValueFrom(first.lost$.pipe(timeout(5000)));
    await Promise.all([second.release(), permit.release()]);
  });

  it('lock key deleted by someone else: lost$ emits and fenced writes are rejected', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('deleted');
    const lock = await c.mutex(name).acquire();
    expect(await lock.putIfHeld('guarded', 'one')).toHaveProperty('revision');
    const lost = firstValueFrom(lock.lost$.pipe(timeout(5000)));
    await r.delete(`${prefix}${lock.key}`);
    await lost;
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    await expect(lock.putIfHeld('guarded', 'two')).rejects.toBeInstanceOf(LockLostError);
    await expect(lock.deleteIfHeld('guarded')).rejects.toBeInstanceOf(LockLostError);
    expect(dec.decode((await c.get('guarded'))!.value)).toBe('one');
    // The local slot was handed on.
    const next = await c.mutex(name).acquire({ timeoutMs: 5000 });
    await next.release();
  });

  it('fenced writes: conditional on the lock key, rejected once another holder has it', async () => {
    const name = unique('fenced');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const lock = await a.mutex(name).acquire();
    const { revision } = await lock.putIfHeld('res', 'a');
    expect((await a.get('res'))?.modRevision).toBe(revision);
    expect(await lock.deleteIfHeld('res')).toMatchObject({ deleted: 1 });
    // Simulate a holder that has not noticed it lost the lock: its key is gone and b holds now.
    await r.delete(`${prefix}${lock.key}`);
    const bLock = await b.mutex(name).acquire({ timeoutMs: 5000 });
    await expect(lock.putIfHeld('res', 'stale')).rejects.toBeInstanceOf(LockLostError);
    expect(await a.get('res')).toBeUndefined();
    await bLock.putIfHeld('res', 'b');
    await bLock.release();
    await expect(bLock.putIfHeld('res', 'late')).rejects.toBeInstanceOf(LockLostError);
    expect(dec.decode((await a.get('res'))!.value)).toBe('b');
  });

  it('client.close() while held: release by close (signal aborts with ClosedError, lost$ completes); acquire after close fails', async () => {
    const c = await open({ namespace: prefix });
    const r = await raw();
    const name = unique('close');
    const lock = await c.mutex(name).acquire();
    const waiting = track(c.mutex(name).acquire());
    const outcome = lostOutcome(lock);
    await c.close();
    expect(await outcome).toBe('completed');
    expect(lock.signal.reason).toBeInstanceOf(ClosedError);
    await expect(waiting.promise).rejects.toBeInstanceOf(ClosedError);
    await expect(c.mutex(name).acquire()).rejects.toBeInstanceOf(ClosedError);
    await expect(c.mutex(name).tryAcquire()).rejects.toBeInstanceOf(ClosedError);
    await lock.release();
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('refuses bad options before writing', async () => {
    const c = await client();
    const m = c.mutex(unique('bad'));
    await expect(m.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(m.acquire({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(m.acquire({ signal: {} as AbortSignal })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => c.mutex('')).toThrow(InvalidArgumentError);
  });

  it('tryAcquire race among 10 clients: exactly one winner, no loser key left', async () => {
    const name = unique('race');
    const clients = await Promise.all(Array.from({ length: 10 }, () => open({ namespace: prefix })));
    const r = await raw();
    const results = await Promise.all(clients.map((cl) => cl.mutex(name).tryAcquire()));
    const winners = results.filter((l): l is Lock => l !== undefined);
    expect(winners).toHaveLength(1);
    expect((await r.getPrefix(`${prefix}${name}/`)).map((kv) => kv.key)).toEqual([`${prefix}${winners[0]!.key}`]);
    await winners[0]!.release();
    await Promise.all(clients.map((cl) => cl.close()));
  });

  it('safety: 5 clients x 100 (50 indirect) fenced read-modify-writes of one counter; exact count, no rejected write while held', async () => {
    const name = unique('safety');
    // 100 rounds per client direct; 50 through a proxy or the gateway (same algorithm, slower round trips).
    const perClient = Number(process.env.CONCLAVE_LOCK_SAFETY_ROUNDS ?? (transport.name === 'grpc' ? 100 : 50));
    const clients: Conclave[] = await Promise.all(Array.from({ length: 5 }, () => open({ namespace: prefix })));
    let inside = 0;
    let maxInside = 0;
    let rejectedWhileHeld = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (cl) => {
        const m = cl.mutex(name);
        for (let i = 0; i < perClient; i++) {
          await m.withLock(async (lock) => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            const kv = await cl.get(`${name}-counter`);
            const value = kv ? Number(dec.decode(kv.value)) : 0;
            try {
              await lock.putIfHeld(`${name}-counter`, String(value + 1));
            } catch (error) {
              if (!lock.signal.aborted || !(error instanceof LockLostError)) rejectedWhileHeld++;
              throw error;
            } finally {
              inside--;
            }
          });
        }
      }),
    );
    const ms = performance.now() - started;
    console.info(`mutex safety: ${5 * perClient} acquisitions in ${ms.toFixed(0)} ms`);
    expect(maxInside).toBe(1);
    expect(rejectedWhileHeld).toBe(0);
    const final = await clients[0]!.get(`${name}-counter`);
    expect(Number(dec.decode(final!.value))).toBe(5 * perClient);
    await Promise.all(clients.map((cl) => cl.close()));
  }, 180_000);
});
