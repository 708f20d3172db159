import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WatchHub } from '../../src/core/watch-hub.js';
import type { Batch, Sink } from '../../src/core/broadcast.js';
import { CompactedError } from '../../src/errors.js';
import { FakeTransport, header, putEvent } from './fake-transport.js';

const enc = new TextEncoder();
const target = (key: string) => ({ key: enc.encode(key), prevKv: false });

class Recorder implements Sink {
  readonly prefixLength = 0;
  revisions: bigint[] = [];
  errors: Error[] = [];
  completed = false;
  next(batch: Batch): void {
    this.revisions.push(batch.revision);
  }
  error(e: Error): void {
    this.errors.push(e);
  }
  complete(): void {
    this.completed = true;
  }
}

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
