/**
 * Semaphore contract: at most `permits` holders, FIFO by create revision,
 * tryAcquire, no missed wake-ups, abort cleanup, argument checks.
 */
import { expect, it } from 'vitest';
import { AbortError, InvalidArgumentError, type Lock } from '../../src/index.js';
import { keysWhen, roundTrips, track } from './lock-helpers.js';
import { describeContract } from './transports.js';

describeContract('locks semaphore', ({ prefix, client, raw, open }) => {
  let n = 0;
  const unique = (label: string) => `${label}-${++n}`;

  it('refuses bad permits with InvalidArgumentError', async () => {
    const c = await client();
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      expect(() => c.semaphore(unique('bad'), bad)).toThrow(InvalidArgumentError);
    }
    await expect(c.semaphore(unique('bad'), 1).acquire({ timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('3 permits among 10 clients: never more than 3 holders, and all 3 used', async () => {
    const name = unique('ten');
    const clients = await Promise.all(Array.from({ length: 10 }, () => open({ namespace: prefix })));
    let holders = 0;
    let maxHolders = 0;
    await Promise.all(
      clients.map(async (cl) => {
        const sem = cl.semaphore(name, 3);
        for (let k = 0; k < 5; k++) {
          const permit = await sem.acquire();
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          await cl.get('x');
          await cl.get('x');
          holders--;
          await permit.release();
        }
      }),
    );
    expect(maxHolders).toBe(3);
    await Promise.all(clients.map((cl) => cl.close()));
  }, 60_000);

  it('one client may hold several permits; tryAcquire fails when all are taken and leaves no key', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('try');
    const sem = c.semaphore(name, 2);
    const p1 = await sem.tryAcquire();
    const p2 = await sem.tryAcquire();
    expect(p1).toBeDefined();
    expect(p2).toBeDefined();
    expect(p1!.key).not.toBe(p2!.key);
    expect(p1!.key.startsWith(`${name}/`)).toBe(true);
    expect(await sem.tryAcquire()).toBeUndefined();
    expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(2);
    await p1!.release();
    const p3 = await sem.tryAcquire();
    expect(p3).toBeDefined();
    await Promise.all([p2!.release(), p3!.release()]);
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('a release of any holder admits the first waiter (no missed wake-up), FIFO', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('wake');
    const sem = c.semaphore(name, 3);
    const held: Lock[] = [];
    for (let i = 0; i < 3; i++) held.push(await sem.acquire());
    const first = track(sem.acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 4, 10_000, 'the first waiter');
    const second = track(sem.acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 5, 10_000, 'the second waiter');
    await roundTrips(r);
    expect([first.settled(), second.settled()]).toEqual([false, false]);
    await held[2]!.release(); // the newest holder, not the one the waiter is nearest to
    const firstLock = await first.promise;
    await roundTrips(r);
    expect(second.settled()).toBe(false);
    await held[0]!.release(); // the oldest
    const secondLock = await second.promise;
    await Promise.all([held[1]!.release(), firstLock.release(), secondLock.release()]);
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('abort while waiting deletes the key; the waiter behind moves on', async () => {
    const name = unique('abort');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const h = await a.semaphore(name, 1).acquire();
    const ac = new AbortController();
    const bWait = b.semaphore(name, 1).acquire({ signal: ac.signal });
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's key");
    const cWait = track(cc.semaphore(name, 1).acquire());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, "c's key");
    ac.abort();
    await expect(bWait).rejects.toBeInstanceOf(AbortError);
    expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(2);
    await h.release();
    await (await cWait.promise).release();
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });
});
