/**
 * Interop with etcd's real Go client, both ways, over every Conclave transport: Conclave's
 * mutex and Go's `concurrency.Mutex` exclude each other and queue FIFO across sides; Conclave's
 * rwlock and Go's `recipe.RWMutex` share readers and exclude writers.
 */
import { expect, it } from 'vitest';
import { describeGoInterop, goDid, keysCount, roundTrips, track } from './go-interop.js';

describeGoInterop('go interop locks', ({ client, another, go, name }) => {
  it('while Go holds a mutex, Conclave waits; it gets the lock when Go unlocks', async () => {
    const c = await client();
    const m = name('mutex');
    const held = await go().request<{ key: string }>('mutex.lock', { obj: `${m}-g`, name: m });
    expect(held.key).toMatch(new RegExp(`^${m}/[0-9a-f]+$`));
    expect(await c.mutex(m).tryAcquire()).toBeUndefined();
    const waiting = track(c.mutex(m).acquire({ timeoutMs: 30_000 }));
    await keysCount(c, `${m}/`, 2, "Conclave's key behind Go's");
    expect(waiting.settled()).toBe(false);
    await go().request('mutex.unlock', { obj: `${m}-g` });
    const lock = await waiting.promise;
    expect(lock.key).toMatch(new RegExp(`^${m}/[0-9a-f]+$`));
    expect((await c.getPrefix(`${m}/`)).map((kv) => kv.key)).toEqual([lock.key]);
    await lock.release();
  });

  it('while Conclave holds a mutex, Go waits; it gets the lock when Conclave releases', async () => {
    const c = await client();
    const m = name('mutex');
    const lock = await c.mutex(m).acquire();
    const goLock = go().call<{ key: string }>('mutex.lock', { obj: `${m}-g`, name: m });
    await keysCount(c, `${m}/`, 2, "Go's key behind Conclave's");
    expect(goDid(go(), 'mutex.lock', `${m}-g`)).toBe(false);
    await lock.release();
    const { key } = await goLock.result;
    expect((await c.getPrefix(`${m}/`)).map((kv) => kv.key)).toEqual([key]);
    expect(await c.mutex(m).tryAcquire()).toBeUndefined();
    await go().request('mutex.unlock', { obj: `${m}-g` });
    await (await c.mutex(m).acquire({ timeoutMs: 15_000 })).release();
  });

  it('FIFO across sides: Conclave holds, then a Go waiter, then a Conclave waiter: they get it in that order', async () => {
    const c = await client();
    const c2 = await another();
    const m = name('fifo');
    const first = await c.mutex(m).acquire();
    const goLock = go().call('mutex.lock', { obj: `${m}-g`, name: m });
    await keysCount(c, `${m}/`, 2, "the Go waiter's key");
    const third = track(c2.mutex(m).acquire({ timeoutMs: 30_000 }));
    await keysCount(c, `${m}/`, 3, "the Conclave waiter's key");
    await first.release();
    await goLock.result;
    await roundTrips(c2, 5);
    expect(third.settled()).toBe(false);
    await go().request('mutex.unlock', { obj: `${m}-g` });
    await (await third.promise).release();
  });

  it('FIFO across sides: Go holds, then a Conclave waiter, then a Go waiter: they get it in that order', async () => {
    const c = await client();
    const m = name('fifo');
    await go().request('mutex.lock', { obj: `${m}-g1`, name: m });
    const second = track(c.mutex(m).acquire({ timeoutMs: 30_000 }));
    await keysCount(c, `${m}/`, 2, "the Conclave waiter's key");
    const goLock = go().call('mutex.lock', { obj: `${m}-g2`, name: m });
    await keysCount(c, `${m}/`, 3, "the second Go waiter's key");
    await go().request('mutex.unlock', { obj: `${m}-g1` });
    const lock = await second.promise;
    await roundTrips(c, 5);
    expect(goDid(go(), 'mutex.lock', `${m}-g2`)).toBe(false);
    await lock.release();
    await goLock.result;
    await go().request('mutex.unlock', { obj: `${m}-g2` });
  });

  it('rwlock: readers share across sides', async () => {
    const c = await client();
    const rw = name('rw');
    await go().request('rwlock.rlock', { obj: `${rw}-g1`, name: rw });
    const read = await c.rwlock(rw).readLock({ timeoutMs: 15_000 });
    await go().request('rwlock.rlock', { obj: `${rw}-g2`, name: rw }, { timeoutMs: 15_000 });
    expect((await c.getPrefix(`${rw}/read/`)).length).toBe(3);
    await read.release();
    await go().request('rwlock.runlock', { obj: `${rw}-g1` });
    await go().request('rwlock.runlock', { obj: `${rw}-g2` });
  });

  it('rwlock: a Go reader holds, a Conclave writer waits, a later Go reader waits for the writer', async () => {
    const c = await client();
    const rw = name('rw');
    await go().request('rwlock.rlock', { obj: `${rw}-g1`, name: rw });
    const writer = track(c.rwlock(rw).writeLock({ timeoutMs: 30_000 }));
    await keysCount(c, `${rw}/`, 2, "the Conclave writer's key");
    expect(writer.settled()).toBe(false);
    const lateReader = go().call('rwlock.rlock', { obj: `${rw}-g2`, name: rw });
    await keysCount(c, `${rw}/`, 3, "the late Go reader's key");
    await go().request('rwlock.runlock', { obj: `${rw}-g1` });
    const w = await writer.promise;
    await roundTrips(c, 5);
    expect(goDid(go(), 'rwlock.rlock', `${rw}-g2`)).toBe(false);
    await w.release();
    await lateReader.result;
    await go().request('rwlock.runlock', { obj: `${rw}-g2` });
  });

  it('rwlock: a Conclave reader holds, a Go writer waits, a later Conclave reader waits for the writer', async () => {
    const c = await client();
    const c2 = await another();
    const rw = name('rw');
    const read = await c.rwlock(rw).readLock();
    const goWriter = go().call('rwlock.lock', { obj: `${rw}-g`, name: rw });
    await keysCount(c, `${rw}/`, 2, "the Go writer's key");
    expect(goDid(go(), 'rwlock.lock', `${rw}-g`)).toBe(false);
    const lateReader = track(c2.rwlock(rw).readLock({ timeoutMs: 30_000 }));
    await keysCount(c, `${rw}/`, 3, "the late Conclave reader's key");
    await read.release();
    await goWriter.result;
    await roundTrips(c2, 5);
    expect(lateReader.settled()).toBe(false);
    await go().request('rwlock.unlock', { obj: `${rw}-g` });
    await (await lateReader.promise).release();
  });
});
