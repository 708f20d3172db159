/**
 * Interop with etcd's own tools, both ways: Conclave mutexes and `etcdctl
 * lock` exclude each other; `etcdctl elect` sees Conclave leaders and
 * Conclave sees etcdctl's. Over direct gRPC, without namespace (etcdctl
 * writes raw keys), with unique names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Conclave, type Leader } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { keysWhen, roundTrips, track } from '../contract/lock-helpers.js';
import { EtcdctlChild } from './etcdctl-child.js';

const dec = new TextDecoder();

describe('interop with etcdctl lock / elect', () => {
  const base = uniquePrefix('interop locks');
  let c: Conclave;
  let endpoint: string;
  const children: EtcdctlChild[] = [];
  let n = 0;
  const unique = (label: string) => `${base}${label}-${++n}`;
  const etcdctl = (...args: string[]) => {
    const child = EtcdctlChild.start(endpoint, args);
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    endpoint = sharedCluster().endpoints[0]!;
    c = await connect({ endpoints: sharedCluster().endpoints });
  });
  afterAll(async () => {
    await Promise.all(children.map((ch) => ch.stop('SIGKILL')));
    await c?.close();
  });

  it('while `etcdctl lock N` holds, tryAcquire gets nothing and acquire waits until etcdctl exits', async () => {
    const name = unique('held-by-etcdctl');
    const child = etcdctl('lock', name);
    await child.until((out) => out.includes(`${name}/`), 15_000, 'etcdctl to print its lock key');
    const etcdKey = child.lines()[0]!;
    expect(etcdKey).toMatch(new RegExp(`^${name}/[0-9a-f]+$`));
    expect(await c.mutex(name).tryAcquire()).toBeUndefined();
    expect((await c.getPrefix(`${name}/`)).map((kv) => kv.key)).toEqual([etcdKey]);
    const waiting = track(c.mutex(name).acquire({ timeoutMs: 30_000 }));
    await keysWhen(c, `${name}/`, (kvs) => kvs.length === 2, 10_000, "Conclave's key behind etcdctl's");
    await roundTrips(c);
    expect(waiting.settled()).toBe(false);
    const exit = await child.stop('SIGTERM'); // etcdctl unlocks (deletes its key) and exits
    expect(exit.code).toBe(0);
    const lock = await waiting.promise;
    expect(lock.key).toMatch(new RegExp(`^${name}/[0-9a-f]+$`));
    expect((await c.getPrefix(`${name}/`)).map((kv) => kv.key)).toEqual([lock.key]);
    await lock.release();
  });

  it('while Conclave holds, `etcdctl lock N` waits and prints its key only after the release', async () => {
    const name = unique('held-by-conclave');
    const lock = await c.mutex(name).acquire();
    const child = etcdctl('lock', name);
    await keysWhen(c, `${name}/`, (kvs) => kvs.length === 2, 15_000, "etcdctl's key behind Conclave's");
    await roundTrips(c, 5);
    expect(child.stdout).toBe('');
    await lock.release();
    await child.until((out) => out.includes(`${name}/`), 15_000, 'etcdctl to get the lock');
    expect(child.lines()[0]).not.toBe(lock.key);
    // And now Conclave waits for etcdctl again.
    expect(await c.mutex(name).tryAcquire()).toBeUndefined();
    await child.stop('SIGTERM');
    const again = await c.mutex(name).acquire({ timeoutMs: 15_000 });
    await again.release();
  });

  it('`etcdctl elect -l N` prints a Conclave leader and each proclaim', async () => {
    const name = unique('observed');
    const observer = etcdctl('elect', '-l', name);
    const term = await c.election(name).campaign('conclave-v1');
    await observer.until((out) => out.includes('conclave-v1'), 15_000, 'the observer to print v1');
    await term.proclaim('conclave-v2');
    await observer.until((out) => out.includes('conclave-v2'), 15_000, 'the observer to print v2');
    await term.proclaim('conclave-v3');
    await observer.until((out) => out.includes('conclave-v3'), 15_000, 'the observer to print v3');
    expect(observer.lines()).toEqual([term.key, 'conclave-v1', term.key, 'conclave-v2', term.key, 'conclave-v3']);
    await term.resign();
    await observer.stop('SIGTERM');
  });

  it('leader$ sees an `etcdctl elect N proposal` leader, and a Conclave candidate takes over when it resigns', async () => {
    const name = unique('etcdctl-leader');
    const seen: Array<Leader | undefined> = [];
    let wake: (() => void) | undefined;
    const sub = c.election(name).leader$.subscribe((l) => {
      seen.push(l);
      wake?.();
    });
    const seenValue = (value: string) =>
      new Promise<Leader>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`leader$ never showed ${value}: ${seen.map((l) => l && dec.decode(l.value))}`)), 15_000);
        const check = () => {
          const hit = seen.find((l) => l && dec.decode(l.value) === value);
          if (hit) {
            clearTimeout(timer);
            wake = undefined;
            resolve(hit);
          } else wake = check;
        };
        check();
      });
    const campaigner = etcdctl('elect', name, 'from-etcdctl');
    const etcdLeader = await seenValue('from-etcdctl');
    await campaigner.until((out) => out.includes('from-etcdctl'), 15_000, 'etcdctl to be elected');
    expect(etcdLeader.key).toBe(campaigner.lines()[0]);
    expect((await c.election(name).leader())?.key).toBe(etcdLeader.key);
    const mine = track(c.election(name).campaign('from-conclave'));
    await keysWhen(c, `${name}/`, (kvs) => kvs.length === 2, 10_000, "Conclave's candidacy");
    await roundTrips(c);
    expect(mine.settled()).toBe(false);
    await campaigner.stop('SIGTERM'); // etcdctl resigns
    const term = await mine.promise;
    const conclaveLeader = await seenValue('from-conclave');
    expect(conclaveLeader.key).toBe(term.key);
    // A waiting etcdctl candidate is elected when Conclave resigns.
    const next = etcdctl('elect', name, 'etcdctl-next');
    await keysWhen(c, `${name}/`, (kvs) => kvs.length === 2, 10_000, "etcdctl's candidacy");
    await roundTrips(c, 5);
    expect(next.stdout).toBe('');
    await term.resign();
    await next.until((out) => out.includes('etcdctl-next'), 15_000, 'the etcdctl candidate to be elected');
    await seenValue('etcdctl-next');
    await next.stop('SIGTERM');
    sub.unsubscribe();
  });
});
