/**
 * Bad input to mutexes, read/write locks, semaphores and elections, and misuse of held locks
 * and leaderships (double release, writes after release, resign when no longer leader,
 * proclaim after resign).
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { AbortError, InvalidArgumentError, LockLostError, type Leadership, type Lock } from '../../../src/index.js';
import { loose, OVER_CLIENT_LIMIT, OVER_SERVER_LIMIT, sized, type BadCall, type BadInputEnv } from './case.js';

const IAE = InvalidArgumentError;
let unique = 0;
const fresh = (what: string): string => `bad/${what}/${++unique}`;

/** A held lock for the run, released in cleanup. */
function withHeld(env: BadInputEnv, run: (lock: Lock) => unknown): () => Promise<{ run: () => unknown; cleanup: () => Promise<void> }> {
  return async () => {
    const lock = await env.warm.mutex(fresh('held')).acquire();
    return { run: () => run(lock), cleanup: () => lock.release() };
  };
}

/** A leadership for the run, resigned in cleanup. */
function withTerm(env: BadInputEnv, run: (term: Leadership) => unknown): () => Promise<{ run: () => unknown; cleanup: () => Promise<void> }> {
  return async () => {
    const term = await env.warm.election(fresh('term')).campaign('leader');
    return { run: () => run(term), cleanup: () => term.resign() };
  };
}

export function lockCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  const m = (): ReturnType<typeof c.mutex> => c.mutex(fresh('mutex'));
  return [
    { call: "mutex('')", expect: IAE, run: () => c.mutex('') },
    { call: 'mutex(42)', expect: IAE, run: () => c.mutex(loose(42)) },
    { call: 'mutex(undefined)', expect: IAE, run: () => c.mutex(loose(undefined)) },
    { call: 'acquire({ timeoutMs: -1 })', expect: IAE, run: () => m().acquire({ timeoutMs: -1 }) },
    { call: 'acquire({ timeoutMs: NaN })', expect: IAE, run: () => m().acquire({ timeoutMs: Number.NaN }) },
    { call: 'acquire({ timeoutMs: Infinity })', expect: IAE, run: () => m().acquire({ timeoutMs: Infinity }) },
    { call: 'acquire({ timeoutMs: 1e12 }) (beyond a timer)', expect: IAE, run: () => m().acquire({ timeoutMs: 1e12 }) },
    { call: "acquire({ timeoutMs: 'soon' })", expect: IAE, run: () => m().acquire({ timeoutMs: loose('soon') }) },
    { call: "acquire({ signal: 'stop' })", expect: IAE, run: () => m().acquire({ signal: loose('stop') }) },
    { call: 'acquire(null)', expect: IAE, run: () => m().acquire(loose(null)) },
    { call: 'acquire({ signal: <aborted> })', expect: AbortError, run: () => m().acquire({ signal: AbortSignal.abort() }) },
    { call: "withLock('not a function')", expect: IAE, run: () => m().withLock(loose('not a function')) },
    {
      call: 'lock.release() twice',
      expect: 'ok',
      prepare: async () => {
        const lock = await env.warm.mutex(fresh('twice')).acquire();
        await lock.release();
        return { run: () => lock.release() };
      },
    },
    {
      call: 'lock.putIfHeld() after release',
      expect: LockLostError,
      prepare: async () => {
        const lock = await env.warm.mutex(fresh('after')).acquire();
        await lock.release();
        return { run: () => lock.putIfHeld('bad/fenced', 'v') };
      },
    },
    { call: "lock.putIfHeld('', 'v')", expect: IAE, prepare: withHeld(env, (lock) => lock.putIfHeld('', 'v')) },
    { call: "lock.putIfHeld('k', 42)", expect: IAE, prepare: withHeld(env, (lock) => lock.putIfHeld('k', loose(42))) },
    { call: "lock.putIfHeld('k', <2 MiB>)", expect: IAE, code: 'TOO_LARGE', prepare: withHeld(env, (lock) => lock.putIfHeld('k', sized(OVER_CLIENT_LIMIT))) },
    { call: "lock.putIfHeld('k', <100 KiB>) (server limit)", expect: IAE, code: 'TOO_LARGE', prepare: withHeld(env, (lock) => lock.putIfHeld('k', sized(OVER_SERVER_LIMIT))) },
    { call: "lock.deleteIfHeld('')", expect: IAE, prepare: withHeld(env, (lock) => lock.deleteIfHeld('')) },
    { call: "rwlock('')", expect: IAE, run: () => c.rwlock('') },
    { call: 'readLock({ timeoutMs: -5 })', expect: IAE, run: () => c.rwlock(fresh('rw')).readLock({ timeoutMs: -5 }) },
    { call: 'writeLock({ signal: 5 })', expect: IAE, run: () => c.rwlock(fresh('rw')).writeLock({ signal: loose(5) }) },
    { call: 'readLock({ timeoutMs: 1e12 }) (beyond a timer)', expect: IAE, run: () => c.rwlock(fresh('rw')).readLock({ timeoutMs: 1e12 }) },
    { call: 'readLock({ signal: <aborted> })', expect: AbortError, run: () => c.rwlock(fresh('rw')).readLock({ signal: AbortSignal.abort() }) },
    { call: 'writeLock({ signal: <aborted> })', expect: AbortError, run: () => c.rwlock(fresh('rw')).writeLock({ signal: AbortSignal.abort() }) },
    { call: "semaphore('', 1)", expect: IAE, run: () => c.semaphore('', 1) },
    { call: "semaphore('s', 0)", expect: IAE, run: () => c.semaphore(fresh('sem'), 0) },
    { call: "semaphore('s', -1)", expect: IAE, run: () => c.semaphore(fresh('sem'), -1) },
    { call: "semaphore('s', 1.5)", expect: IAE, run: () => c.semaphore(fresh('sem'), 1.5) },
    { call: "semaphore('s', NaN)", expect: IAE, run: () => c.semaphore(fresh('sem'), Number.NaN) },
    { call: "semaphore('s', Infinity)", expect: IAE, run: () => c.semaphore(fresh('sem'), Infinity) },
    { call: "semaphore('s', '2')", expect: IAE, run: () => c.semaphore(fresh('sem'), loose('2')) },
    { call: "semaphore('s', 2).acquire({ signal: <aborted> })", expect: AbortError, run: () => c.semaphore(fresh('sem'), 2).acquire({ signal: AbortSignal.abort() }) },
    { call: "semaphore('s', 2).acquire({ timeoutMs: 1e12 })", expect: IAE, run: () => c.semaphore(fresh('sem'), 2).acquire({ timeoutMs: 1e12 }) },
    { call: "semaphore('s', 2).acquire({ timeoutMs: NaN })", expect: IAE, run: () => c.semaphore(fresh('sem'), 2).acquire({ timeoutMs: Number.NaN }) },
  ];
}

