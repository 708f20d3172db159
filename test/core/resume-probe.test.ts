/**
 * Resume without etcd's sync loop (src/core/resume-probe.ts): the resume-revision choice, with a fake transport.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WatchHub } from '../../src/core/watch-hub.js';
import { gapProvenEmpty, isSingleKey } from '../../src/core/resume-probe.js';
import { CompactedError } from '../../src/errors.js';
import type { RangeRequest, RangeResponse, Transport } from '../../src/transport/index.js';
import { FakeTransport, Recorder, header, putEvent } from './fake-transport.js';

const enc = new TextEncoder();
const target = (key: string) => ({ key: enc.encode(key), prevKv: false });


describe('gapProvenEmpty (the resume-revision choice)', () => {
  const reads = (modRevision: bigint | undefined, readRevision = 20n, startReadable = true) => ({ readRevision, modRevision, startReadable });
  it('proves the gap empty only when the key exists, unchanged since the position, read at or after the new start, not compacted', () => {
    expect(gapProvenEmpty(12n, 20n, reads(12n))).toBe(true);
    expect(gapProvenEmpty(12n, 20n, reads(5n, 25n))).toBe(true);
    expect(gapProvenEmpty(12n, 20n, reads(13n))).toBe(false); // changed in the gap
    expect(gapProvenEmpty(12n, 20n, reads(undefined))).toBe(false); // absent: a put and a delete leave no trace
    expect(gapProvenEmpty(12n, 20n, reads(12n, 19n))).toBe(false); // read before the watcher's start
    expect(gapProvenEmpty(12n, 20n, reads(12n, 20n, false))).toBe(false); // position + 1 compacted
    expect(gapProvenEmpty(12n, 20n, undefined)).toBe(false);
  });
  it('needs no read when the new watcher starts at or before the old start', () => {
    expect(gapProvenEmpty(12n, 12n, undefined)).toBe(true);
    expect(gapProvenEmpty(12n, 9n, undefined)).toBe(true);
  });
});

describe('WatchHub resume with probes (fake transport)', () => {
  let transport: FakeTransport;
  let hub: WatchHub;
  let reads: RangeRequest[];
  /** What etcd answers: the key's mod revision now (undefined: absent), the read's revision, whether position + 1 is compacted. */
  let store: { modRevision: bigint | undefined; revision: bigint; compactedBelow: bigint };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    transport = new FakeTransport();
    reads = [];
    store = { modRevision: 12n, revision: 20n, compactedBelow: 0n };
    (transport as { range: Transport['range'] }).range = async (request: RangeRequest): Promise<RangeResponse> => {
      reads.push(request);
      if (request.revision !== undefined && request.revision > 0n && request.revision < store.compactedBelow) throw new CompactedError(store.compactedBelow);
      const kvs = store.modRevision === undefined ? [] : [{ key: request.key, value: new Uint8Array(), createRevision: 1n, modRevision: store.modRevision, version: 1n, lease: 0n }];
      return { header: header(store.revision), kvs, more: false, count: BigInt(kvs.length) };
    };
    hub = new WatchHub(transport, () => 10n, undefined, { probeResumes: true });
  });
  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });

  /** A subscriber of `key` that saw 11 and 12, then an outage; returns it and the watchers created on reopen. */
  async function resumeAfter12(key = 'k') {
    const sub = new Recorder();
    const range = key === 'prefix' ? { ...target('p'), rangeEnd: enc.encode('q') } : key === 'k\0' ? { ...target('k'), rangeEnd: enc.encode('k\0') } : target(key);
    const unsubscribe = hub.subscribe(range, undefined, sub);
    const w = transport.watchers[0]!;
    w.listener.onCreated(header(10n));
    w.listener.onEvents([putEvent(key, 11n), putEvent(key, 12n)], header(12n));
    transport.watchStreams[0]!.fail();
    await vi.advanceTimersByTimeAsync(1100);
    const [plain, probe] = transport.watchStreams[1]!.watchers;
    return { sub, unsubscribe, plain: plain!, probe };
  }

  it("a key unchanged since its last event is resumed by a watcher from etcd's current revision (synced at once): no gap, no duplicate", async () => {
    const { sub, plain, probe } = await resumeAfter12();
    expect([plain.request.startRevision, probe!.request.startRevision]).toEqual([13n, 0n]);
    plain.listener.onCreated(header(20n)); // etcd's revision moved on (other keys): this one waits for etcd's sync loop
    probe!.listener.onCreated(header(20n));
    probe!.listener.onEvents([putEvent('k', 21n)], header(21n)); // before the reads answered: held
    expect(sub.revisions).toEqual([11n, 12n]);
    await vi.advanceTimersByTimeAsync(0);
    expect(reads.map((r) => [r.revision ?? 0n, r.countOnly === true])).toEqual([
      [0n, false],
      [13n, true],
    ]);
    expect(sub.revisions).toEqual([11n, 12n, 21n]);
    expect(plain.canceled).toBe(true);
    plain.listener.onEvents([putEvent('k', 21n)], header(21n)); // already in flight when cancelled: no duplicate
    probe!.listener.onEvents([putEvent('k', 22n)], header(22n));
    expect(sub.revisions).toEqual([11n, 12n, 21n, 22n]);
    expect(transport.liveWatchers).toEqual([probe]);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 1 });
  });

  it('a key changed during the outage keeps the watcher from its last delivered revision + 1 (etcd replays the gap)', async () => {
    store.modRevision = 15n;
    const { sub, plain, probe } = await resumeAfter12();
    probe!.listener.onCreated(header(20n));
    probe!.listener.onEvents([putEvent('k', 21n)], header(21n)); // dropped with the probe
    await vi.advanceTimersByTimeAsync(0);
    expect(probe!.canceled).toBe(true);
    expect(transport.liveWatchers).toEqual([plain]);
    plain.listener.onCreated(header(21n));
    plain.listener.onEvents([putEvent('k', 15n), putEvent('k', 21n)], header(21n));
    expect(sub.revisions).toEqual([11n, 12n, 15n, 21n]);
  });

  it('an absent key cannot be proven (a put and a delete in the gap leave no trace): only the watcher from position + 1 stays', async () => {
    store.modRevision = undefined;
    const { plain, probe } = await resumeAfter12();
    probe!.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.liveWatchers).toEqual([plain]);
  });

  it('a compacted start keeps the watcher from position + 1, so etcd reports the compaction (CompactedError unchanged)', async () => {
    store.compactedBelow = 15n;
    const { sub, plain, probe } = await resumeAfter12();
    probe!.listener.onCreated(header(20n));
    plain.listener.onCreated(header(20n));
    plain.canceled = true;
    plain.listener.onCanceled({ compactRevision: 15n, reason: 'compacted', error: new CompactedError(15n) });
    await vi.advanceTimersByTimeAsync(0);
    expect(sub.errors[0]).toBeInstanceOf(CompactedError);
    expect(transport.liveWatchers).toEqual([]);
  });

  it('a range watcher resumes from its position + 1 only (no read can prove its gap empty)', async () => {
    const { plain, probe } = await resumeAfter12('prefix');
    expect(plain.request.startRevision).toBe(13n);
    expect(probe).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('a one-key range [k, k\\0) (the kit single-key watches) is probed like a key', async () => {
    const { sub, plain, probe } = await resumeAfter12('k\0');
    expect([plain.request.startRevision, probe!.request.startRevision]).toEqual([13n, 0n]);
    probe!.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    expect(reads.map((r) => new TextDecoder().decode(r.key))).toEqual(['k', 'k']);
    expect(transport.liveWatchers).toEqual([probe]); // adopted: the plain watcher from 13 is cancelled
    probe!.listener.onEvents([putEvent('k', 21n)], header(21n));
    expect(sub.revisions).toEqual([11n, 12n, 21n]);
  });

  it('isSingleKey: no range end, or the key and a zero byte', () => {
    expect(isSingleKey(enc.encode('k'), undefined)).toBe(true);
    expect(isSingleKey(enc.encode('k'), enc.encode('k\0'))).toBe(true);
    expect(isSingleKey(enc.encode('k'), enc.encode('l'))).toBe(false);
    expect(isSingleKey(enc.encode('k'), enc.encode('k\u0001'))).toBe(false);
    expect(isSingleKey(enc.encode('ab'), enc.encode('ac\0'))).toBe(false);
  });

  it('an unsubscribe while the reads are out cancels both watchers', async () => {
    const { unsubscribe, probe } = await resumeAfter12();
    probe!.listener.onCreated(header(20n));
    unsubscribe();
    expect(transport.liveWatchers).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.liveWatchers).toEqual([]);
  });

  it('a stream failure while the reads are out discards the probe; the next reopen probes again', async () => {
    const { sub, probe } = await resumeAfter12();
    probe!.listener.onCreated(header(20n));
    transport.watchStreams[1]!.fail(); // before the reads answer
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.watchStreams).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1100);
    const [plain2, probe2] = transport.watchStreams[2]!.watchers;
    expect([plain2!.request.startRevision, probe2!.request.startRevision]).toEqual([13n, 0n]);
    probe2!.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    probe2!.listener.onEvents([putEvent('k', 21n)], header(21n));
    expect(sub.revisions).toEqual([11n, 12n, 21n]);
    expect(transport.liveWatchers).toEqual([probe2]);
  });
});
