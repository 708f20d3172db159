import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WatchHub } from '../../src/core/watch-hub.js';
import { CompactedError } from '../../src/errors.js';
import { FakeTransport, Recorder, header, putEvent, type FakeWatcher } from './fake-transport.js';
import type { WatchCancel } from '../../src/transport/index.js';

const enc = new TextEncoder();
const target = (key: string) => ({ key: enc.encode(key), prevKv: false });


describe('WatchHub (state machine, fake transport)', () => {
  let transport: FakeTransport;
  let hub: WatchHub;
  let known: bigint;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    transport = new FakeTransport();
    known = 10n;
    hub = new WatchHub(transport, () => known, (h) => {
      if (h.revision > known) known = h.revision;
    });
  });
  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });

  it('shares one server watcher among every subscriber of a range', () => {
    const subs = Array.from({ length: 1000 }, () => new Recorder());
    for (const s of subs) hub.subscribe(target('k'), undefined, s);
    expect(transport.watchers).toHaveLength(1);
    expect(transport.watchers[0]!.request.startRevision).toBe(11n);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 1000 });
    const w = transport.watchers[0]!;
    w.listener.onCreated(header(10n));
    w.listener.onEvents([putEvent('k', 11n), putEvent('k', 12n)], header(12n));
    for (const s of subs) expect(s.revisions).toEqual([11n, 12n]);
  });

  it('opens one watcher per distinct range or option', () => {
    hub.subscribe(target('a'), undefined, new Recorder());
    hub.subscribe(target('b'), undefined, new Recorder());
    hub.subscribe({ ...target('a'), prevKv: true }, undefined, new Recorder());
    hub.subscribe({ ...target('a'), rangeEnd: enc.encode('b') }, undefined, new Recorder());
    expect(transport.watchers).toHaveLength(4);
    expect(transport.watchStreams).toHaveLength(1);
  });

  it('cancels the server watcher with the last unsubscribe, and closes the idle stream', () => {
    const un1 = hub.subscribe(target('k'), undefined, new Recorder());
    const un2 = hub.subscribe(target('k'), undefined, new Recorder());
    un1();
    expect(transport.watchers[0]!.canceled).toBe(false);
    un2();
    expect(transport.watchers[0]!.canceled).toBe(true);
    expect(transport.watchStreams[0]!.closed).toBe(true);
    expect(hub.stats()).toEqual({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it('a late subscriber whose start is in the kept history joins with no watcher and no gap', () => {
    const early = new Recorder();
    hub.subscribe(target('k'), undefined, early);
    const w = transport.watchers[0]!;
    w.listener.onCreated(header(10n));
    w.listener.onEvents([putEvent('k', 11n)], header(11n));
    w.listener.onEvents([putEvent('k', 13n)], header(13n));
    const late = new Recorder();
    hub.subscribe(target('k'), 12n, late);
    expect(transport.watchers).toHaveLength(1);
    expect(late.revisions).toEqual([13n]);
    w.listener.onEvents([putEvent('k', 14n)], header(14n));
    expect(late.revisions).toEqual([13n, 14n]);
    expect(early.revisions).toEqual([11n, 13n, 14n]);
  });

  it('a subscriber from an older revision catches up on its own watcher, then joins without gap or duplicate', () => {
    const live = new Recorder();
    hub.subscribe(target('k'), undefined, live); // starts at 11
    const main = transport.watchers[0]!;
    main.listener.onCreated(header(10n));
    main.listener.onEvents([putEvent('k', 11n)], header(11n));
    const old = new Recorder();
    hub.subscribe(target('k'), 3n, old);
    expect(transport.watchers).toHaveLength(2);
    const catchUp = transport.watchers[1]!;
    expect(catchUp.request.startRevision).toBe(3n);
    expect(hub.stats()).toEqual({ serverWatchers: 2, watchSubscribers: 2 });
    catchUp.listener.onCreated(header(11n));
    catchUp.listener.onEvents([putEvent('k', 5n), putEvent('k', 7n)], header(11n));
    expect(old.revisions).toEqual([5n, 7n]);
    // The shared watcher moves on while the catch-up is still replaying.
    main.listener.onEvents([putEvent('k', 12n)], header(12n));
    catchUp.listener.onEvents([putEvent('k', 11n)], header(12n)); // meets the kept history (starts at 10)
    expect(catchUp.canceled).toBe(true);
    expect(old.revisions).toEqual([5n, 7n, 11n, 12n]);
    catchUp.listener.onEvents([putEvent('k', 12n)], header(12n)); // in flight before the cancel: dropped
    main.listener.onEvents([putEvent('k', 13n)], header(13n));
    expect(old.revisions).toEqual([5n, 7n, 11n, 12n, 13n]);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 2 });
  });

  it('resumes every watcher from its last delivered revision + 1 after the stream breaks', async () => {
    const a = new Recorder();
    hub.subscribe(target('k'), undefined, a);
    const w = transport.watchers[0]!;
    w.listener.onCreated(header(10n));
    w.listener.onEvents([putEvent('k', 11n)], header(11n));
    w.listener.onEvents([putEvent('k', 12n)], header(12n));
    transport.watchStreams[0]!.fail();
    expect(hub.stats().serverWatchers).toBe(0);
    await vi.advanceTimersByTimeAsync(1100);
    expect(transport.watchStreams).toHaveLength(2);
    const w2 = transport.watchStreams[1]!.watchers[0]!;
    expect(w2.request.startRevision).toBe(13n);
    w2.listener.onCreated(header(15n));
    w2.listener.onEvents([putEvent('k', 12n)], header(15n)); // a duplicate is dropped
    w2.listener.onEvents([putEvent('k', 13n), putEvent('k', 14n)], header(15n));
    expect(a.revisions).toEqual([11n, 12n, 13n, 14n]);
  });

  it('reconnects with growing, bounded backoff and resets it after success', async () => {
    hub.subscribe(target('k'), undefined, new Recorder());
    for (let i = 0; i < 8; i++) {
      transport.watchStreams.at(-1)!.fail();
      await vi.advanceTimersByTimeAsync(1001); // the cap is 1 s
      expect(transport.watchStreams).toHaveLength(i + 2);
    }
  });

  it('compaction errors only the affected subscribers; live ones that received nothing move past it', () => {
    const fromOld = new Recorder();
    const live = new Recorder();
    const other = new Recorder();
    hub.subscribe(target('k'), 2n, fromOld);
    hub.subscribe(target('k'), undefined, live); // joins the same broadcast (its start is within history)
    hub.subscribe(target('other'), undefined, other);
    const w = transport.watchers[0]!;
    w.listener.onCanceled({ compactRevision: 8n, reason: 'compacted', error: new CompactedError(8n) });
    expect(fromOld.errors[0]).toBeInstanceOf(CompactedError);
    expect((fromOld.errors[0] as CompactedError).compactRevision).toBe(8n);
    expect(live.errors).toHaveLength(0);
    expect(other.errors).toHaveLength(0);
    const moved = transport.watchers[2]!;
    expect(moved.request.startRevision).toBe(8n);
    moved.listener.onEvents([putEvent('k', 11n)], header(11n));
    expect(live.revisions).toEqual([11n]);
  });

  const compacted = (revision: bigint) => ({ compactRevision: revision, reason: 'compacted', error: new CompactedError(revision) });
  /** etcd cancels `w` (it is gone on the server), with `cancel`. */
  const serverCancel = (w: FakeWatcher, cancel: WatchCancel) => {
    w.canceled = true;
    w.listener.onCanceled(cancel);
  };

  it('a live subscriber whose start etcd confirmed gets CompactedError when its resumed watcher finds the history compacted (no silent move)', async () => {
    const confirmed = new Recorder();
    hub.subscribe(target('k'), undefined, confirmed); // starts at 11
    transport.watchers[0]!.listener.onCreated(header(10n)); // etcd confirmed: events from 11 on will come
    transport.watchStreams[0]!.fail(); // an outage; meanwhile 11..14 are written and compacted at 15
    await vi.advanceTimersByTimeAsync(1100);
    const resumed = transport.watchStreams[1]!.watchers[0]!;
    expect(resumed.request.startRevision).toBe(11n);
    serverCancel(resumed, compacted(15n));
    expect(confirmed.errors).toHaveLength(1);
    expect(confirmed.errors[0]).toBeInstanceOf(CompactedError);
    expect((confirmed.errors[0] as CompactedError).compactRevision).toBe(15n);
    expect(confirmed.revisions).toEqual([]);
    expect(transport.liveWatchers).toHaveLength(0);
    expect(hub.stats()).toEqual({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it('on a compaction, only live subscribers whose start was never confirmed move to the compaction point', async () => {
    const confirmed = new Recorder();
    hub.subscribe(target('k'), undefined, confirmed);
    transport.watchers[0]!.listener.onCreated(header(10n));
    transport.watchStreams[0]!.fail();
    const duringOutage = new Recorder(); // joins while no watcher is confirmed
    hub.subscribe(target('k'), undefined, duringOutage);
    await vi.advanceTimersByTimeAsync(1100);
    serverCancel(transport.watchStreams[1]!.watchers[0]!, compacted(15n));
    expect(confirmed.errors[0]).toBeInstanceOf(CompactedError);
    expect(duringOutage.errors).toHaveLength(0);
    const moved = transport.liveWatchers;
    expect(moved).toHaveLength(1);
    expect(moved[0]!.request.startRevision).toBe(15n);
    moved[0]!.listener.onCreated(header(16n));
    moved[0]!.listener.onEvents([putEvent('k', 15n)], header(16n));
    moved[0]!.listener.onEvents([putEvent('k', 16n)], header(16n));
    expect(duringOutage.revisions).toEqual([15n, 16n]);
    expect(confirmed.revisions).toEqual([]);
  });

  it('a watcher created with its start in the past does not confirm it: etcd answers created, then may report the start compacted', () => {
    known = 4n; // a stale known revision: the start (5) is behind etcd's revision (20)
    const stale = new Recorder();
    hub.subscribe(target('k'), undefined, stale);
    const w = transport.watchers[0]!;
    expect(w.request.startRevision).toBe(5n);
    w.listener.onCreated(header(20n));
    serverCancel(w, compacted(15n));
    expect(stale.errors).toHaveLength(0);
    const moved = transport.liveWatchers;
    expect(moved.map((m) => m.request.startRevision)).toEqual([15n]);
    moved[0]!.listener.onEvents([putEvent('k', 21n)], header(21n));
    expect(stale.revisions).toEqual([21n]);
  });

  it('an unconfirmed live subscriber gets CompactedError when the compaction passed the revision its watcher was acknowledged at (those events were owed)', async () => {
    known = 4n; // stale: the watcher starts at 5, etcd is at 20, so `created` does not confirm it
    const acknowledged = new Recorder();
    hub.subscribe(target('k'), undefined, acknowledged);
    transport.watchers[0]!.listener.onCreated(header(20n)); // the subscription exists on etcd from 20 on
    const joined = new Recorder();
    known = 22n;
    hub.subscribe(target('k'), undefined, joined); // joins the acknowledged watcher at 22
    transport.watchStreams[0]!.fail(); // an outage; meanwhile 21..24 are written and compacted at 25
    await vi.advanceTimersByTimeAsync(1100);
    serverCancel(transport.watchStreams[1]!.watchers[0]!, compacted(25n));
    expect(acknowledged.errors[0]).toBeInstanceOf(CompactedError);
    expect(joined.errors[0]).toBeInstanceOf(CompactedError);
    expect(acknowledged.revisions).toEqual([]);
    expect(transport.liveWatchers).toHaveLength(0);
  });

  it('events or a progress notification from a watcher created with its start in the past confirm it', async () => {
    known = 4n;
    const byEvents = new Recorder();
    const byProgress = new Recorder();
    hub.subscribe(target('a'), undefined, byEvents);
    hub.subscribe(target('b'), undefined, byProgress);
    const [a, b] = transport.watchers as [FakeWatcher, FakeWatcher];
    a.listener.onCreated(header(20n));
    b.listener.onCreated(header(20n));
    a.listener.onEvents([putEvent('a', 7n)], header(20n));
    b.listener.onProgress(header(20n));
    transport.watchStreams[0]!.fail();
    await vi.advanceTimersByTimeAsync(1100);
    const [a2, b2] = transport.watchStreams[1]!.watchers as [FakeWatcher, FakeWatcher];
    expect([a2.request.startRevision, b2.request.startRevision]).toEqual([8n, 21n]);
    serverCancel(a2, compacted(30n));
    serverCancel(b2, compacted(30n));
    expect(byEvents.errors[0]).toBeInstanceOf(CompactedError);
    expect(byProgress.errors[0]).toBeInstanceOf(CompactedError);
    expect(byEvents.revisions).toEqual([7n]);
    expect(transport.liveWatchers).toHaveLength(0);
  });

  it('a subscriber that joins a confirmed watcher is confirmed too', () => {
    const first = new Recorder();
    hub.subscribe(target('k'), undefined, first);
    transport.watchers[0]!.listener.onCreated(header(10n));
    const joined = new Recorder();
    hub.subscribe(target('k'), undefined, joined);
    serverCancel(transport.watchers[0]!, compacted(15n)); // e.g. a slow watcher fell behind a compaction
    expect(first.errors[0]).toBeInstanceOf(CompactedError);
    expect(joined.errors[0]).toBeInstanceOf(CompactedError);
    expect(transport.liveWatchers).toHaveLength(0);
  });

  it('unsubscribing a moved subscriber cancels the moved server watcher', () => {
    const unsubscribe = hub.subscribe(target('k'), undefined, new Recorder());
    serverCancel(transport.watchers[0]!, compacted(15n)); // never confirmed: moved
    expect(transport.liveWatchers).toHaveLength(1);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 1 });
    unsubscribe();
    expect(transport.liveWatchers).toHaveLength(0);
    expect(hub.stats()).toEqual({ serverWatchers: 0, watchSubscribers: 0 });
    expect(transport.watchStreams[0]!.closed).toBe(true);
  });

  it('a catch-up subscriber whose broadcast was replaced, then merged into the replacement, cancels it when it unsubscribes', () => {
    const live = new Recorder();
    hub.subscribe(target('k'), undefined, live); // broadcast from 11
    const main = transport.watchers[0]!;
    main.listener.onCreated(header(10n));
    const old = new Recorder();
    const unsubscribeOld = hub.subscribe(target('k'), 9n, old); // catch-up from 9
    const catchUp = transport.watchers[1]!;
    catchUp.listener.onCreated(header(10n));
    serverCancel(main, { compactRevision: 0n, reason: 'permission denied', error: new Error('permission denied') });
    expect(live.errors).toHaveLength(1);
    const replacement = transport.watchers[2]!; // the catch-up's broadcast to join
    expect(replacement.request.startRevision).toBe(9n);
    replacement.listener.onCreated(header(10n));
    catchUp.listener.onEvents([putEvent('k', 9n)], header(10n)); // meets the replacement's history: merged
    expect(catchUp.canceled).toBe(true);
    replacement.listener.onEvents([putEvent('k', 10n)], header(10n));
    expect(old.revisions).toEqual([9n, 10n]);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 1 });
    unsubscribeOld();
    expect(replacement.canceled).toBe(true);
    expect(hub.stats()).toEqual({ serverWatchers: 0, watchSubscribers: 0 });
  });

  it('asks for progress on a silent stream and reopens it when nothing answers', async () => {
    hub.subscribe(target('k'), undefined, new Recorder());
    transport.watchers[0]!.listener.onCreated(header(10n));
    await vi.advanceTimersByTimeAsync(4000);
    expect(transport.watchStreams[0]!.progressRequests).toBe(0);
    await vi.advanceTimersByTimeAsync(2100); // silent for 5 s (checked every 1.5 s)
    expect(transport.watchStreams[0]!.progressRequests).toBe(1);
    await vi.advanceTimersByTimeAsync(3100);
    expect(transport.watchStreams[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1100);
    expect(transport.watchStreams).toHaveLength(2);
  });

  it('an answered progress request keeps the stream', async () => {
    hub.subscribe(target('k'), undefined, new Recorder());
    transport.watchers[0]!.listener.onCreated(header(10n));
    await vi.advanceTimersByTimeAsync(6100);
    expect(transport.watchStreams[0]!.progressRequests).toBe(1);
    transport.watchStreams[0]!.handlers.onMessage(header(10n));
    await vi.advanceTimersByTimeAsync(3100);
    expect(transport.watchStreams[0]!.closed).toBe(false);
  });

  it('close() completes every subscription', () => {
    const a = new Recorder();
    hub.subscribe(target('k'), undefined, a);
    hub.close();
    expect(a.completed).toBe(true);
    expect(transport.watchStreams[0]!.closed).toBe(true);
    const b = new Recorder();
    hub.subscribe(target('k'), undefined, b);
    expect(b.completed).toBe(true);
  });
});
