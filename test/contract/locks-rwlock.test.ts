/**
 * Read/write lock contract: Go recipes' layout, readers share, writers
 * exclude, writers are not starved, abort cleanup.
 */
import { expect, it } from 'vitest';
import { AbortError, LockLostError, TimeoutError, type Lock } from '../../src/index.js';
import { keysWhen, roundTrips, track } from './lock-helpers.js';
import { describeContract } from './transports.js';

describeContract('locks rwlock', ({ prefix, client, raw, open }) => {
  let n = 0;
  const unique = (label: string) => `${label}-${++n}`;

  it('uses the recipes layout: ${name}/read/<n> and ${name}/write/<n>, one key per acquisition', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('layout');
    const rw = c.rwlock(name);
    const r1 = await rw.readLock();
    const r2 = await rw.readLock(); // same client, both held at once
    const kvs = await r.getPrefix(`${prefix}${name}/`);
    expect(kvs).toHaveLength(2);
    for (const kv of kvs) expect(kv.key).toMatch(new RegExp(`^${prefix}${name}/read/\\d+$`));
    expect(new Set([r1.key, r2.key]).size).toBe(2);
    expect(r1.fencingToken).not.toBe(r2.fencingToken);
    await r1.release();
    await r2.release();
    const w = await rw.writeLock();
    expect(w.key).toMatch(new RegExp(`^${name}/write/\\d+$`));
    await w.release();
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('readers are concurrent; a writer waits for them, and readers wait for a writer', async () => {
    const name = unique('excl');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const ra = await a.rwlock(name).readLock();
    const rb = await b.rwlock(name).readLock({ timeoutMs: 5000 });
    const w = track(cc.rwlock(name).writeLock());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, "the writer's key");
    await ra.release();
    await roundTrips(r);
    expect(w.settled()).toBe(false);
    await rb.release();
    const wLock = await w.promise;
    const reader = track(a.rwlock(name).readLock());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "the reader's key");
    await roundTrips(r);
    expect(reader.settled()).toBe(false);
    await wLock.release();
    await (await reader.promise).release();
  });

  it('a writer is not starved by a stream of readers', async () => {
    const name = unique('starve');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const r1 = await a.rwlock(name).readLock();
    const w = track(b.rwlock(name).writeLock());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.some((kv) => kv.key.includes('/write/')), 10_000, "the writer's key");
    // Readers arriving after the writer queue behind it, although a reader holds.
    const later = [track(cc.rwlock(name).readLock()), track(a.rwlock(name).readLock())];
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 4, 10_000, 'the later readers');
    await roundTrips(r);
    expect(later.map((t) => t.settled())).toEqual([false, false]);
    await r1.release();
    const wLock = await w.promise;
    await roundTrips(r);
    expect(later.map((t) => t.settled())).toEqual([false, false]);
    await wLock.release();
    const readers = await Promise.all(later.map((t) => t.promise));
    await Promise.all(readers.map((l) => l.release()));
  });

  it('many clients mixing reads and writes: a writer is always alone, readers overlap', async () => {
    const name = unique('mix');
    const clients = await Promise.all(Array.from({ length: 6 }, () => open({ namespace: prefix })));
    let readers = 0;
    let writers = 0;
    let maxReaders = 0;
    let violations = 0;
    await Promise.all(
      clients.map(async (cl, i) => {
        const rw = cl.rwlock(name);
        for (let k = 0; k < 8; k++) {
          const write = (i + k) % 3 === 0;
          const lock: Lock = write ? await rw.writeLock() : await rw.readLock();
          if (write) {
            writers++;
            if (writers > 1 || readers > 0) violations++;
          } else {
            readers++;
            maxReaders = Math.max(maxReaders, readers);
            if (writers > 0) violations++;
          }
          await cl.get('x');
          await cl.get('x');
          if (write) writers--;
          else readers--;
          await lock.release();
        }
      }),
    );
    expect(violations).toBe(0);
    expect(maxReaders).toBeGreaterThan(1);
    await Promise.all(clients.map((cl) => cl.close()));
  }, 60_000);

  it('abort and timeout while waiting leave no key, and the queue behind moves on', async () => {
    const name = unique('abort');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const w1 = await a.rwlock(name).writeLock();
    const ac = new AbortController();
    const w2 = b.rwlock(name).writeLock({ signal: ac.signal });
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, 'the second writer');
    const reader = track(cc.rwlock(name).readLock());
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, 'the reader');
    ac.abort();
    await expect(w2).rejects.toBeInstanceOf(AbortError);
    await expect(b.rwlock(name).readLock({ timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
    const kvs = await r.getPrefix(`${prefix}${name}/`);
    expect(kvs).toHaveLength(2); // the holder and the reader behind; nothing of the aborted writer or the timed-out reader
    expect(kvs.map((kv) => kv.key)).toContain(`${prefix}${w1.key}`);
    expect(kvs.filter((kv) => kv.key.includes('/read/'))).toHaveLength(1);
    await w1.release();
    const rl = await reader.promise;
    await rl.release();
    expect(await r.getPrefix(`${prefix}${name}/`)).toEqual([]);
  });

  it('a read lock has the Lock surface: lost$ on key delete, fenced writes', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('surface');
    const lock = await c.rwlock(name).readLock();
    await lock.putIfHeld(`${name}-res`, 'v');
    await r.delete(`${prefix}${lock.key}`);
    await expect(lock.putIfHeld(`${name}-res`, 'w')).rejects.toBeInstanceOf(LockLostError);
    expect(lock.signal.aborted).toBe(true);
  });
});
