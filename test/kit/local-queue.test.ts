/**
 * The in-process queue in front of session keys, and the wait scope: pure
 * logic, no etcd.
 */
import { expect, it } from 'vitest';
import { AbortError, TimeoutError } from '../../src/errors.js';
import { LocalQueue } from '../../src/kit/local-queue.js';
import { WaitScope, checkWaitOptions } from '../../src/kit/wait-scope.js';

it('hands the slot on FIFO, one holder at a time, and reports idle', async () => {
  let idle = 0;
  const q = new LocalQueue(() => idle++);
  const never = new AbortController().signal;
  const first = q.tryTake()!;
  expect(q.tryTake()).toBeUndefined();
  const order: number[] = [];
  const waits = [1, 2, 3].map((i) => q.take(never).then((slot) => (order.push(i), slot)));
  expect(q.size).toBe(4);
  first.release();
  first.release(); // idempotent: does not hand on twice
  const s1 = await waits[0]!;
  expect(order).toEqual([1]);
  s1.release();
  const s2 = await waits[1]!;
  s2.release();
  const s3 = await waits[2]!;
  expect(order).toEqual([1, 2, 3]);
  expect(idle).toBe(0);
  s3.release();
  expect(idle).toBe(1);
  expect(q.size).toBe(0);
});

it('an aborted waiter leaves the queue; the one behind is served', async () => {
  const q = new LocalQueue(() => {});
  const holder = q.tryTake()!;
  const ac = new AbortController();
  const aborted = q.take(ac.signal);
  const next = q.take(new AbortController().signal);
  ac.abort();
  await expect(aborted).rejects.toBeInstanceOf(AbortError);
  expect(q.size).toBe(2);
  holder.release();
  (await next).release();
  expect(q.size).toBe(0);
  await expect(q.take(AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
});

it('WaitScope merges signals and a timeout, and dispose() removes them', async () => {
  const outer = new AbortController();
  const scope = new WaitScope({ signal: outer.signal, timeoutMs: 10 });
  await new Promise((resolve) => scope.signal.addEventListener('abort', resolve, { once: true }));
  expect(scope.signal.reason).toBeInstanceOf(TimeoutError);
  scope.dispose();

  const session = new AbortController();
  const linked = new WaitScope({});
  linked.link(session.signal);
  session.abort(new Error('session'));
  expect((linked.signal.reason as Error).message).toBe('session');
  linked.dispose();

  const disposed = new WaitScope({ signal: outer.signal, timeoutMs: 5 });
  disposed.dispose();
  outer.abort();
  expect(disposed.signal.aborted).toBe(false);

  expect(() => checkWaitOptions({ timeoutMs: -1 })).toThrow();
  expect(() => checkWaitOptions({ timeoutMs: Infinity })).toThrow();
  expect(() => checkWaitOptions({ signal: 'x' })).toThrow();
  expect(() => checkWaitOptions({ timeoutMs: 0 })).not.toThrow();
});
