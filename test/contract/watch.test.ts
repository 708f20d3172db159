import { firstValueFrom, take, toArray, timeout } from 'rxjs';
import { expect, it } from 'vitest';
import { waitFor } from './collect.js';
import { describeContract, firstN } from './transports.js';

const dec = new TextDecoder();

describeContract('watch', ({ client }) => {
  it('delivers puts and deletes in revision order, with prevKv on request', async () => {
    const c = await client();
    const got = firstN(c.watch('order/', { prefix: true, prevKv: true }), 4);
    const r1 = await c.put('order/a', '1');
    const r2 = await c.put('order/b', '2');
    const r3 = await c.put('order/a', '3');
    const r4 = await c.delete('order/b');
    const events = await got;
    expect(events.map((e) => e.revision)).toEqual([r1.revision, r2.revision, r3.revision, r4.revision]);
    expect(events.map((e) => `${e.type}:${e.key}`)).toEqual(['put:order/a', 'put:order/b', 'put:order/a', 'delete:order/b']);
    expect(dec.decode(events[2]!.prevKv!.value)).toBe('1');
    expect(dec.decode(events[3]!.prevKv!.value)).toBe('2');
    expect(events[3]!.value.length).toBe(0);
  });

  it('fromRevision replays history, then continues live', async () => {
    const c = await client();
    const first = await c.put('hist', 'h1');
    await c.put('hist', 'h2');
    await c.put('hist', 'h3');
    const got = firstN(c.watch('hist', { fromRevision: first.revision }), 4);
    await c.put('hist', 'h4');
    const events = await got;
    expect(events.map((e) => dec.decode(e.value))).toEqual(['h1', 'h2', 'h3', 'h4']);
  });

  it('a single-key watch does not see a key that merely shares the prefix', async () => {
    const c = await client();
    const got = firstN(c.watch('exact'), 1);
    await c.put('exact0', 'no');
    await c.put('exact', 'yes');
    expect((await got).map((e) => e.key)).toEqual(['exact']);
  });

  it('many subscribers to the same key share one server watcher and all see every event', async () => {
    const c = await client();
    const before = c.stats();
    const results = Array.from({ length: 50 }, () => firstN(c.watch('fan'), 3));
    expect(c.stats().serverWatchers).toBe(before.serverWatchers + 1);
    expect(c.stats().watchSubscribers).toBe(before.watchSubscribers + 50);
    for (const v of ['1', '2', '3']) await c.put('fan', v);
    for (const events of await Promise.all(results)) expect(events.map((e) => dec.decode(e.value))).toEqual(['1', '2', '3']);
    expect(c.stats().serverWatchers).toBe(before.serverWatchers);
  });

  it('replays of one key from different revisions, subscribed at once in one client, each get their whole history', async () => {
    // Over grpc-proxy these pipelined watch creates were answered out of order and matched to each other's
    // watchers: the replay from the oldest revision got the history of a later one (about 1 round in 15).
    const c = await client();
    for (let round = 0; round < 40; round++) {
      const key = `replays/${round}`;
      const revs: bigint[] = [];
      for (let i = 0; i < 5; i++) revs.push((await c.put(key, String(i))).revision);
      const got: string[][] = [[], [], []];
      const expected = [['5'], ['0', '1', '2', '3', '4', '5'], ['2', '3', '4', '5']];
      const all = waitFor(() => got.every((g, i) => g.length >= expected[i]!.length), 5000, `round ${round}`);
      const subs = [undefined, revs[0], revs[2]].map((fromRevision, i) =>
        c.watch(key, fromRevision === undefined ? {} : { fromRevision }).subscribe((e) => {
          got[i]!.push(dec.decode(e.value));
          all.check();
        }),
      );
      await c.put(key, '5');
      await all.promise.catch(() => undefined);
      for (const s of subs) s.unsubscribe();
      expect(got, `round ${round}`).toEqual(expected);
    }
  });

  it('unsubscribing stops events', async () => {
    const c = await client();
    const seen: string[] = [];
    const first = waitFor(() => seen.length === 1, 20_000, "the first subscriber's event");
    const sub = c.watch('stop').subscribe((e) => {
      seen.push(dec.decode(e.value));
      first.check();
    });
    const done = firstValueFrom(c.watch('stop').pipe(take(2), toArray(), timeout(20_000)));
    await c.put('stop', 'a');
    // (Wait on this subscriber itself: over HTTP each server watcher is its own connection, so another
    // watcher of the same key having seen 'a' says nothing about this one.)
    await first.promise;
    sub.unsubscribe();
    await c.put('stop', 'b');
    await done;
    expect(seen).toEqual(['a']);
  });
});
