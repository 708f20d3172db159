/**
 * The non-RxJS facade over every transport: `client.events` (status,
 * sessionLost, followLeader → 'leader', followLock → 'lockLost') and the
 * async iterators (`client.watchIterator`, `topic.messages()`), which leave nothing subscribed
 * after `break`, `return()` or an aborted signal.
 */
import { expect, it } from 'vitest';
import { AbortError, LockLostError, SessionLostError, type Leader, type LostSessionEvent, type WatchEvent } from '../../src/index.js';
import { waitFor } from './collect.js';
import { revokeLease, sharedLease, within } from './primitives-util.js';
import { describeContract } from './transports.js';

const dec = new TextDecoder();

describeContract('events and iterators', ({ client, open, cluster }) => {
  let n = 0;
  const unique = (label: string) => `${label}-${++n}`;

  it('watchIterator: for await sees puts in order; break cancels the server watcher', async () => {
    const c = await open();
    const key = unique('iter');
    const events = c.watchIterator(`${key}/`, { prefix: true });
    expect(c.stats().serverWatchers).toBe(1);
    for (const v of ['a', 'b', 'c']) await c.put(`${key}/${v}`, v);
    const seen: WatchEvent[] = [];
    await within(
      (async () => {
        for await (const e of events) {
          seen.push(e);
          if (seen.length === 3) break;
        }
      })(),
    );
    expect(seen.map((e) => [e.type, e.key, dec.decode(e.value)])).toEqual([
      ['put', `${key}/a`, 'a'],
      ['put', `${key}/b`, 'b'],
      ['put', `${key}/c`, 'c'],
    ]);
    expect(c.stats()).toMatchObject({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it('watchIterator: the signal ends a waiting loop with AbortError and cancels the watcher; fromRevision replays', async () => {
    const c = await open();
    const key = unique('abort');
    const { revision } = await c.put(key, 'old');
    const controller = new AbortController();
    const replay = c.watchIterator(key, { fromRevision: revision, signal: controller.signal });
    expect(dec.decode((await within(replay.next())).value!.value)).toBe('old');
    const waiting = replay.next();
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(c.stats()).toMatchObject({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it('topic.messages(): for await gets what was published after the call, in order; return() unsubscribes', async () => {
    const c = await open();
    const topic = c.topic<{ n: number }>(unique('topic'));
    const messages = topic.messages();
    const revisions: bigint[] = [];
    for (let i = 0; i < 3; i++) revisions.push((await topic.publish({ n: i })).revision);
    const got: Array<{ n: number; revision: bigint }> = [];
    await within(
      (async () => {
        for await (const m of messages) {
          got.push({ n: m.value.n, revision: m.revision });
          if (got.length === 3) break;
        }
      })(),
    );
    expect(got).toEqual(revisions.map((revision, n) => ({ n, revision })));
    expect(c.stats()).toMatchObject({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it("events.followLeader emits 'leader' with the current leader, then each change, until unfollowed", async () => {
    const c = await client();
    const name = unique('election');
    const seen: Array<[string, Leader | undefined]> = [];
    const listener = (election: string, leader: Leader | undefined) => {
      seen.push([election, leader]);
      changed.check();
    };
    let changed = waitFor(() => seen.length >= 1, 20_000, 'the current leader');
    c.events.on('leader', listener);
    const unfollow = c.events.followLeader(name);
    await changed.promise;
    expect(seen[0]).toEqual([name, undefined]);

    changed = waitFor(() => seen.length >= 2, 20_000, 'the new leader');
    const term = await c.election(name).campaign('me');
    await changed.promise;
    expect(seen[1]![0]).toBe(name);
    expect(seen[1]![1]).toMatchObject({ key: term.key, revision: term.revision });

    unfollow();
    await term.resign();
    await c.put(unique('after-resign'), 'x'); // a round trip after the resign
    expect(seen).toHaveLength(2);
    c.events.off('leader', listener);
  });

  it("events.followLock emits 'lockLost' when the lock is lost, and nothing when it is released", async () => {
    const c = await open();
    const lost: Array<[string, Error]> = [];
    const got = waitFor(() => lost.length === 1, 20_000, 'lockLost');
    c.events.on('lockLost', (key, error) => {
      lost.push([key, error]);
      got.check();
    });
    const released = await c.mutex(unique('released')).acquire();
    c.events.followLock(released);
    await released.release();

    const lock = await c.mutex(unique('lost')).acquire();
    c.events.followLock(lock);
    await c.delete(lock.key); // from outside the lock: it is lost
    await got.promise;
    expect(lost[0]![0]).toBe(lock.key);
    expect(lost[0]![1]).toBeInstanceOf(LockLostError);
  });

  it("events 'sessionLost' reports a session revoked from outside; events.status is the current status", async () => {
    const c = await open();
    expect(c.events.status).toEqual({ state: 'connected' });
    const lost: LostSessionEvent[] = [];
    const got = waitFor(() => lost.length === 1, 20_000, 'sessionLost');
    c.events.on('sessionLost', (e) => {
      lost.push(e);
      got.check();
    });
    await c.mutex(unique('on-shared')).acquire(); // creates the shared session
    const lease = await sharedLease(c);
    await revokeLease(cluster(), lease);
    await got.promise;
    expect(lost[0]).toMatchObject({ lease, shared: true });
    expect(lost[0]!.error).toBeInstanceOf(SessionLostError);
  });
});
