/**
 * One wait shape everywhere (contract part 2, "Waiting"): every call that can wait takes
 * `{ signal, timeoutMs }`, rejects with `AbortError` / `TimeoutError`, and leaves nothing behind in
 * etcd — the keys under the test's prefix are exactly what the blocker holds before and after.
 */
import { expect, it } from 'vitest';
import { AbortError, TimeoutError, type Conclave, type Lock, type WaitOptions } from '../../src/index.js';
import { describeContract } from './transports.js';

type Wait = (c: Conclave, name: string, opts: WaitOptions) => Promise<unknown>;

/** Each wait, with how another client makes it block. */
const WAITS: Array<{ what: string; block: (other: Conclave, name: string) => Promise<unknown>; wait: Wait }> = [
  { what: 'mutex.acquire', block: (o, n) => o.mutex(n).acquire(), wait: (c, n, opts) => c.mutex(n).acquire(opts) },
  { what: 'mutex.withLock', block: (o, n) => o.mutex(n).acquire(), wait: (c, n, opts) => c.mutex(n).withLock(async () => undefined, opts) },
  { what: 'rwlock.readLock', block: (o, n) => o.rwlock(n).writeLock(), wait: (c, n, opts) => c.rwlock(n).readLock(opts) },
  { what: 'rwlock.writeLock', block: (o, n) => o.rwlock(n).readLock(), wait: (c, n, opts) => c.rwlock(n).writeLock(opts) },
  { what: 'semaphore.acquire', block: (o, n) => o.semaphore(n, 1).acquire(), wait: (c, n, opts) => c.semaphore(n, 1).acquire(opts) },
  { what: 'election.campaign', block: (o, n) => o.election(n).campaign('other'), wait: (c, n, opts) => c.election(n).campaign('me', opts) },
  { what: 'barrier.wait', block: (o, n) => o.barrier(n).hold(), wait: (c, n, opts) => c.barrier(n).wait(opts) },
  { what: 'doubleBarrier.enter', block: async () => undefined, wait: (c, n, opts) => c.doubleBarrier(n, 2).enter(opts) },
  { what: 'queue.dequeue', block: async () => undefined, wait: (c, n, opts) => c.queue(n).dequeue(opts) },
  { what: 'queue.claim', block: async () => undefined, wait: (c, n, opts) => c.queue(n).claim(opts) },
  { what: 'priorityQueue.dequeue', block: async () => undefined, wait: (c, n, opts) => c.priorityQueue(n).dequeue(opts) },
  { what: 'priorityQueue.claim', block: async () => undefined, wait: (c, n, opts) => c.priorityQueue(n).claim(opts) },
];

describeContract('wait options', ({ prefix, client, raw, open }) => {
  let n = 0;
  const keysUnder = async (name: string): Promise<string[]> =>
    (await (await raw()).getPrefix(`${prefix}${name}`)).map((kv) => kv.key).sort();

  for (const { what, block, wait } of WAITS) {
    it(`${what}: timeoutMs -> TimeoutError, signal -> AbortError (also when already aborted); nothing left behind`, async () => {
      const c = await client();
      const other = await open({ namespace: prefix });
      const name = `${what}-${++n}`;
      await block(other, name);
      const before = await keysUnder(name);

      await expect(wait(c, name, { timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
      const controller = new AbortController();
      const aborted = wait(c, name, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      await expect(aborted).rejects.toBeInstanceOf(AbortError);
      await expect(wait(c, name, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
      // A timeout given as the signal's own reason is a TimeoutError too.
      await expect(wait(c, name, { signal: AbortSignal.timeout(200) })).rejects.toBeInstanceOf(TimeoutError);

      expect(await keysUnder(name)).toEqual(before);
    });
  }

  it('tryAcquire (mutex, semaphore): timeoutMs bounds only the round trip; an already-aborted signal writes nothing; a late lock is released', async () => {
    const c = await client();
    const name = `try-${++n}`;
    await expect(c.mutex(name).tryAcquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    await expect(c.semaphore(name, 1).tryAcquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(await keysUnder(name)).toEqual([]);
    // timeoutMs 0 ends before etcd answers: TimeoutError; the lock the late answer brings is
    // released, so the mutex is free again (were it kept, tryAcquire would never succeed).
    await expect(c.mutex(name).tryAcquire({ timeoutMs: 0 })).rejects.toBeInstanceOf(TimeoutError);
    let lock: Lock | undefined;
    await expect.poll(async () => (lock ??= await c.mutex(name).tryAcquire({ timeoutMs: 10_000 })) !== undefined, { timeout: 10_000 }).toBe(true);
    await lock!.release();
    expect(await keysUnder(name)).toEqual([]);
  });
});
