/**
 * Strings UTF-8 cannot carry, and names too long for a request (issue 11, bugs 15 and 16).
 *
 * - A lone UTF-16 surrogate would be stored as U+FFFD, so `put('\ud800')` and `get('\udfff')`
 *   would name the same key: every method that takes a key, prefix, name, string value,
 *   namespace, id or credential refuses it with `InvalidArgumentError` before sending anything
 *   (not a raw `URIError` from the URI-encoded layouts, nor a false `SessionLostError`).
 * - A primitive's name is sent in keys, up to 7 times in one request (the mutex's enqueue
 *   txn): a name whose keys cannot fit is refused with `InvalidArgumentError` `TOO_LARGE`
 *   before the session lease, its marker or any key is written. `FITS_ONCE` fits in one key
 *   under the client's 1.5 MiB limit but not in the requests that carry it several times.
 */
import { firstValueFrom } from 'rxjs';
import { connect, InvalidArgumentError, type Conclave, type ConnectOptions, type Leadership, type Lock } from '../../../src/index.js';
import { loose, OVER_CLIENT_LIMIT, sized, type BadCall, type BadInputEnv } from './case.js';

const IAE = InvalidArgumentError;
let unique = 0;
const fresh = (what: string): string => `bad/${what}/${++unique}`;

/** Lone surrogates: a high one alone, a low one alone, a high one before a non-surrogate. */
const LONE = ['\ud800', '\udfff', 'a\ud83db'] as const;
/** A name that fits once in the client's request limit (1.5 MiB), but not the 7 times a request may carry it. */
const FITS_ONCE = 300 * 1024;

function withHeld(env: BadInputEnv, run: (lock: Lock) => unknown): () => Promise<{ run: () => unknown; cleanup: () => Promise<void> }> {
  return async () => {
    const lock = await env.warm.mutex(fresh('held')).acquire();
    return { run: () => run(lock), cleanup: () => lock.release() };
  };
}

function withTerm(env: BadInputEnv, run: (term: Leadership) => unknown): () => Promise<{ run: () => unknown; cleanup: () => Promise<void> }> {
  return async () => {
    const term = await env.warm.election(fresh('term')).campaign('leader');
    return { run: () => run(term), cleanup: () => term.resign() };
  };
}

/** The call on a client of its own, made for the case: its first session lease, if granted, would show. */
function onFreshClient(env: BadInputEnv, run: (client: Conclave) => unknown): () => Promise<{ run: () => unknown; cleanup: () => Promise<void> }> {
  return async () => {
    const client = await env.open();
    return { run: () => run(client), cleanup: () => client.close() };
  };
}

function connecting(env: BadInputEnv, options: Record<string, unknown>): () => Promise<unknown> {
  return async () => {
    const client = await connect(loose<ConnectOptions>({ endpoints: env.endpoints, transport: env.transport, dialTimeoutMs: 2_000, ...options }));
    await client.close();
    return client;
  };
}

