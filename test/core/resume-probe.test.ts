/**
 * Resume without etcd's sync loop (src/core/resume-probe.ts): the resume-revision choice, with a fake transport.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WatchHub } from '../../src/core/watch-hub.js';
import { gapProvenEmpty } from '../../src/core/resume-probe.js';
import type { Batch, Sink } from '../../src/core/broadcast.js';
import { CompactedError } from '../../src/errors.js';
import type { RangeRequest, RangeResponse, Transport } from '../../src/transport/index.js';
import { FakeTransport, header, putEvent } from './fake-transport.js';

const enc = new TextEncoder();
const target = (key: string) => ({ key: enc.encode(key), prevKv: false });

class Recorder implements Sink {
  readonly prefixLength = 0;
  revisions: bigint[] = [];
  errors: Error[] = [];
  next(batch: Batch): void {
    this.revisions.push(batch.revision);
  }
  error(e: Error): void {
    this.errors.push(e);
  }
  complete(): void {}
}

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

  /** A subscriber of `key` that saw 11 and 12, then an outage; returns it and the watcher created on reopen. */
  async function resumeAfter12(key = 'k') {
    const sub = new Recorder();
    hub.subscribe(key === 'prefix' ? { ...target('p'), rangeEnd: enc.encode('q') } : target(key), undefined, sub);
    const w = transport.watchers[0]!;
    w.listener.onCreated(header(10n));
    w.listener.onEvents([putEvent(key, 11n), putEvent(key, 12n)], header(12n));
    transport.watchStreams[0]!.fail();
    await vi.advanceTimersByTimeAsync(1100);
    return { sub, resumed: transport.watchStreams[1]!.watchers[0]! };
  }

  it('a key unchanged since its last event resumes from etcd\'s current revision (synced at once), with no gap and no duplicate', async () => {
    const { sub, resumed } = await resumeAfter12();
    expect(resumed.request.startRevision).toBe(0n);
    resumed.listener.onCreated(header(20n)); // etcd's revision moved on (other keys) during the outage
    resumed.listener.onEvents([putEvent('k', 21n)], header(21n)); // before the reads answered: held
    expect(sub.revisions).toEqual([11n, 12n]);
    await vi.advanceTimersByTimeAsync(0);
    expect(reads.map((r) => [r.revision ?? 0n, r.countOnly === true])).toEqual([
      [0n, false],
      [13n, true],
    ]);
    expect(sub.revisions).toEqual([11n, 12n, 21n]);
    resumed.listener.onEvents([putEvent('k', 22n)], header(22n));
    expect(sub.revisions).toEqual([11n, 12n, 21n, 22n]);
    expect(transport.liveWatchers).toEqual([resumed]);
    expect(hub.stats()).toEqual({ serverWatchers: 1, watchSubscribers: 1 });
  });

  it('a key changed during the outage resumes from its last delivered revision + 1 (etcd replays the gap)', async () => {
    store.modRevision = 15n;
    const { sub, resumed } = await resumeAfter12();
    resumed.listener.onCreated(header(20n));
    resumed.listener.onEvents([putEvent('k', 21n)], header(21n)); // dropped: the replay delivers it again
    await vi.advanceTimersByTimeAsync(0);
    expect(resumed.canceled).toBe(true);
    const replay = transport.liveWatchers[0]!;
    expect(replay.request.startRevision).toBe(13n);
    replay.listener.onCreated(header(21n));
    replay.listener.onEvents([putEvent('k', 15n), putEvent('k', 21n)], header(21n));
    expect(sub.revisions).toEqual([11n, 12n, 15n, 21n]);
  });

  it('an absent key cannot be proven (a put and a delete in the gap leave no trace): resumes from its position + 1', async () => {
    store.modRevision = undefined;
    const { resumed } = await resumeAfter12();
    resumed.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.liveWatchers.map((w) => w.request.startRevision)).toEqual([13n]);
  });

  it('a compacted start resumes from its position + 1 as before, so etcd reports the compaction (CompactedError unchanged)', async () => {
    store.compactedBelow = 15n;
    const { sub, resumed } = await resumeAfter12();
    resumed.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    const replay = transport.liveWatchers[0]!;
    expect(replay.request.startRevision).toBe(13n);
    replay.canceled = true;
    replay.listener.onCanceled({ compactRevision: 15n, reason: 'compacted', error: new CompactedError(15n) });
    expect(sub.errors[0]).toBeInstanceOf(CompactedError);
  });

  it('a range watcher always resumes from its position + 1 (no read can prove its gap empty)', async () => {
    const { resumed } = await resumeAfter12('prefix');
    expect(resumed.request.startRevision).toBe(13n);
    expect(reads).toEqual([]);
  });

  it('a stream failure while the reads are out discards the probe; the next reopen probes again', async () => {
    const { sub, resumed } = await resumeAfter12();
    resumed.listener.onCreated(header(20n));
    transport.watchStreams[1]!.fail(); // before the reads answer
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.watchStreams).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1100);
    const again = transport.watchStreams[2]!.watchers[0]!;
    expect(again.request.startRevision).toBe(0n);
    again.listener.onCreated(header(20n));
    await vi.advanceTimersByTimeAsync(0);
    again.listener.onEvents([putEvent('k', 21n)], header(21n));
    expect(sub.revisions).toEqual([11n, 12n, 21n]);
  });
});
