/**
 * Barrier and double barrier: the scenarios of etcd's Go recipe tests
 * (v3_barrier_test.go, v3_double_barrier_test.go), ported, plus the cases the
 * Go recipes get wrong (prefix collisions, a participant dying mid-round).
 */
import { firstValueFrom, take, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { AbortError, BarrierFullError, SessionLostError, type Conclave } from '../../src/index.js';
import { countBecomes, revokeLease, sharedLease, track, within } from './primitives-util.js';
import { describeContract } from './transports.js';

describeContract('barriers', ({ client, open, prefix, cluster }) => {
  const openNs = () => open({ namespace: prefix });
  const waiterKeys = async (c: Conclave, name: string) => (await c.getPrefix(`${name}/waiters/`)).length;

  it('barrier: waiters on several clients block while held and are all released by release()', async () => {
    const c = await client();
    const b = c.barrier('test-barrier');
    await b.hold();
    await b.hold(); // idempotent (Go's Hold fails instead)
    expect((await c.getPrefix('test-barrier')).map((kv) => kv.key)).toEqual(['test-barrier']);
    await c.put('x', ''); // move the revision forward
    const others = [c, await openNs(), await openNs()];
    const baseline = others.map((o) => o.stats().serverWatchers);
    const waits = Array.from({ length: 5 }, (_, i) => track(others[i % others.length]!.barrier('test-barrier').wait()));
    // Every waiter has read the key and opened its watch (one shared watcher per client).
    await countBecomes(async () => others.filter((o, i) => o.stats().serverWatchers > baseline[i]!).length, others.length, 'waiters watching');
    await c.put('x', 'again');
    expect(waits.some((w) => w.settled())).toBe(false);
    await b.release();
    await within(Promise.all(waits.map((w) => w.promise)), 5000, 'released waiters');
    expect(others.map((o) => o.stats().serverWatchers)).toEqual(baseline);
  });

  it('barrier: wait on a key that does not exist returns at once, even when `name0` and `name/x` exist', async () => {
    const c = await client();
    await c.put('gate-0', '');
    await c.put('gate0', '');
    await c.put('gate/x', '');
    await within(Promise.all(Array.from({ length: 5 }, () => c.barrier('gate').wait())), 5000, 'waits on an absent barrier');
  });

  it('barrier: a held barrier is not released by changes to keys that merely share its prefix', async () => {
    const c = await openNs();
    const b = c.barrier('pfx');
    await c.put('pfx0', '');
    await c.put('pfx/x', '');
    await b.hold();
    const wait = track(b.wait());
    await countBecomes(async () => c.stats().serverWatchers, 1, 'the waiter watching');
    const probe = firstValueFrom(c.watch('pfx', { fromRevision: (await c.get('pfx'))!.modRevision + 1n }).pipe(take(1), timeout(10_000)));
    await c.delete('pfx0');
    await c.delete('pfx/x');
    await c.put('pfx1', '');
    await c.delete('pfx1');
    await c.put('pfx', 'still held'); // the probe sees this once the waiter has seen everything before it
    await probe;
    expect(wait.settled()).toBe(false);
    await b.release();
    await within(wait.promise, 5000, 'the release');
  });

  it('barrier: an aborted wait rejects with AbortError and leaves no watcher', async () => {
    const c = await openNs();
    const b = c.barrier('abort-wait');
    await b.hold();
    const controller = new AbortController();
    const wait = b.wait({ signal: controller.signal });
    await countBecomes(async () => c.stats().serverWatchers, 1, 'the wait watching');
    controller.abort();
    await expect(wait).rejects.toBeInstanceOf(AbortError);
    expect(c.stats().serverWatchers).toBe(0);
    await b.release();
  });

  it('double barrier: enter waits for `count`, leave waits for all (10 participants on 5 clients)', async () => {
    const count = 10;
    const clients = await Promise.all(Array.from({ length: 5 }, () => openNs()));
    const c = await client();
    const participants = Array.from({ length: count }, (_, i) => clients[i % clients.length]!.doubleBarrier('db', count));
    const entered = participants.slice(0, count - 1).map((p) => track(p.enter()));
    await countBecomes(() => waiterKeys(c, 'db'), count - 1, '9 waiter keys');
    expect(entered.some((e) => e.settled())).toBe(false);
    await within(participants[count - 1]!.enter(), 10_000, 'the last enter');
    await within(Promise.all(entered.map((e) => e.promise)), 10_000, 'the other enters');
    expect(await c.get('db/ready')).toBeDefined();

    // As in Go: the lowest participant keeps its key until every other one has deleted its own.
    const keys = (await c.getPrefix('db/waiters/')).sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1)).map((kv) => kv.key);
    const left = participants.slice(0, count - 1).map((p) => track(p.leave()));
    await countBecomes(() => waiterKeys(c, 'db'), 2, 'the lowest and the last participant left');
    expect((await c.getPrefix('db/waiters/')).map((kv) => kv.key).sort()).toEqual([keys[0]!, keys[count - 1]!].sort());
    expect(left.some((l) => l.settled())).toBe(false);
    await within(participants[count - 1]!.leave(), 10_000, 'the last leave');
    await within(Promise.all(left.map((l) => l.promise)), 10_000, 'the other leaves');
    expect(await c.getPrefix('db/')).toEqual([]);
  });

  it('double barrier: the count+1-th participant gets BarrierFullError and leaves no key', async () => {
    const c = await client();
    const count = 3;
    const ps = await Promise.all(Array.from({ length: count }, async () => (await openNs()).doubleBarrier('full', count)));
    await within(Promise.all(ps.map((p) => p.enter())), 10_000, 'entering');
    const extra = c.doubleBarrier('full', count);
    const err = await extra.enter().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierFullError);
    expect((err as BarrierFullError).code).toBe('BARRIER_FULL');
    expect(await waiterKeys(c, 'full')).toBe(count);
    await within(Promise.all(ps.map((p) => p.leave())), 10_000, 'leaving');
    expect(await c.getPrefix('full/')).toEqual([]);
  });

  it('double barrier: of concurrent enters past `count`, the extra ones are refused and leave no key', async () => {
    const c = await client();
    const count = 2;
    const ps = await Promise.all(Array.from({ length: 4 }, async () => (await openNs()).doubleBarrier('race', count)));
    const results = await within(Promise.allSettled(ps.map((p) => p.enter())), 10_000, 'the concurrent enters');
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof BarrierFullError).length;
    expect(ok + refused).toBe(4);
    expect(ok).toBe(count);
    expect(await waiterKeys(c, 'race')).toBe(count);
    await within(Promise.all(ps.filter((_, i) => results[i]!.status === 'fulfilled').map((p) => p.leave())), 10_000, 'leaving');
  });

  it('double barrier failover: a participant whose session is revoked does not hold the others in leave()', async () => {
    const count = 5;
    const sacrificial = await openNs();
    const rest = await openNs();
    const c = await client();
    const victim = sacrificial.doubleBarrier('fo', count);
    const others = Array.from({ length: count - 1 }, () => rest.doubleBarrier('fo', count));
    await within(Promise.all([victim.enter(), ...others.map((p) => p.enter())]), 10_000, 'entering');
    await revokeLease(cluster(), await sharedLease(sacrificial));
    await within(Promise.all(others.map((p) => p.leave())), 10_000, 'the survivors leaving');
    expect(await waiterKeys(c, 'fo')).toBe(0);
  });

  it('double barrier: a participant dying while the round fills up is dropped and the round completes with a newcomer', async () => {
    const count = 3;
    const c = await client();
    const a = (await openNs()).doubleBarrier('die', count);
    const doomedClient = await openNs();
    const b = doomedClient.doubleBarrier('die', count);
    const aEnter = track(a.enter());
    const bEnter = b.enter().then(
      () => undefined,
      (e: unknown) => e,
    );
    await countBecomes(() => waiterKeys(c, 'die'), 2, 'two waiters');
    await revokeLease(cluster(), await sharedLease(doomedClient));
    expect(await within(bEnter, 10_000, 'the doomed enter')).toBeInstanceOf(SessionLostError);
    await countBecomes(() => waiterKeys(c, 'die'), 1, 'the dead waiter gone');
    const d = (await openNs()).doubleBarrier('die', count);
    const dEnter = track(d.enter());
    await countBecomes(() => waiterKeys(c, 'die'), 2, 'a newcomer');
    expect(aEnter.settled() || dEnter.settled()).toBe(false); // only 2 alive: the dead one does not count
    const e = (await openNs()).doubleBarrier('die', count);
    await within(Promise.all([aEnter.promise, dEnter.promise, e.enter()]), 10_000, 'the round with the newcomers');
    await within(Promise.all([a.leave(), d.leave(), e.leave()]), 10_000, 'leaving');
    expect(await c.getPrefix('die/')).toEqual([]);
  });

  it('double barrier: an aborted enter rejects with AbortError and deletes its key; leave() without enter() is refused', async () => {
    const c = await client();
    const p = c.doubleBarrier('abort-enter', 2);
    const controller = new AbortController();
    const entering = p.enter({ signal: controller.signal });
    await countBecomes(() => waiterKeys(c, 'abort-enter'), 1, 'the waiter key');
    controller.abort();
    await expect(entering).rejects.toBeInstanceOf(AbortError);
    expect(await waiterKeys(c, 'abort-enter')).toBe(0);
    await expect(p.leave()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
