/**
 * Self-deadlock: a `withLock` of a mutex nested in a `withLock` of the same mutex, in one client and
 * one async context, fails at once with `DeadlockError` (it would otherwise wait for itself forever);
 * concurrent callers in other async contexts still queue as before (no false positive).
 */
import { expect, it } from 'vitest';
import { DeadlockError } from '../../src/index.js';
import { describeContract } from './transports.js';

describeContract('locks self-deadlock', ({ prefix, client, raw }) => {
  let n = 0;
  const unique = (label: string) => `${label}-${++n}`;

  it('a nested withLock (or acquire) of the same mutex rejects with DeadlockError and leaves the outer lock held', async () => {
    const c = await client();
    const r = await raw();
    const m = c.mutex(unique('nested'));
    const seen: string[] = [];
    await m.withLock(async (outer) => {
      await expect(m.withLock(async () => seen.push('inner ran'))).rejects.toBeInstanceOf(DeadlockError);
      await expect(m.acquire({ timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'DEADLOCK', retryable: false });
      // Deeper in the same context (a callback after an await, a timer) too.
      await new Promise<void>((resolve, reject) => setTimeout(() => m.withLock(async () => {}).then(() => reject(new Error('no error')), (e: unknown) => (e instanceof DeadlockError ? resolve() : reject(e))), 0));
      expect(outer.signal.aborted).toBe(false);
      expect(await r.getPrefix(`${prefix}${outer.key}`)).toHaveLength(1);
      seen.push('outer done');
    });
    expect(seen).toEqual(['outer done']);
    // Afterwards the mutex is free for this context again.
    expect(await m.withLock(async (lock) => lock.key.length > 0)).toBe(true);
  });

  it('concurrent withLocks in other async contexts of the same client still wait their turn; another mutex nests fine', async () => {
    const c = await client();
    const m = c.mutex(unique('concurrent'));
    const other = c.mutex(unique('other'));
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = m.withLock(async () => {
      order.push('first in');
      await other.withLock(async () => order.push('other nested'));
      await gate;
      order.push('first out');
    });
    const second = m.withLock(async () => order.push('second in'));
    await expect.poll(() => order.includes('other nested'), { timeout: 20_000 }).toBe(true);
    expect(order).not.toContain('second in');
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'other nested', 'first out', 'second in']);
  });
});
