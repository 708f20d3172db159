/**
 * The grpc-proxy transport against real `etcd grpc-proxy` processes: discovery
 * and failover among `--resolver-prefix` proxies, linearizable reads past the
 * proxy's stale cache, clamped emulated `created` headers, namespaces, and
 * watch creates the proxy never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { createGrpcProxyTransport } from '../../adapters/grpc-proxy/index.js';
import { mergeEndpoints, proxiesOf } from '../../adapters/grpc-proxy/discovery.js';
import { clampCreated, linearizable, linearizableTxn } from '../../adapters/grpc-proxy/semantics.js';
import { CompactedError, ConnectionError } from '../../src/errors.js';
import { connect } from '../../src/index.js';
import type { ResponseHeader, Transport, WatchCancel, WatcherListener, WireEvent } from '../../src/transport/index.js';
import { fetchMetrics, parseMetrics, pollUntil, startRelay, startSingle, sumMetric, type EtcdCluster, type GrpcProxy } from '../harness/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);

function recorder(): WatcherListener & { created: ResponseHeader[]; events: WireEvent[] } {
  const r = {
    created: [] as ResponseHeader[],
    events: [] as WireEvent[],
    onCreated: (h: ResponseHeader) => void r.created.push(h),
    onEvents: (e: WireEvent[]) => void r.events.push(...e),
    onProgress: () => undefined,
    onCanceled: () => undefined,
  };
  return r;
}

const until = (check: () => boolean, what: string, timeoutMs = 10_000): Promise<true> =>
  pollUntil(() => (check() ? true : undefined), { timeoutMs, intervalMs: 20, description: what });

const noStream = { onMessage: () => undefined, onError: () => undefined };

describe('grpc-proxy adapter: pure helpers', () => {
  it('discovers proxies, never etcd members, from a member list', () => {
    const header = { revision: 0n };
    expect(
      proxiesOf({
        header,
        members: [
          { id: 0n, name: 'p1', peerUrls: [], clientUrls: ['127.0.0.1:1001'], isLearner: false },
          { id: 0n, name: 'p2', peerUrls: [], clientUrls: ['http://127.0.0.1:1002'], isLearner: false },
          { id: 42n, name: 'etcd', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false },
        ],
      }),
    ).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);
    expect(mergeEndpoints(['http://127.0.0.1:1001'], ['127.0.0.1:1001', '127.0.0.1:1002'], '127.0.0.1:1002')).toEqual([
      '127.0.0.1:1002',
      'http://127.0.0.1:1001',
    ]);
  });

  it('makes every read linearizable, nested txns included', () => {
    expect(linearizable({ key: b('k'), serializable: true }).serializable).toBe(false);
    const txn = linearizableTxn({ compare: [], success: [{ txn: { compare: [], success: [{ range: { key: b('k'), serializable: true } }], failure: [] } }], failure: [] });
    const inner = txn.success[0]!;
    expect('txn' in inner && 'range' in inner.txn.success[0]! && inner.txn.success[0].range.serializable).toBe(false);
  });

  it('clamps a created header at or past the start revision', () => {
    const r = recorder();
    clampCreated({ key: b('k'), startRevision: 10n }, r).onCreated({ revision: 10n });
    clampCreated({ key: b('k'), startRevision: 10n }, r).onCreated({ revision: 7n });
    expect(r.created.map((h) => h.revision)).toEqual([9n, 7n]);
  });
});

describe('grpc-proxy adapter: proxies in front of one member', () => {
  let etcd: EtcdCluster;
  let p1: GrpcProxy;
  let p2: GrpcProxy;
  let plain: GrpcProxy;
  const opened: Transport[] = [];
  const track = <T extends Transport>(t: T): T => {
    opened.push(t);
    return t;
  };

  beforeAll(async () => {
    etcd = await startSingle({ name: 'grpc-proxy-adapter' });
    const group = { namespace: 'ns/', resolverPrefix: '___grpc_proxy_endpoint', resolverTtl: 5 };
    [p1, p2, plain] = await Promise.all([etcd.startGrpcProxy(group), etcd.startGrpcProxy(group), etcd.startGrpcProxy()]);
  });
  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
    await etcd?.stop();
  });

  it('has its name and capabilities', () => {
    const t = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
    expect(t.name).toBe('grpc-proxy');
    expect(t.capabilities).toEqual({ progressRequest: false, staleSerializableReads: true });
    expect(t.openWatch(noStream).requestProgress()).toBe(false);
  });

  it('discovers the other proxies of its group and fails over to them', async () => {
    const t = track(createGrpcProxyTransport({ endpoints: [p1.address], discoveryIntervalMs: 200 }));
    await until(() => t.endpoints.length === 2, 'the second proxy to be discovered', 20_000);
    expect([...t.endpoints].sort()).toEqual([p1.address, p2.address].sort());
    await t.put({ key: b('fo'), value: b('1') });
    await p1.kill();
    const got = await t.range({ key: b('fo') });
    expect(dec.decode(got.kvs[0]!.value)).toBe('1');
    // Through the proxies' --namespace:
    const direct = track(createGrpcTransport({ endpoints: etcd.endpoints }));
    expect((await direct.range({ key: b('ns/fo') })).count).toBe(1n);
  });

  it('never uses the etcd members a proxy without --resolver-prefix reports', async () => {
    const t = track(createGrpcProxyTransport({ endpoints: [plain.address] }));
    await t.discover();
    expect(t.endpoints).toEqual([plain.address]);
  });

  it('reads past the proxy cache: serializable reads are made linearizable', async () => {
    const raw = track(createGrpcTransport({ endpoints: [plain.address] }));
    const direct = track(createGrpcTransport({ endpoints: etcd.endpoints }));
    const t = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
    await raw.put({ key: b('cache/k'), value: b('v1') });
    expect(dec.decode((await raw.range({ key: b('cache/k'), serializable: true })).kvs[0]!.value)).toBe('v1');
    await direct.put({ key: b('cache/k'), value: b('v2') }); // past the proxy
    // The quirk: the proxy's cache still answers v1 to serializable reads.
    expect(dec.decode((await raw.range({ key: b('cache/k'), serializable: true })).kvs[0]!.value)).toBe('v1');
    expect(dec.decode((await t.range({ key: b('cache/k'), serializable: true })).kvs[0]!.value)).toBe('v2');
  });

  it('clamps the created header the proxy emulates for a watcher joining a running one', async () => {
    const first = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
    const rev = (await first.put({ key: b('join/k'), value: b('a') })).header.revision;
    const r1 = recorder();
    first.openWatch(noStream).watch({ key: b('join/k'), startRevision: rev }, r1);
    await until(() => r1.events.length === 1, 'the first watcher running');
    // A second client starting where the first one's server watcher stands joins it: emulated created.
    const rawSecond = track(createGrpcTransport({ endpoints: [plain.address] }));
    const raw = recorder();
    rawSecond.openWatch(noStream).watch({ key: b('join/k'), startRevision: rev + 1n }, raw);
    const second = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
    const r2 = recorder();
    second.openWatch(noStream).watch({ key: b('join/k'), startRevision: rev + 1n }, r2);
    await until(() => raw.created.length === 1 && r2.created.length === 1, 'created');
    expect(raw.created[0]!.revision).toBe(rev + 1n); // a revision that does not exist yet
    expect(r2.created[0]!.revision).toBe(rev);
    const next = (await first.put({ key: b('join/k'), value: b('b') })).header.revision;
    await until(() => r2.events.length === 1, 'the joined watcher sees the next write');
    expect(r2.events[0]!.kv.modRevision).toBe(next);
  });

  it('matches each pipelined watch create to its own watcher although the proxy answers them out of order', async () => {
    // etcd 3.4's proxy puts watchers of one range whose start is at or after a starting broadcast's into that
    // broadcast, and sends etcd's one created answer to them by ranging over a Go map (random order).
    // Creates of other clients queued ahead in the proxy's one upstream watch stream (it sends one create at a time)
    // keep the broadcast waiting for etcd's answer while the proxy adds the next watchers to it.
    const t = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
    const others = track(createGrpcTransport({ endpoints: [plain.address] }));
    const starts: bigint[] = [];
    for (let i = 0; i < 5; i++) starts.push((await t.put({ key: b('order/k'), value: b(String(i)) })).header.revision);
    for (let round = 0; round < 10; round++) {
      const noise = [0, 1, 2, 3].map(() => others.openWatch(noStream));
      const queued = noise.flatMap((s, j) =>
        Array.from({ length: 25 }, (_, i) => {
          const r = recorder();
          s.watch({ key: b(`order/other/${j}/${i}`) }, r);
          return r;
        }),
      );
      await until(() => queued.filter((r) => r.created.length > 0).length >= 4, 'a queue of other creates building up');
      const ws = t.openWatch(noStream);
      const rs = starts.map((startRevision) => {
        const r = recorder();
        ws.watch({ key: b('order/k'), startRevision }, r);
        return r;
      });
      // A mix-up moves events between watchers but keeps their total.
      await until(() => rs.reduce((n, r) => n + r.events.length, 0) === 15, 'every watcher replayed its history');
      ws.close();
      for (const s of noise) s.close();
      expect(rs.map((r) => r.events.map((e) => e.kv.modRevision)), `round ${round}`).toEqual(starts.map((_, i) => starts.slice(i)));
    }
  });

  it("never leaves a compacted watcher in the proxy that captures other clients' watchers of the range", async () => {
    // etcd 3.4's proxy keeps the broadcast of a watcher whose start was compacted (its etcd watcher is gone) until
    // that watcher is cancelled; meanwhile any client's watcher of the same range starting after it joins it and
    // never gets an event, even once the compacted one is cancelled (etcd-io/etcd#10650).
    const direct = track(createGrpcTransport({ endpoints: etcd.endpoints }));
    const key = b('dead/k');
    let rev = 0n;
    for (let i = 0; i < 3; i++) rev = (await direct.put({ key, value: b(String(i)) })).header.revision;
    await direct.compact({ revision: rev, physical: true });
    // A's answers are held by a relay, so the cancel A sends on its compaction answer comes late.
    const relay = await startRelay(plain.address);
    try {
      const a = track(createGrpcProxyTransport({ endpoints: [relay.address], discover: false }));
      await a.status();
      const sent = async (): Promise<number> => {
        const m = parseMetrics(await fetchMetrics(plain.metricsUrl));
        return sumMetric(m, 'grpc_server_msg_sent_total', { grpc_method: 'Watch' }) + sumMetric(m, 'grpc_server_msg_sent_total', { grpc_method: 'Range' });
      };
      const before = await sent();
      relay.delayReplies(1500);
      const ra = recorder();
      const canceled: WatchCancel[] = [];
      a.openWatch(noStream).watch({ key: b('dead/k'), startRevision: rev - 1n }, { ...ra, onCanceled: (c) => void canceled.push(c) });
      // The proxy answered A (its create, or with the fix the read that finds the start compacted).
      await pollUntil(async () => ((await sent()) > before ? true : undefined), { timeoutMs: 10_000, intervalMs: 20, description: 'the proxy answering A' });
      const other = track(createGrpcProxyTransport({ endpoints: [plain.address], discover: false }));
      const rb = recorder();
      other.openWatch(noStream).watch({ key: b('dead/k'), startRevision: rev + 1n }, rb);
      await until(() => rb.created.length === 1, 'the other watcher created');
      const next = (await direct.put({ key, value: b('next') })).header.revision;
      await until(() => rb.events.length === 1, "the other client's watcher seeing the next write");
      expect(rb.events[0]!.kv.modRevision).toBe(next);
      relay.restore();
      await until(() => canceled.length === 1, 'A told its start was compacted', 20_000);
      expect(canceled[0]!.error).toBeInstanceOf(CompactedError);
      expect(canceled[0]!.compactRevision).toBe(rev);
    } finally {
      await relay.close();
    }
  });

  it('composes its namespace with the proxy --namespace', async () => {
    const c = await connect({ endpoints: [p2.address], transport: 'grpc-proxy', namespace: 'app/' });
    try {
      await c.put('k', 'v');
      const direct = track(createGrpcTransport({ endpoints: etcd.endpoints }));
      expect(dec.decode((await direct.range({ key: b('ns/app/k') })).kvs[0]!.value)).toBe('v');
      expect((await c.getPrefix('')).map((kv) => kv.key)).toEqual(['k']);
    } finally {
      await c.close();
    }
  });

  it('fails the watch stream when the proxy never answers a create', async () => {
    const frozen = await etcd.startGrpcProxy();
    const t = track(createGrpcProxyTransport({ endpoints: [frozen.address], discover: false, watchCreateTimeoutMs: 500 }));
    await t.status(); // connected
    const errors: Error[] = [];
    const ws = t.openWatch({ onMessage: () => undefined, onError: (e) => errors.push(e) });
    frozen.pause();
    try {
      ws.watch({ key: b('frozen') }, recorder());
      await until(() => errors.length === 1, 'a stream error');
      expect(errors[0]).toBeInstanceOf(ConnectionError);
      expect(errors[0]!.message).toMatch(/did not answer a watch create/);
    } finally {
      frozen.resume();
    }
  });
});