export function electionCases(env: BadInputEnv): BadCall[] {
  const c = env.cold;
  const e = (): ReturnType<typeof c.election> => c.election(fresh('election'));
  return [
    { call: "election('')", expect: IAE, run: () => c.election('') },
    { call: 'election(42)', expect: IAE, run: () => c.election(loose(42)) },
    { call: 'campaign(42)', expect: IAE, run: () => e().campaign(loose(42)) },
    { call: 'campaign(undefined)', expect: IAE, run: () => e().campaign(loose(undefined)) },
    { call: 'campaign(null)', expect: IAE, run: () => e().campaign(loose(null)) },
    { call: "campaign('v', { signal: 'x' })", expect: IAE, run: () => e().campaign('v', { signal: loose('x') }) },
    { call: "campaign('v', { signal: <aborted> })", expect: AbortError, run: () => e().campaign('v', { signal: AbortSignal.abort() }) },
    { call: 'campaign(<2 MiB>)', expect: IAE, code: 'TOO_LARGE', run: () => e().campaign(sized(OVER_CLIENT_LIMIT)) },
    { call: 'campaign(<100 KiB>) (server limit)', expect: IAE, code: 'TOO_LARGE', run: () => env.warm.election(fresh('big')).campaign(sized(OVER_SERVER_LIMIT)) },
    {
      call: 'leadership.resign() twice',
      expect: 'ok',
      prepare: async () => {
        const term = await env.warm.election(fresh('resign')).campaign('me');
        await term.resign();
        return { run: () => term.resign() };
      },
    },
    {
      call: 'proclaim() after resign',
      expect: LockLostError,
      code: 'NOT_LEADER',
      prepare: async () => {
        const term = await env.warm.election(fresh('proclaim')).campaign('me');
        await term.resign();
        return { run: () => term.proclaim('again') };
      },
    },
    {
      call: 'leadership.putIfHeld() after resign',
      expect: LockLostError,
      prepare: async () => {
        const term = await env.warm.election(fresh('fenced')).campaign('me');
        await term.resign();
        return { run: () => term.putIfHeld('bad/fenced', 'v') };
      },
    },
    {
      call: 'resign() when no longer leader (term lost, another leads)',
      expect: 'ok',
      prepare: async () => {
        const name = fresh('usurped');
        const term = await env.warm.election(name).campaign('old');
        await env.other.delete(term.key); // the term is lost: its key is gone
        await firstValueFrom(term.lost$.pipe(timeout(10_000)), { defaultValue: undefined });
        const next = await env.other.election(name).campaign('new');
        await firstValueFrom(env.other.election(name).leader$.pipe(filter((l) => l?.revision === next.revision), timeout(10_000)));
        return { run: () => term.resign(), cleanup: () => next.resign() };
      },
    },
    { call: 'proclaim(42)', expect: IAE, prepare: withTerm(env, (term) => term.proclaim(loose(42))) },
    { call: 'proclaim(<2 MiB>)', expect: IAE, code: 'TOO_LARGE', prepare: withTerm(env, (term) => term.proclaim(sized(OVER_CLIENT_LIMIT))) },
    { call: 'proclaim(<100 KiB>) (server limit)', expect: IAE, code: 'TOO_LARGE', prepare: withTerm(env, (term) => term.proclaim(sized(OVER_SERVER_LIMIT))) },
  ];
}
