/**
 * Every call on a closed client, and on objects made before the close: `ClosedError` (or, for
 * `close()` and releases, documented idempotent success), and nothing written.
 */
import { firstValueFrom } from 'rxjs';
import { ClosedError, type Conclave } from '../../../src/index.js';
import type { BadCall, BadInputEnv } from './case.js';

export function closedCases(env: BadInputEnv): BadCall[] {
  const c: Conclave = env.closed;
  const C = ClosedError;
  return [
    { call: "get('k')", expect: C, run: () => c.get('k') },
    { call: "getPrefix('k')", expect: C, run: () => c.getPrefix('k') },
    { call: "put('k', 'v')", expect: C, run: () => c.put('k', 'v') },
    { call: "delete('k')", expect: C, run: () => c.delete('k') },
    { call: "watch('k')", expect: C, run: () => firstValueFrom(c.watch('k')) },
    { call: 'session()', expect: C, run: () => c.session() },
    { call: "namespace('x/').get('k')", expect: C, run: () => c.namespace('x/').get('k') },
    { call: "mutex('m').acquire()", expect: C, run: () => c.mutex('m').acquire() },
    { call: "mutex('m').tryAcquire()", expect: C, run: () => c.mutex('m').tryAcquire() },
    { call: "mutex('m').withLock(fn)", expect: C, run: () => c.mutex('m').withLock(async () => 1) },
    { call: "rwlock('r').readLock()", expect: C, run: () => c.rwlock('r').readLock() },
    { call: "rwlock('r').writeLock()", expect: C, run: () => c.rwlock('r').writeLock() },
    { call: "semaphore('s', 2).acquire()", expect: C, run: () => c.semaphore('s', 2).acquire() },
    { call: "semaphore('s', 2).tryAcquire()", expect: C, run: () => c.semaphore('s', 2).tryAcquire() },
    { call: "election('e').campaign('v')", expect: C, run: () => c.election('e').campaign('v') },
    { call: "election('e').leader()", expect: C, run: () => c.election('e').leader() },
    { call: "election('e').leader$", expect: C, run: () => firstValueFrom(c.election('e').leader$) },
    { call: "barrier('b').hold()", expect: C, run: () => c.barrier('b').hold() },
    { call: "barrier('b').release()", expect: C, run: () => c.barrier('b').release() },
    { call: "barrier('b').wait()", expect: C, run: () => c.barrier('b').wait() },
    { call: "doubleBarrier('d', 2).enter()", expect: C, run: () => c.doubleBarrier('d', 2).enter() },
    { call: "queue('q').enqueue(1)", expect: C, run: () => c.queue('q').enqueue(1) },
    { call: "queue('q').dequeue()", expect: C, run: () => c.queue('q').dequeue() },
    { call: "queue('q').claim()", expect: C, run: () => c.queue('q').claim() },
    { call: "priorityQueue('p').enqueue(1, 0)", expect: C, run: () => c.priorityQueue('p').enqueue(1, 0) },
    { call: "priorityQueue('p').dequeue()", expect: C, run: () => c.priorityQueue('p').dequeue() },
    { call: "topic('t').publish(1)", expect: C, run: () => c.topic('t').publish(1) },
    { call: "topic('t').messages$()", expect: C, run: () => firstValueFrom(c.topic('t').messages$()) },
    { call: "services('s').register(...)", expect: C, run: () => c.services('s').register({ id: 'a', address: 'a:1' }) },
    { call: "services('s').instances()", expect: C, run: () => c.services('s').instances() },
    { call: "services('s').instances$", expect: C, run: () => firstValueFrom(c.services('s').instances$) },
    { call: 'close() again', expect: 'ok', run: () => c.close() },
    { call: 'stats()', expect: 'ok', run: () => c.stats() },
    {
      call: 'lock.release() after client.close()',
      expect: 'ok',
      prepare: async () => {
        const doomed = await env.open();
        const lock = await doomed.mutex('bad/closed/lock').acquire();
        await doomed.close();
        return { run: () => lock.release() };
      },
    },
    {
      call: 'lock.putIfHeld() after client.close()',
      expect: C,
      prepare: async () => {
        const doomed = await env.open();
        const lock = await doomed.mutex('bad/closed/fenced').acquire();
        await doomed.close();
        return { run: () => lock.putIfHeld('bad/closed/k', 'v') };
      },
    },
    {
      call: 'leadership.proclaim() after client.close()',
      expect: C,
      prepare: async () => {
        const doomed = await env.open();
        const term = await doomed.election('bad/closed/election').campaign('v');
        await doomed.close();
        return { run: () => term.proclaim('again') };
      },
    },
    {
      call: 'leadership.resign() after client.close()',
      expect: 'ok',
      prepare: async () => {
        const doomed = await env.open();
        const term = await doomed.election('bad/closed/resign').campaign('v');
        await doomed.close();
        return { run: () => term.resign() };
      },
    },
  ];
}
