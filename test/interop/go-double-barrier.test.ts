/**
 * Interop with etcd's real Go client over every Conclave transport: one round of a double
 * barrier (`recipe.NewDoubleBarrier`, count 3) shared by one Conclave participant and two Go
 * participants, with Conclave as the lowest waiter (the first to enter) and as the highest
 * (the last). Go's `Leave`: the lowest waiter deletes its key last, after every other one left;
 * the others delete theirs and wait for the lowest's. So nobody's `leave` returns while a
 * participant is still inside.
 */
import { expect, it } from 'vitest';
import type { Conclave } from '../../src/index.js';
import { describeGoInterop, goDid, keysCount, roundTrips, track } from './go-interop.js';

const COUNT = 3;

/** The waiter keys of double barrier `name`, oldest first. */
async function waiters(c: Conclave, name: string): Promise<string[]> {
  return (await c.getPrefix(`${name}/waiters/`)).sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1)).map((kv) => kv.key);
}

describeGoInterop('go interop double barrier', ({ client, go, name }) => {
  it('Conclave as the lowest waiter: enters with two Go participants and leaves last', async () => {
    const c = await client();
    const b = name('dbl');
    const mine = c.doubleBarrier(b, COUNT);
    const entering = track(mine.enter({ signal: AbortSignal.timeout(20_000) }));
    const [conclaveKey] = await keysCount(c, `${b}/waiters/`, 1, "Conclave's waiter key").then((kvs) => kvs.map((kv) => kv.key));
    const g1Enter = go().call('dbarrier.enter', { obj: `${b}-g1`, name: b, count: COUNT });
    await keysCount(c, `${b}/waiters/`, 2, "the first Go participant's key");
    expect(entering.settled()).toBe(false);
    expect(goDid(go(), 'dbarrier.enter', `${b}-g1`)).toBe(false);
    await go().request('dbarrier.enter', { obj: `${b}-g2`, name: b, count: COUNT }); // the third: puts `ready`
    await entering.promise;
    await g1Enter.result;
    expect((await waiters(c, b))[0]).toBe(conclaveKey);

    // g1 leaves first: it deletes its key and waits for the lowest (Conclave).
    const g1Leave = go().call('dbarrier.leave', { obj: `${b}-g1` });
    await keysCount(c, `${b}/waiters/`, 2, 'the first Go participant to delete its key');
    // Conclave, the lowest, leaves while g2 is still inside: it must keep its key until g2 left.
    const leaving = track(mine.leave({ signal: AbortSignal.timeout(20_000) }));
    await roundTrips(c, 5);
    expect(await waiters(c, b)).toContain(conclaveKey);
    expect(await c.get(`${b}/ready`)).toBeDefined();
    expect(goDid(go(), 'dbarrier.leave', `${b}-g1`)).toBe(false);
    expect(leaving.settled()).toBe(false);
    // g2 leaves: now everyone has.
    await go().request('dbarrier.leave', { obj: `${b}-g2` });
    await leaving.promise;
    await g1Leave.result;
    expect(await c.getPrefix(`${b}/`)).toEqual([]);
  });

  it('Conclave as the highest waiter: the third to enter releases the Go participants, and leaves first', async () => {
    const c = await client();
    const b = name('dbl');
    const g1Enter = go().call('dbarrier.enter', { obj: `${b}-g1`, name: b, count: COUNT });
    await keysCount(c, `${b}/waiters/`, 1, "the first Go participant's key");
    const g2Enter = go().call('dbarrier.enter', { obj: `${b}-g2`, name: b, count: COUNT });
    await keysCount(c, `${b}/waiters/`, 2, "the second Go participant's key");
    expect(goDid(go(), 'dbarrier.enter', `${b}-g1`) || goDid(go(), 'dbarrier.enter', `${b}-g2`)).toBe(false);
    const mine = c.doubleBarrier(b, COUNT);
    await mine.enter({ signal: AbortSignal.timeout(15_000) });
    await g1Enter.result;
    await g2Enter.result;
    const [lowest] = await waiters(c, b);

    // Conclave (highest) leaves first: its key goes, it waits for the others.
    const leaving = track(mine.leave({ signal: AbortSignal.timeout(20_000) }));
    await keysCount(c, `${b}/waiters/`, 2, "Conclave's key to be deleted");
    expect(leaving.settled()).toBe(false);
    // g2 (not the lowest) leaves: deletes its key, waits for g1.
    const g2Leave = go().call('dbarrier.leave', { obj: `${b}-g2` });
    await keysCount(c, `${b}/waiters/`, 1, "the second Go participant's key to be deleted");
    expect(await waiters(c, b)).toEqual([lowest]);
    expect(leaving.settled()).toBe(false);
    expect(goDid(go(), 'dbarrier.leave', `${b}-g2`)).toBe(false);
    // g1, the lowest and last inside, leaves: everyone is released.
    await go().request('dbarrier.leave', { obj: `${b}-g1` });
    await g2Leave.result;
    await leaving.promise;
    expect(await c.getPrefix(`${b}/`)).toEqual([]);
  });
});