/** Every method that takes a string, given one with a lone surrogate. */
export function illFormedCases(env: BadInputEnv): BadCall[] {
  const cases: BadCall[] = [];
  for (const bad of LONE) {
    const shown = JSON.stringify(bad);
    const add = (call: string, run: (c: Conclave) => unknown): void =>
      void cases.push({ call: call.replaceAll('%', shown), expect: IAE, prepare: onFreshClient(env, run) });
    const held = (call: string, run: (lock: Lock) => unknown): void => void cases.push({ call: call.replaceAll('%', shown), expect: IAE, prepare: withHeld(env, run) });
    add('get(%)', (c) => c.get(bad));
    add('getPrefix(%)', (c) => c.getPrefix(bad));
    add("put(%, 'v')", (c) => c.put(bad, 'v'));
    add("put('k', %)", (c) => c.put(fresh('k'), bad));
    add('delete(%)', (c) => c.delete(bad));
    add('delete(%, { prefix: true })', (c) => c.delete(bad, { prefix: true }));
    add('watch(%)', (c) => firstValueFrom(c.watch(bad)));
    add('watch(%, { prefix: true })', (c) => firstValueFrom(c.watch(bad, { prefix: true })));
    add("namespace(%).put('k', 'v')", (c) => c.namespace(bad).put('k', 'v'));
    add('connect({ namespace: % })', connecting(env, { namespace: bad }));
    add("connect({ auth: { username: %, password: 'p' } })", connecting(env, { auth: { username: bad, password: 'p' } }));
    add("connect({ auth: { username: 'u', password: % } })", connecting(env, { auth: { username: 'u', password: bad } }));
    add('mutex(%).acquire()', (c) => c.mutex(bad).acquire());
    add('mutex(%).tryAcquire()', (c) => c.mutex(bad).tryAcquire());
    add('rwlock(%).readLock()', (c) => c.rwlock(bad).readLock());
    add('rwlock(%).writeLock()', (c) => c.rwlock(bad).writeLock());
    add('semaphore(%, 2).acquire()', (c) => c.semaphore(bad, 2).acquire());
    add("election(%).campaign('v')", (c) => c.election(bad).campaign('v'));
    add('election(%).leader()', (c) => c.election(bad).leader());
    add("election('e').campaign(%)", (c) => c.election(fresh('e')).campaign(bad));
    add('events.followLeader(%)', (c) => c.events.followLeader(bad));
    add('barrier(%).hold()', (c) => c.barrier(bad).hold());
    add('doubleBarrier(%, 2).enter()', (c) => c.doubleBarrier(bad, 2).enter());
    add('queue(%).enqueue(1)', (c) => c.queue(bad).enqueue(1));
    add('queue(%).claim()', (c) => c.queue(bad).claim());
    add('priorityQueue(%).enqueue(1, 0)', (c) => c.priorityQueue(bad).enqueue(1, 0));
    add('topic(%).publish(1)', (c) => c.topic(bad).publish(1));
    add('topic(%).messages$()', (c) => firstValueFrom(c.topic(bad).messages$()));
    add("services(%).register({ id: 'a', address: 'a:1' })", (c) => c.services(bad).register({ id: 'a', address: 'a:1' }));
    add('services(%).instances()', (c) => c.services(bad).instances());
    add("services('s').register({ id: %, address: 'a:1' })", (c) => c.services(fresh('svc')).register({ id: bad, address: 'a:1' }));
    add("services('s').register({ id: 'a', address: % })", (c) => c.services(fresh('svc')).register({ id: 'a', address: bad }));
    held("lock.putIfHeld(%, 'v')", (lock) => lock.putIfHeld(bad, 'v'));
    held("lock.putIfHeld('k', %)", (lock) => lock.putIfHeld(fresh('k'), bad));
    held('lock.deleteIfHeld(%)', (lock) => lock.deleteIfHeld(bad));
    held('lock.deleteIfHeld(%, { prefix: true })', (lock) => lock.deleteIfHeld(bad, { prefix: true }));
    cases.push({ call: `leadership.proclaim(${shown})`, expect: IAE, prepare: withTerm(env, (term) => term.proclaim(bad)) });
  }
  return cases;
}

/** Every primitive with a name whose keys cannot fit in a request: refused before the session lease is granted. */
export function oversizedNameCases(env: BadInputEnv): BadCall[] {
  const cases: BadCall[] = [];
  for (const [label, bytes] of [
    ['<2 MiB>', OVER_CLIENT_LIMIT],
    ['<300 KiB> (fits one key, not the request)', FITS_ONCE],
  ] as const) {
    const big = (): string => fresh('big') + sized(bytes);
    const add = (call: string, run: (c: Conclave) => unknown): void =>
      void cases.push({ call: call.replace('%', label), expect: IAE, code: 'TOO_LARGE', prepare: onFreshClient(env, run) });
    if (bytes === OVER_CLIENT_LIMIT) {
      // Reads and deletes are not checked by the client: etcd's refusal, or grpc-proxy's
      // ("trying to send message larger than max", RESOURCE_EXHAUSTED), is mapped.
      add('get(%)', (c) => c.get(big()));
      add('getPrefix(%)', (c) => c.getPrefix(big()));
      add('delete(%)', (c) => c.delete(big()));
    }
    add('mutex(%).acquire()', (c) => c.mutex(big()).acquire());
    add('mutex(%).tryAcquire()', (c) => c.mutex(big()).tryAcquire());
    add('rwlock(%).readLock()', (c) => c.rwlock(big()).readLock());
    add('rwlock(%).writeLock()', (c) => c.rwlock(big()).writeLock());
    add('semaphore(%, 2).acquire()', (c) => c.semaphore(big(), 2).acquire());
    add("election(%).campaign('v')", (c) => c.election(big()).campaign('v'));
    add('barrier(%).hold()', (c) => c.barrier(big()).hold());
    add('doubleBarrier(%, 2).enter()', (c) => c.doubleBarrier(big(), 2).enter());
    add('queue(%).enqueue(1)', (c) => c.queue(big()).enqueue(1));
    add('queue(%).claim()', (c) => c.queue(big()).claim());
    add('priorityQueue(%).enqueue(1, 0)', (c) => c.priorityQueue(big()).enqueue(1, 0));
    add('topic(%).publish(1)', (c) => c.topic(big()).publish(1));
    add("services(%).register({ id: 'a', address: 'a:1' })", (c) => c.services(big()).register({ id: 'a', address: 'a:1' }));
  }
  return cases;
}
