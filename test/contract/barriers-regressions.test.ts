/**
 * Regression tests of issue 11 for the double barrier and the barrier (bugs 1, 2, 3 and the
 * retry half of 9), and the `timeoutMs` of their waits. Each failed before its fix.
 */
import { afterAll, expect, it } from 'vitest';
import { AbortError, BarrierFullError, connect, TimeoutError, type Conclave, type DoubleBarrier } from '../../src/index.js';
import { deletesKey, gatedTransport, lossyClient, putsKey, rawTransport } from './barrier-clients.js';
import { countBecomes, sharedLease, track, within } from './primitives-util.js';
import { describeContract } from './transports.js';

describeContract('barriers regressions', ({ transport, client, open, prefix, cluster }) => {
  const openNs = () => open({ namespace: prefix });
  const waiters = async (c: Conclave, name: string) =>
    (await c.getPrefix(`${name}/waiters/`)).sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1));
  const waiterCount = async (c: Conclave, name: string) => (await waiters(c, name)).length;
  /** Enters `participants` one after the other (each key created before the next enter starts), all bounded. */
  const enterInOrder = async (c: Conclave, name: string, participants: DoubleBarrier[]): Promise<void> => {
    const entering = [];
    for (const [i, p] of participants.entries()) {
      entering.push(p.enter());
      await countBecomes(() => waiterCount(c, name), i + 1, `${i + 1} waiter keys`);
    }
    await within(Promise.all(entering), 10_000, 'entering');
  };
  const closing: Conclave[] = [];
  const track$ = <T extends Conclave>(c: T): T => {
    closing.push(c);
    return c;
  };
  afterAll(() => Promise.all(closing.map((c) => c.close())));

  it('bug 1: with the last round still inside, of two newcomers arriving at once none passes alone (P, Q, S, T)', async () => {
    const name = 'pqst';
    const c = await client();
    const [P, Q, T] = await Promise.all([0, 1, 2].map(async () => (await openNs()).doubleBarrier(name, 2)));
    await enterInOrder(c, name, [P!, Q!]);
    const qLeave = track(Q!.leave()); // Q goes; P stays inside
    await countBecomes(() => waiterCount(c, name), 1, 'Q gone, P inside');

    // S reads the barrier, then T enters, then S writes its key: S and T arrive "at once".
    const gated = gatedTransport(await rawTransport(transport, cluster()));
    const sClient = track$(await connect({ transport: gated, namespace: prefix }));
    const sCreate = gated.hold('txn', putsKey(`${name}/waiters/`));
    const sDelete = gated.hold('deleteRange', deletesKey(`${name}/waiters/`)); // a refused S deletes its key: hold that
    const S = sClient.doubleBarrier(name, 2);
    const sEnter = track(S.enter());
    await within(sCreate.reached, 10_000, 'S about to create its key');
    const tEnter = track(T!.enter());
    await countBecomes(() => waiterCount(c, name), 2, 'P and T');
    const [, tKey] = await waiters(c, name);
    sCreate.open();
    const quiet = () => undefined;
    await within(Promise.race([sEnter.promise.catch(quiet), tEnter.promise.catch(quiet)]), 10_000, 'S or T deciding');
    sDelete.open();
    // P is still inside, so the barrier holds P and T: S is refused, and T is not let through alone.
    await expect(within(sEnter.promise, 10_000, 'S entering')).rejects.toBeInstanceOf(BarrierFullError);
    const ready = await c.get(`${name}/ready`);
    expect(ready === undefined || ready.modRevision < tKey!.createRevision).toBe(true);
    expect(tEnter.settled()).toBe(false);
    expect(await waiterCount(c, name)).toBe(2); // P and T

    await within(Promise.all([P!.leave(), qLeave.promise]), 10_000, 'the first round leaving');
    expect(tEnter.settled()).toBe(false);
    await within(Promise.all([S.enter(), tEnter.promise]), 10_000, 'S (again) and T entering');
    await within(Promise.all([T!.leave(), S.leave()]), 10_000, 'the second round leaving');
    expect(await c.getPrefix(`${name}/`)).toEqual([]);
    await sClient.close();
  });

  for (const outcome of ['applied', 'not-sent'] as const) {
    it(`bug 2: the reply to the waiter key's create is lost (${outcome}): enter() goes on, no phantom participant`, async () => {
      const name = `lost-${outcome}`;
      const c = await client();
      const { client: a, lossy } = await lossyClient(transport, cluster(), prefix);
      track$(a);
      lossy.arm({ method: 'txn', when: putsKey(`${name}/waiters/`), outcome });
      const A = a.doubleBarrier(name, 2);
      const aEnter = track(A.enter());
      await countBecomes(async () => lossy.fired, 1, 'the lost reply');
      const B = (await openNs()).doubleBarrier(name, 2);
      await within(Promise.all([aEnter.promise, B.enter()]), 10_000, 'A and B entering');
      expect(await waiterCount(c, name)).toBe(2); // exactly A and B: no phantom
      await within(Promise.all([A.leave(), B.leave()]), 10_000, 'leaving');
      expect(await c.getPrefix(`${name}/`)).toEqual([]);
      await a.close();
    });
  }

  it("bug 3: `ready` is written with an empty value, as Go's recipe writes it", async () => {
    const name = 'ready-empty';
    const c = await client();
    const ps = await Promise.all([0, 1].map(async () => (await openNs()).doubleBarrier(name, 2)));
    await within(Promise.all(ps.map((p) => p.enter())), 10_000, 'entering');
    expect((await c.get(`${name}/ready`))?.value.length).toBe(0);
    await within(Promise.all(ps.map((p) => p.leave())), 10_000, 'leaving');
    expect(await c.getPrefix(`${name}/`)).toEqual([]);
  });

  it("bug 3: leave() is Go's: the lowest waiter deletes its key last, the others delete theirs and wait for it", async () => {
    const name = 'lowest-last';
    const c = await client();
    const clients = await Promise.all([0, 1, 2].map(() => openNs()));
    const [A, B, C] = clients.map((x) => x.doubleBarrier(name, 3)) as [DoubleBarrier, DoubleBarrier, DoubleBarrier];
    await enterInOrder(c, name, [A, B, C]);
    const [lowest] = await waiters(c, name);
    const aClient = clients[0]!;
    const baseline = aClient.stats().serverWatchers;

    const aLeave = track(A.leave()); // A is the lowest: it waits for the others, keeping its key
    await countBecomes(async () => aClient.stats().serverWatchers, baseline + 1, 'A waiting in leave()');
    expect((await waiters(c, name)).map((kv) => kv.key)).toContain(lowest!.key);
    const bLeave = track(B.leave()); // B deletes its key and waits for the lowest
    await countBecomes(() => waiterCount(c, name), 2, 'B gone');
    expect((await waiters(c, name))[0]?.key).toBe(lowest!.key);
    expect(aLeave.settled() || bLeave.settled()).toBe(false);
    await within(Promise.all([C.leave(), aLeave.promise, bLeave.promise]), 10_000, 'the others leaving');
    expect(await c.getPrefix(`${name}/`)).toEqual([]);
  });

  it('bug 9: a leave() that failed (aborted, or its delete lost its reply) can be retried', async () => {
    const name = 'retry-leave';
    const c = await client();
    const { client: a, lossy } = await lossyClient(transport, cluster(), prefix);
    track$(a);
    const B = (await openNs()).doubleBarrier(name, 2);
    const A = a.doubleBarrier(name, 2);
    await enterInOrder(c, name, [B, A]); // B is the lowest: A deletes its key, then waits for B
    const [, aKey] = await waiters(c, name);
    const baseline = a.stats().serverWatchers; // the session's marker watch

    lossy.arm({ method: 'deleteRange', when: deletesKey(aKey!.key) });
    lossy.arm({ method: 'txn', when: deletesKey(aKey!.key) });
    await expect(within(A.leave(), 10_000, 'the leave whose delete is lost')).rejects.toMatchObject({ code: 'CONNECTION' });
    expect(lossy.fired).toBe(1);
    lossy.disarm();

    const controller = new AbortController();
    const aborted = A.leave({ signal: controller.signal });
    await countBecomes(async () => a.stats().serverWatchers, baseline + 1, 'A waiting for B');
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(a.stats().serverWatchers).toBe(baseline);

    const aLeave = track(A.leave()); // retried again: waits for B, as it should (not InvalidArgumentError)
    const waiting = countBecomes(async () => a.stats().serverWatchers, baseline + 1, 'A waiting for B again').then(() => 'waiting');
    expect(await Promise.race([aLeave.promise.then(() => 'left', (e: unknown) => e), waiting])).toBe('waiting');
    await within(Promise.all([B.leave(), aLeave.promise]), 10_000, 'leaving');
    expect(await c.getPrefix(`${name}/`)).toEqual([]);
    await expect(A.leave()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' }); // left for good
    await a.close();
  });

  it('timeoutMs: enter(), leave() and wait() reject with TimeoutError and leave nothing behind', async () => {
    const name = 'timeouts';
    const c = await openNs();
    await sharedLease(c);
    const baseline = c.stats().serverWatchers; // the session's marker watch
    const p = c.doubleBarrier(name, 2);
    await expect(within(p.enter({ timeoutMs: 300 }), 10_000, 'enter')).rejects.toBeInstanceOf(TimeoutError);
    expect(await c.getPrefix(`${name}/`)).toEqual([]);
    expect(c.stats().serverWatchers).toBe(baseline);

    const q = (await openNs()).doubleBarrier(name, 2);
    await within(Promise.all([p.enter({ timeoutMs: 10_000 }), q.enter()]), 10_000, 'entering');
    await expect(within(p.leave({ timeoutMs: 300 }), 10_000, 'leave')).rejects.toBeInstanceOf(TimeoutError);
    expect(c.stats().serverWatchers).toBe(baseline);
    await within(Promise.all([p.leave({ timeoutMs: 10_000 }), q.leave()]), 10_000, 'leaving');
    expect(await c.getPrefix(`${name}/`)).toEqual([]);

    const gate = c.barrier(`${name}-gate`);
    await gate.hold();
    await expect(within(gate.wait({ timeoutMs: 300 }), 10_000, 'wait')).rejects.toBeInstanceOf(TimeoutError);
    expect(c.stats().serverWatchers).toBe(baseline);
    await gate.release();
    await within(gate.wait({ timeoutMs: 10_000 }), 10_000, 'wait on a released barrier');
  });
});
