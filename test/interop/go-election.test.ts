/**
 * Interop with etcd's real Go client, both ways, over every Conclave transport: Go's
 * `concurrency.Election` observes Conclave leaders and their proclaims; Conclave's `leader$`
 * sees Go leaders and theirs; resign hands leadership over in both directions.
 */
import { expect, it } from 'vitest';
import type { Conclave, Leader } from '../../src/index.js';
import { waitFor } from '../contract/collect.js';
import { describeGoInterop, goDid, goEvent, keysCount, roundTrips, track } from './go-interop.js';

const dec = new TextDecoder();

/**
 * Subscribes to `leader$` of election `name`: `when(predicate)` resolves once `predicate` holds
 * (checked on each emission), `until(value)` with the first leader of that value.
 */
function watchLeader(c: Conclave, name: string) {
  const seen: Array<Leader | undefined> = [];
  const waits = new Set<() => void>();
  const sub = c.election(name).leader$.subscribe((l) => {
    seen.push(l);
    for (const check of [...waits]) check();
  });
  const when = async (predicate: () => boolean, what: string): Promise<void> => {
    const w = waitFor(predicate, 15_000, what);
    waits.add(w.check);
    try {
      await w.promise;
    } finally {
      waits.delete(w.check);
    }
  };
  const find = (value: string) => seen.find((l) => l !== undefined && dec.decode(l.value) === value);
  return {
    seen,
    values: () => seen.map((l) => (l ? dec.decode(l.value) : undefined)),
    when,
    async until(value: string): Promise<Leader> {
      await when(() => find(value) !== undefined, `leader$ to show ${value}`);
      return find(value)!;
    },
    stop: () => sub.unsubscribe(),
  };
}

describeGoInterop('go interop election', ({ client, go, name }) => {
  it('Go observes a Conclave leader and each proclaim; Go reads the same leader', async () => {
    const c = await client();
    const e = name('observed');
    await go().request('election.observe', { obj: `${e}-o`, name: e });
    const term = await c.election(e).campaign('conclave-v1');
    const v1 = await goEvent(go(), 'election.observed', { obj: `${e}-o`, value: 'conclave-v1' });
    expect(v1['key']).toBe(term.key);
    expect(v1['revision']).toBe(term.revision.toString());
    await term.proclaim('conclave-v2');
    await goEvent(go(), 'election.observed', { obj: `${e}-o`, value: 'conclave-v2' });
    const { leader } = await go().request<{ leader: { key: string; value: string; revision: string } }>('election.leader', { obj: `${e}-o`, name: e });
    expect(leader).toEqual({ key: term.key, value: 'conclave-v2', revision: term.revision.toString() });
    await go().request('election.unobserve', { obj: `${e}-o` });
    await term.resign();
  });

  it("Conclave's leader$ and leader() see a Go leader and its proclaim", async () => {
    const c = await client();
    const e = name('go-leader');
    const watched = watchLeader(c, e);
    try {
      await watched.when(() => watched.seen.length > 0, "leader$'s first value");
      const elected = await go().request<{ key: string; revision: string }>('election.campaign', { obj: `${e}-g`, name: e, value: 'go-v1' });
      const first = await watched.until('go-v1');
      expect(first.key).toBe(elected.key);
      expect(first.revision.toString()).toBe(elected.revision);
      await go().request('election.proclaim', { obj: `${e}-g`, value: 'go-v2' });
      const second = await watched.until('go-v2');
      expect(second.key).toBe(elected.key);
      const now = await c.election(e).leader();
      expect(now && { key: now.key, value: dec.decode(now.value) }).toEqual({ key: elected.key, value: 'go-v2' });
      await go().request('election.resign', { obj: `${e}-g` });
      await watched.when(() => watched.seen.length > 0 && watched.seen.at(-1) === undefined, 'leader$ to show no leader');
      expect(watched.values()).toEqual([undefined, 'go-v1', 'go-v2', undefined]);
    } finally {
      watched.stop();
    }
  });

  it('resign hands over from Go to a waiting Conclave candidate', async () => {
    const c = await client();
    const e = name('go-to-conclave');
    await go().request('election.campaign', { obj: `${e}-g`, name: e, value: 'go' });
    const mine = track(c.election(e).campaign('conclave'));
    await keysCount(c, `${e}/`, 2, "Conclave's candidacy");
    expect(mine.settled()).toBe(false);
    await go().request('election.resign', { obj: `${e}-g` });
    const term = await mine.promise;
    const { leader } = await go().request<{ leader: { key: string; value: string } }>('election.leader', { obj: `${e}-g`, name: e });
    expect(leader).toMatchObject({ key: term.key, value: 'conclave' });
    await term.resign();
  });

  it('resign hands over from Conclave to a waiting Go candidate, which Conclave then sees', async () => {
    const c = await client();
    const e = name('conclave-to-go');
    const watched = watchLeader(c, e);
    try {
      const term = await c.election(e).campaign('conclave');
      const goCampaign = go().call<{ key: string }>('election.campaign', { obj: `${e}-g`, name: e, value: 'go' });
      await keysCount(c, `${e}/`, 2, "Go's candidacy");
      await roundTrips(c, 3);
      expect(goDid(go(), 'election.campaign', `${e}-g`)).toBe(false);
      await term.resign();
      const { key } = await goCampaign.result;
      expect((await watched.until('go')).key).toBe(key);
      expect(watched.values().filter((v) => v !== undefined)).toEqual(['conclave', 'go']);
      await go().request('election.resign', { obj: `${e}-g` });
    } finally {
      watched.stop();
    }
  });
});
