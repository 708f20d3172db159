/**
 * Election contract: Go's layout, campaign / leader / leader$ / proclaim /
 * resign handover, loss on lease revoke, abort cleanup, local queueing.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { AbortError, ClosedError, EtcdError, LockLostError, type Leader } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import { gatewayPost } from '../harness/index.js';
import { openLossy as openLossyClient, prefixRead } from './lossy-client.js';
import { keysWhen, leaseOf, roundTrips, track } from './lock-helpers.js';
import { describeContract } from './transports.js';

const dec = new TextDecoder();

const show = (l: Leader | undefined) => (l ? dec.decode(l.value) : '-');

/** Collects leader$ values as strings (value of the leader, '-' for none). */
function record(source: import('rxjs').Observable<Leader | undefined>) {
  const seen: Array<Leader | undefined> = [];
  const waiters: Array<() => void> = [];
  const sub = source.subscribe((l) => {
    seen.push(l);
    for (const w of waiters.splice(0)) w();
  });
  /** Resolves when the values seen so far, shown, end with `tail`. */
  const until = (tail: string[], ms = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`leader$ saw ${JSON.stringify(seen.map(show))}, wanted ... ${JSON.stringify(tail)}`)), ms);
      const check = () => {
        const shown = seen.map(show);
        if (JSON.stringify(shown.slice(-tail.length)) === JSON.stringify(tail)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { seen, until, values: () => seen.map(show), stop: () => sub.unsubscribe() };
}

describeContract('election', ({ transport, prefix, client, raw, open, cluster }) => {
  let n = 0;
  const openLossy = () => openLossyClient(transport, cluster(), open, { namespace: prefix });
  /** Matches the guarded delete of `storedKey` (a resign). */
  const deleteOf = (storedKey: string) => (request: unknown) => {
    const ops = (request as { success?: Array<{ deleteRange?: { key: Uint8Array } }> }).success ?? [];
    return ops.some((op) => op.deleteRange && dec.decode(op.deleteRange.key) === storedKey);
  };
  const unique = (label: string) => `${label}-${++n}`;

  it('campaign puts `${name}/${leaseHex}` = value; leader() and the term revision match', async () => {
    const c = await client();
    const r = await raw();
    const name = unique('basic');
    const e = c.election(name);
    expect(await e.leader()).toBeUndefined();
    const term = await e.campaign('alpha');
    const [kv] = await r.getPrefix(`${prefix}${name}/`);
    expect(kv!.key).toBe(`${prefix}${name}/${kv!.lease.toString(16)}`);
    expect(dec.decode(kv!.value)).toBe('alpha');
    expect(term.key).toBe(`${name}/${kv!.lease.toString(16)}`);
    expect(term.revision).toBe(kv!.createRevision);
    const leader = await e.leader();
    expect(leader).toEqual({ key: term.key, value: kv!.value, revision: term.revision });
    await term.resign();
    await term.resign();
    expect(await e.leader()).toBeUndefined();
    expect(term.signal.aborted).toBe(true);
  });

  it('handover: the next candidate is elected at once on resign; proclaim after resign rejects', async () => {
    const name = unique('handover');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const obs = record(a.election(name).leader$);
    await obs.until(['-']);
    const ta = await a.election(name).campaign('a');
    await obs.until(['a']);
    const tb = track(b.election(name).campaign('b'));
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's candidacy");
    await roundTrips(r);
    expect(tb.settled()).toBe(false);
    expect(obs.values()).toEqual(['-', 'a']); // a candidate joining is not a leader change
    await ta.proclaim('a2');
    await obs.until(['a2']);
    await ta.proclaim('a2'); // each proclaim is seen, even with the same value
    await obs.until(['a2', 'a2']);
    await ta.resign();
    const termB = await tb.promise;
    await obs.until(['b']);
    expect(termB.revision).toBeGreaterThan(ta.revision);
    const err = await ta.proclaim('again').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect((err as LockLostError).code).toBe('NOT_LEADER');
    expect(show(await a.election(name).leader())).toBe('b');
    await termB.resign();
    await obs.until(['-']);
    expect(obs.values()).toEqual(['-', 'a', 'a2', 'a2', 'b', '-']);
    obs.stop();
  });

  it('leader$ emits the current leader at subscribe, and subscribers share one watch', async () => {
    const c = await open({ namespace: prefix });
    const name = unique('share');
    const term = await c.election(name).campaign('now');
    const e = c.election(name);
    const before = c.stats().serverWatchers;
    const first = record(e.leader$);
    await first.until(['now']);
    const second = record(e.leader$);
    await second.until(['now']);
    const third = record(c.election(name).leader$); // another Election object: its own read, the same server watcher
    await third.until(['now']);
    // One server watcher for the election prefix (plus the term's own-key watcher, opened before `before`).
    expect(c.stats().serverWatchers).toBe(before + 1);
    await term.proclaim('later');
    await Promise.all([first.until(['later']), second.until(['later']), third.until(['later'])]);
    first.stop();
    second.stop();
    third.stop();
    expect(c.stats().serverWatchers).toBe(before);
    await term.resign();
  });

  it('leadership is lost when the session lease is revoked; the next candidate takes over', async () => {
    const name = unique('revoke');
    const [a, b] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const ta = await a.election(name).campaign('a');
    const tb = b.election(name).campaign('b');
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's candidacy");
    const lost = firstValueFrom(ta.lost$.pipe(timeout(5000)));
    await gatewayPost(cluster().clientUrls[0]!, '/v3/lease/revoke', { ID: await leaseOf(r, `${prefix}${ta.key}`) });
    await lost;
    expect(ta.signal.aborted).toBe(true);
    expect(ta.signal.reason).toBeInstanceOf(LockLostError);
    await expect(ta.proclaim('zombie')).rejects.toMatchObject({ code: 'NOT_LEADER' });
    const termB = await tb;
    expect(show(await b.election(name).leader())).toBe('b');
    await termB.resign();
  });

  it('abort while campaigning leaves no key; the candidate behind moves on', async () => {
    const name = unique('abort');
    const [a, b, cc] = await Promise.all([open({ namespace: prefix }), open({ namespace: prefix }), open({ namespace: prefix })]);
    const r = await raw();
    const ta = await a.election(name).campaign('a');
    const ac = new AbortController();
    const tb = b.election(name).campaign('b', { signal: ac.signal });
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 2, 10_000, "b's candidacy");
    const tc = track(cc.election(name).campaign('c'));
    await keysWhen(r, `${prefix}${name}/`, (kvs) => kvs.length === 3, 10_000, "c's candidacy");
    ac.abort();
    await expect(tb).rejects.toBeInstanceOf(AbortError);
    expect((await r.getPrefix(`${prefix}${name}/`)).map((kv) => dec.decode(kv.value)).sort()).toEqual(['a', 'c']);
    await ta.resign();
    const termC = await tc.promise;
    expect(show(await a.election(name).leader())).toBe('c');
    await termC.resign();
  });

  it('two campaigns in one client queue locally (they would share the session key)', async () => {
    const c = await open({ namespace: prefix });
    const r = await raw();
    const name = unique('local');
    const t1 = await c.election(name).campaign('one');
    const t2 = track(c.election(name).campaign('two'));
    await roundTrips(r);
    expect(t2.settled()).toBe(false);
    expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(1);
    await t1.resign();
    const term2 = await t2.promise;
    expect(term2.revision).toBeGreaterThan(t1.revision);
    expect(show(await c.election(name).leader())).toBe('two');
    await term2.resign();
  });

  it("a leftover key of this session's lease is reused and its value proclaimed, as Go's Campaign does", async () => {
    const c = await open({ namespace: prefix });
    const name = unique('resume');
    const session = await (c as unknown as ConclaveClient).core.session();
    const { revision } = await c.put(`${name}/${session.leaseHex}`, 'old', { lease: session.lease });
    const term = await c.election(name).campaign('new');
    expect(term.revision).toBe(revision);
    expect(show(await c.election(name).leader())).toBe('new');
    await term.resign();
  });

  for (const outcome of ['applied', 'not-sent'] as const) {
    it(`terms' fencing tokens strictly increase after a resign whose delete reply was lost (${outcome})`, async () => {
      const { c, lossy } = await openLossy();
      const r = await raw();
      const name = unique(`token-${outcome}`);
      const first = await c.election(name).campaign('one');
      lossy.arm({ method: 'txn', when: deleteOf(`${prefix}${first.key}`), outcome });
      await first.resign();
      expect(lossy.fired).toBe(1);
      const second = await c.election(name).campaign('two');
      expect(second.revision).toBeGreaterThan(first.revision);
      expect(show(await c.election(name).leader())).toBe('two');
      lossy.arm({ method: 'txn', when: deleteOf(`${prefix}${second.key}`), outcome, times: 2 });
      await second.resign();
      const third = await c.election(name).campaign('three');
      expect(third.revision).toBeGreaterThan(second.revision);
      await third.resign();
      expect(await r.getPrefix(`${prefix}${name}/`)).toHaveLength(0);
    });
  }

  it('terms\' fencing tokens strictly increase after a resign whose delete failed for good (not sent, not retryable)', async () => {
    const { c, lossy } = await openLossy();
    const name = unique('token-failed');
    const first = await c.election(name).campaign('one');
    // etcd refuses the resign's delete with an answer (not retryable): the key stays behind.
    const txn = lossy.txn.bind(lossy);
    lossy.txn = (request, options) =>
      deleteOf(`${prefix}${first.key}`)(request) ? Promise.reject(new EtcdError('etcdserver: refused (test fault)', 9)) : txn(request, options);
    const resigned = await first.resign().then(
      () => undefined,
      (e: unknown) => e,
    );
    lossy.txn = txn;
    expect(resigned).toBeInstanceOf(EtcdError);
    const second = await c.election(name).campaign('two');
    expect(second.revision).toBeGreaterThan(first.revision);
    await second.resign();
    expect(await (await raw()).getPrefix(`${prefix}${name}/`)).toHaveLength(0);
  });

  it('leader$ retries a read that fails with a retryable ConnectionError (with backoff), then follows the leader', async () => {
    const { c, lossy } = await openLossy();
    const name = unique('retry-read');
    const term = await c.election(name).campaign('up');
    lossy.arm({ method: 'range', when: prefixRead(`${prefix}${name}/`), outcome: 'not-sent', times: 3 });
    const e = c.election(name);
    let failed: unknown;
    const sub = e.leader$.subscribe({ error: (error: unknown) => (failed = error) });
    const obs = record(e.leader$);
    await obs.until(['up']);
    expect(lossy.fired).toBe(3);
    await term.proclaim('still');
    await obs.until(['still']);
    expect(failed).toBeUndefined();
    sub.unsubscribe();
    obs.stop();
    await term.resign();
  });

  it('leader$ still errors when its read fails with an error that is not retryable', async () => {
    const { c, lossy } = await openLossy();
    const name = unique('fatal-read');
    const range = lossy.range.bind(lossy);
    lossy.range = (request, options) =>
      prefixRead(`${prefix}${name}/`)(request) ? Promise.reject(new EtcdError('etcdserver: refused (test fault)', 9)) : range(request, options);
    const error = await firstValueFrom(c.election(name).leader$.pipe(timeout(10_000))).catch((e: unknown) => e);
    lossy.range = range;
    expect(error).toBeInstanceOf(EtcdError);
  });

  it('client.close() ends a leadership like a resign (lost$ completes without emitting) and leader$ completes', async () => {
    const c = await open({ namespace: prefix });
    const other = await client();
    const name = unique('close');
    const term = await c.election(name).campaign('x');
    const completed = new Promise<boolean>((resolve) => {
      let emitted = false;
      term.lost$.subscribe({ next: () => (emitted = true), complete: () => resolve(emitted) });
    });
    let seenFirst!: () => void;
    const first = new Promise<void>((resolve) => (seenFirst = resolve));
    const leaderDone = new Promise<void>((resolve, reject) =>
      c.election(name).leader$.subscribe({ next: () => seenFirst(), complete: resolve, error: reject }),
    );
    await first;
    const watcher = firstValueFrom(other.election(name).leader$.pipe(filter((l) => l === undefined), timeout(10_000)));
    await c.close();
    expect(await completed).toBe(false);
    expect(term.signal.reason).toBeInstanceOf(ClosedError);
    await leaderDone;
    await watcher;
    await expect(c.election(name).campaign('y')).rejects.toBeInstanceOf(ClosedError);
    await expect(c.election(name).leader()).rejects.toBeInstanceOf(ClosedError);
  });
});
