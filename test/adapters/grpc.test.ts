/**
 * The direct gRPC transport against real etcd 3.4 processes (local launcher:
 * test/adapters/local-etcd.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport, parseCancelReason, type GrpcTransport } from '../../adapters/grpc/index.js';
import { isReadOnlyTxn } from '../../adapters/shared/retry-safety.js';
import { parseEndpoint } from '../../adapters/grpc/endpoints.js';
import { AbortError, AuthError, CompactedError, ConnectionError, InvalidArgumentError, TimeoutError } from '../../src/errors.js';
import type { ResponseHeader, WatchCancel, WatcherListener, WireEvent } from '../../src/transport/index.js';
import { startFakeEtcd, startRelay, type FakeEtcd, type Relay } from './fake-etcd.js';
import { rmSync } from 'node:fs';
import { freePort, makeTestPki, pollUntil, startLocalEtcd, type LocalCluster, type TestPki } from './local-etcd.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const str = (u: Uint8Array): string => Buffer.from(u).toString('utf8');

/** A WatcherListener that records everything. */
function recorder(): WatcherListener & {
  created: ResponseHeader[];
  events: WireEvent[];
  progress: ResponseHeader[];
  canceled: WatchCancel[];
} {
  const r = {
    created: [] as ResponseHeader[],
    events: [] as WireEvent[],
    progress: [] as ResponseHeader[],
    canceled: [] as WatchCancel[],
    onCreated: (h: ResponseHeader) => void r.created.push(h),
    onEvents: (e: WireEvent[]) => void r.events.push(...e),
    onProgress: (h: ResponseHeader) => void r.progress.push(h),
    onCanceled: (c: WatchCancel) => void r.canceled.push(c),
  };
  return r;
}

/** Stream handlers that record. */
function streamRecorder<T>(): { messages: T[]; errors: Error[]; onMessage(m: T): void; onError(e: Error): void } {
  const r = {
    messages: [] as T[],
    errors: [] as Error[],
    onMessage: (m: T) => void r.messages.push(m),
    onError: (e: Error) => void r.errors.push(e),
  };
  return r;
}

async function expectRejects<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a rejection with ${type.name}`);
}

describe('grpc adapter: pure helpers', () => {
  it('parses endpoints', () => {
    expect(parseEndpoint('127.0.0.1:2379')).toMatchObject({ host: '127.0.0.1', port: 2379, scheme: undefined });
    expect(parseEndpoint('http://localhost:23790/')).toMatchObject({ host: 'localhost', port: 23790, scheme: 'http' });
    expect(parseEndpoint('https://[::1]:2379')).toMatchObject({ host: '::1', port: 2379, scheme: 'https' });
    expect(parseEndpoint('etcd.example')).toMatchObject({ host: 'etcd.example', port: 2379 });
    expect(() => parseEndpoint('unix:///tmp/x')).toThrow(InvalidArgumentError);
    expect(() => parseEndpoint('host:99999')).toThrow(InvalidArgumentError);
  });

  it('parses cancel reasons', () => {
    expect(parseCancelReason('rpc error: code = PermissionDenied desc = etcdserver: permission denied')).toEqual({
      code: 7,
      message: 'etcdserver: permission denied',
    });
    expect(parseCancelReason('rpc error: code = Unauthenticated desc = etcdserver: invalid auth token').code).toBe(16);
    expect(parseCancelReason('something else')).toEqual({ code: 2, message: 'something else' });
  });

  it('classifies read-only txns', () => {
    const range = { range: { key: b('a') } };
    const put = { put: { key: b('a'), value: b('') } };
    expect(isReadOnlyTxn({ compare: [], success: [range], failure: [{ txn: { compare: [], success: [range], failure: [] } }] })).toBe(true);
    expect(isReadOnlyTxn({ compare: [], success: [range], failure: [{ txn: { compare: [], success: [put], failure: [] } }] })).toBe(false);
  });

  it('refuses malformed options', () => {
    expect(() => createGrpcTransport({ endpoints: ['ftp://x:1'] })).toThrow(InvalidArgumentError);
    expect(() => createGrpcTransport({ endpoints: ['http://a:1', 'https://b:2'] })).toThrow(InvalidArgumentError);
    expect(() => createGrpcTransport({ endpoints: [] })).toThrow(InvalidArgumentError);
    expect(() => createGrpcTransport({ endpoints: ['a:1'], tls: { key: 'x' } })).toThrow(InvalidArgumentError);
  });
});

describe('grpc adapter: retry rule (fake etcd behind a relay that crashes mid-call)', () => {
  // Endpoint A: a relay to fake server 1, cut while server 1 holds the call. Endpoint B: fake server 2.
  let one: FakeEtcd;
  let two: FakeEtcd;
  let relay: Relay;
  let t: GrpcTransport;

  beforeAll(async () => {
    one = await startFakeEtcd();
    two = await startFakeEtcd();
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
  });

  async function setup(): Promise<void> {
    relay = await startRelay(one.port);
    one.received.clear();
    two.received.clear();
    for (const m of ['Range', 'Put', 'Txn'] as const) one.handle(m, () => relay.cut()); // dies holding the call
    t = createGrpcTransport({ endpoints: [relay.address, two.address], dialTimeoutMs: 1000 });
  }
  async function teardown(): Promise<void> {
    await t.close();
    await relay.stop();
  }

  it('re-sends an idempotent range on the next endpoint', async () => {
    await setup();
    try {
      const res = await t.range({ key: b('k') });
      expect(res.header.revision).toBe(3n);
      expect(one.received.get('Range')).toBe(1);
      expect(two.received.get('Range')).toBe(1);
      expect(t.currentPeer).toBe(two.address);
    } finally {
      await teardown();
    }
  });

  it('re-sends a read-only txn, not a write txn', async () => {
    await setup();
    try {
      await t.txn({ compare: [], success: [{ range: { key: b('k') } }], failure: [] });
      expect(one.received.get('Txn')).toBe(1);
      expect(two.received.get('Txn')).toBe(1);
    } finally {
      await teardown();
    }
    await setup();
    try {
      const err = await expectRejects(
        t.txn({ compare: [], success: [{ put: { key: b('k'), value: b('v') } }], failure: [] }),
        ConnectionError,
      );
      expect(err.retryable).toBe(true);
      expect(one.received.get('Txn')).toBe(1);
      expect(two.received.get('Txn') ?? 0).toBe(0);
    } finally {
      await teardown();
    }
  });

  it('never re-sends a put that reached a server; rejects with a retryable ConnectionError', async () => {
    await setup();
    try {
      const err = await expectRejects(t.put({ key: b('k'), value: b('v') }), ConnectionError);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/may or may not have been applied/);
      expect(one.received.get('Put')).toBe(1);
      expect(two.received.get('Put') ?? 0).toBe(0);
      // The next put goes to the live endpoint.
      await t.put({ key: b('k'), value: b('v') });
      expect(two.received.get('Put')).toBe(1);
    } finally {
      await teardown();
    }
  });

  it('sends a put that could not be sent anywhere yet once a member is reachable', async () => {
    // Only a closed port at first: the put waits (never sent), then B is the only endpoint that answers.
    const closed = await freePort();
    two.received.clear();
    const t2 = createGrpcTransport({ endpoints: [`127.0.0.1:${closed}`, two.address], dialTimeoutMs: 1000 });
    try {
      await t2.put({ key: b('k'), value: b('v') });
      expect(two.received.get('Put')).toBe(1);
    } finally {
      await t2.close();
    }
  });

  it('cancels an in-flight call on abort and bounds it by callTimeoutMs', async () => {
    let cancelled = 0;
    two.handle('Range', (call) => call.on('cancelled', () => cancelled++)); // never answers
    const t2 = createGrpcTransport({ endpoints: [two.address], callTimeoutMs: 400 });
    try {
      const ac = new AbortController();
      const p = t2.range({ key: b('k') }, { signal: ac.signal });
      await pollUntil(() => (two.received.get('Range') ?? 0) >= 1, 2000, 5);
      const before = two.received.get('Range');
      ac.abort();
      await expectRejects(p, AbortError);
      await pollUntil(() => cancelled === 1, 2000, 5);
      const started = Date.now();
      await expectRejects(t2.range({ key: b('k') }), TimeoutError);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(two.received.get('Range')).toBe(before! + 1);
      // close() fails calls in flight with ClosedError.
      const t3 = createGrpcTransport({ endpoints: [two.address] });
      const pending = t3.range({ key: b('k') });
      const count = two.received.get('Range')!;
      await pollUntil(() => two.received.get('Range') === count + 1, 2000, 5);
      await t3.close();
      await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    } finally {
      two.handle('Range', (_c, cb) => cb(null, { kvs: [] }));
      await t2.close();
    }
  });
});

describe('grpc adapter: single member', () => {
  let etcd: LocalCluster;
  let t: GrpcTransport;

  beforeAll(async () => {
    etcd = await startLocalEtcd({ args: ['--experimental-watch-progress-notify-interval', '300ms'] });
    t = createGrpcTransport({ endpoints: etcd.endpoints });
    await t.connect();
  });
  afterAll(async () => {
    await t?.close();
    await etcd?.stop();
  });

  it('has its name and capabilities', () => {
    expect(t.name).toBe('grpc');
    expect(t.capabilities).toEqual({ progressRequest: true, staleSerializableReads: false });
    const proxy = createGrpcTransport({ endpoints: etcd.endpoints, name: 'grpc-proxy', capabilities: { progressRequest: false } });
    expect(proxy.name).toBe('grpc-proxy');
    expect(proxy.capabilities.progressRequest).toBe(false);
    void proxy.close();
  });

  it('round-trips binary keys and values', async () => {
    const key = Uint8Array.of(0xff, 0x00, 0xfe, 0x80, 0x01);
    const value = Uint8Array.of(0x00, 0xc3, 0x28, 0xff, 0xff, 0x00);
    const put = await t.put({ key, value });
    expect(put.header.revision).toBeGreaterThan(0n);
    expect(put.header.clusterId).toBeGreaterThan(0n);
    const got = await t.range({ key });
    expect(got.count).toBe(1n);
    expect(got.kvs).toHaveLength(1);
    const kv = got.kvs[0]!;
    expect(hex(kv.key)).toBe(hex(key));
    expect(hex(kv.value)).toBe(hex(value));
    expect(kv.createRevision).toBe(put.header.revision);
    expect(kv.modRevision).toBe(put.header.revision);
    expect(kv.version).toBe(1n);
    expect(kv.lease).toBe(0n);
    const prev = await t.put({ key, value: b('v2'), prevKv: true });
    expect(prev.prevKv && hex(prev.prevKv.value)).toBe(hex(value));
    const missing = await t.range({ key: b('rt/absent') });
    expect(missing).toMatchObject({ kvs: [], count: 0n, more: false });
  });

  it('ranges with range_end, limit, sort, keys/count only', async () => {
    for (const k of ['r/a', 'r/b', 'r/c', 'r/d']) await t.put({ key: b(k), value: b(`v-${k}`) });
    const all = await t.range({ key: b('r/'), rangeEnd: b('r0') });
    expect(all.kvs.map((kv) => str(kv.key))).toEqual(['r/a', 'r/b', 'r/c', 'r/d']);
    const limited = await t.range({ key: b('r/'), rangeEnd: b('r0'), limit: 2n, sortOrder: 'descend', sortTarget: 'key' });
    expect(limited.kvs.map((kv) => str(kv.key))).toEqual(['r/d', 'r/c']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(4n);
    const byCreate = await t.range({ key: b('r/'), rangeEnd: b('r0'), sortOrder: 'ascend', sortTarget: 'create', keysOnly: true });
    expect(byCreate.kvs.map((kv) => str(kv.key))).toEqual(['r/a', 'r/b', 'r/c', 'r/d']);
    expect(byCreate.kvs[0]!.value).toHaveLength(0);
    const counted = await t.range({ key: b('r/'), rangeEnd: b('r0'), countOnly: true });
    expect(counted.count).toBe(4n);
    expect(counted.kvs).toEqual([]);
    const fromKey = await t.range({ key: b('r/c'), rangeEnd: Uint8Array.of(0) });
    expect(fromKey.kvs.map((kv) => str(kv.key)).slice(0, 2)).toEqual(['r/c', 'r/d']);
  });

  it('deletes ranges with prevKv', async () => {
    for (const k of ['d/1', 'd/2', 'd/3']) await t.put({ key: b(k), value: b(k) });
    const res = await t.deleteRange({ key: b('d/'), rangeEnd: b('d0'), prevKv: true });
    expect(res.deleted).toBe(3n);
    expect(res.prevKvs.map((kv) => str(kv.value))).toEqual(['d/1', 'd/2', 'd/3']);
    const none = await t.deleteRange({ key: b('d/1') });
    expect(none.deleted).toBe(0n);
    expect(none.prevKvs).toEqual([]);
  });

  it('runs txns: both branches and nested', async () => {
    const key = b('txn/k');
    const txn = () =>
      t.txn({
        compare: [{ target: 'create', result: 'equal', key, value: 0n }],
        success: [{ put: { key, value: b('first') } }],
        failure: [{ range: { key } }],
      });
    const first = await txn();
    expect(first.succeeded).toBe(true);
    expect(first.responses).toHaveLength(1);
    expect('put' in first.responses[0]!).toBe(true);
    const second = await txn();
    expect(second.succeeded).toBe(false);
    const r = second.responses[0]!;
    expect('range' in r && str(r.range.kvs[0]!.value)).toBe('first');

    const nested = await t.txn({
      compare: [
        { target: 'value', result: 'equal', key, value: b('first') },
        { target: 'version', result: 'greater', key, value: 0n },
        { target: 'mod', result: 'less', key, value: 1_000_000n },
        { target: 'lease', result: 'equal', key, value: 0n },
      ],
      success: [
        {
          txn: {
            compare: [{ target: 'value', result: 'not-equal', key, value: b('first') }],
            success: [{ deleteRange: { key } }],
            failure: [{ put: { key: b('txn/nested'), value: b('inner') } }, { range: { key: b('txn/'), rangeEnd: b('txn0') } }],
          },
        },
      ],
      failure: [],
    });
    expect(nested.succeeded).toBe(true);
    const inner = nested.responses[0]!;
    expect('txn' in inner).toBe(true);
    if (!('txn' in inner)) return;
    expect(inner.txn.succeeded).toBe(false);
    expect(inner.txn.responses).toHaveLength(2);
    const innerRange = inner.txn.responses[1]!;
    expect('range' in innerRange && innerRange.range.kvs.map((kv) => str(kv.key))).toEqual(['txn/k', 'txn/nested']);
  });

  it('reports compaction on range and watch', async () => {
    const key = b('compact/k');
    const r1 = await t.put({ key, value: b('1') });
    await t.put({ key, value: b('2') });
    const r3 = await t.put({ key, value: b('3') });
    await t.compact({ revision: r3.header.revision, physical: true });
    const err = await expectRejects(t.range({ key, revision: r1.header.revision }), CompactedError);
    expect(err.code).toBe('COMPACTED');

    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    const rec = recorder();
    ws.watch({ key, startRevision: r1.header.revision }, rec);
    await pollUntil(() => rec.canceled.length === 1, 5000);
    const cancel = rec.canceled[0]!;
    expect(cancel.compactRevision).toBe(r3.header.revision);
    expect(cancel.error).toBeInstanceOf(CompactedError);
    expect((cancel.error as CompactedError).compactRevision).toBe(r3.header.revision);
    expect(rec.events).toEqual([]);
    expect(handlers.errors).toEqual([]);
    ws.close();
  });

  it('grants, inspects, keeps alive and revokes leases', async () => {
    const grant = await t.leaseGrant({ ttl: 30n });
    expect(grant.id).toBeGreaterThan(0n);
    expect(grant.ttl).toBe(30n);
    await t.put({ key: b('lease/k'), value: b('v'), lease: grant.id });
    const ttl = await t.leaseTimeToLive(grant.id, { keys: true });
    expect(ttl.id).toBe(grant.id);
    expect(ttl.grantedTtl).toBe(30n);
    expect(ttl.ttl).toBeGreaterThan(0n);
    expect(ttl.keys.map(str)).toEqual(['lease/k']);
    const kv = (await t.range({ key: b('lease/k') })).kvs[0]!;
    expect(kv.lease).toBe(grant.id);

    // Client-chosen id (a large int64 must survive exactly).
    const big = 0x7fff_ffff_ffff_0001n;
    const custom = await t.leaseGrant({ ttl: 10n, id: big });
    expect(custom.id).toBe(big);

    const handlers = streamRecorder<{ header: ResponseHeader; id: bigint; ttl: bigint }>();
    const ka = t.openLeaseKeepAlive(handlers);
    ka.send(grant.id);
    ka.send(big);
    await pollUntil(() => handlers.messages.length >= 2, 5000);
    const byId = new Map(handlers.messages.map((m) => [m.id, m]));
    expect(byId.get(grant.id)!.ttl).toBe(30n);
    expect(byId.get(big)!.ttl).toBe(10n);

    await t.leaseRevoke(grant.id);
    await t.leaseRevoke(grant.id); // gone already: still resolves
    expect((await t.leaseTimeToLive(grant.id)).ttl).toBe(-1n);
    expect((await t.range({ key: b('lease/k') })).kvs).toEqual([]);
    const before = handlers.messages.length;
    ka.send(grant.id);
    await pollUntil(() => handlers.messages.length > before, 5000);
    expect(handlers.messages.at(-1)!.ttl).toBeLessThanOrEqual(0n);
    expect(handlers.errors).toEqual([]);
    ka.close();
    ka.close();
    await t.leaseRevoke(big);
  });

  it('multiplexes 200 watchers created at once and routes events', async () => {
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    const n = 200;
    const recs = Array.from({ length: n }, () => recorder());
    const started = Date.now();
    const handles = recs.map((rec, i) => ws.watch({ key: b(`w200/${i}`), prevKv: true }, rec));
    await pollUntil(() => recs.every((r) => r.created.length === 1), 10_000, 10);
    const createdMs = Date.now() - started;
    // One put per key: each watcher sees exactly its own key.
    await Promise.all(recs.map((_, i) => t.put({ key: b(`w200/${i}`), value: b(`v${i}`) })));
    await pollUntil(() => recs.every((r) => r.events.length === 1), 10_000, 10);
    recs.forEach((r, i) => {
      expect(str(r.events[0]!.kv.key)).toBe(`w200/${i}`);
      expect(str(r.events[0]!.kv.value)).toBe(`v${i}`);
      expect(r.events[0]!.type).toBe('put');
    });
    // Cancel the even ones; deletes reach only the odd ones.
    handles.forEach((h, i) => i % 2 === 0 && h.cancel());
    await Promise.all(recs.map((_, i) => t.deleteRange({ key: b(`w200/${i}`) })));
    await pollUntil(() => recs.every((r, i) => i % 2 === 0 || r.events.length === 2), 10_000, 10);
    // A marker on an odd key, sent after everything else, proves nothing more is coming for the even ones.
    await t.put({ key: b('w200/1'), value: b('marker') });
    await pollUntil(() => recs[1]!.events.length === 3, 5000);
    recs.forEach((r, i) => {
      if (i % 2 === 0) expect(r.events).toHaveLength(1);
      else {
        expect(r.events[1]!.type).toBe('delete');
        expect(str(r.events[1]!.prevKv!.value)).toBe(`v${i}`);
      }
    });
    expect(recs.every((r) => r.canceled.length === 0)).toBe(true);
    expect(handlers.errors).toEqual([]);
    ws.close();
    console.info(`200 pipelined watch creates took ${createdMs} ms`);
  });

  it('cancels a watcher before it was created', async () => {
    const ws = t.openWatch(streamRecorder<ResponseHeader>());
    const early = recorder();
    const late = recorder();
    ws.watch({ key: b('early/k') }, early).cancel();
    ws.watch({ key: b('early/k') }, late);
    await pollUntil(() => late.created.length === 1, 5000);
    await t.put({ key: b('early/k'), value: b('x') });
    await pollUntil(() => late.events.length === 1, 5000);
    expect(early.created).toEqual([]);
    expect(early.events).toEqual([]);
    ws.close();
  });

  it('answers a progress request with a stream-wide header', async () => {
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    const rec = recorder();
    ws.watch({ key: b('progress/k') }, rec);
    await pollUntil(() => rec.created.length === 1, 5000);
    const put = await t.put({ key: b('progress/other'), value: b('x') });
    expect(ws.requestProgress()).toBe(true);
    await pollUntil(() => handlers.messages.length >= 1, 5000);
    expect(handlers.messages[0]!.revision).toBeGreaterThanOrEqual(put.header.revision);
    expect(rec.progress).toEqual([]);
    ws.close();
    expect(ws.requestProgress()).toBe(false);
  });

  it('delivers per-watcher progress notifications as onProgress', async () => {
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    const rec = recorder();
    const quiet = recorder();
    ws.watch({ key: b('pn/k'), progressNotify: true }, rec);
    ws.watch({ key: b('pn/quiet') }, quiet);
    await pollUntil(() => rec.created.length === 1, 5000);
    const put = await t.put({ key: b('pn/other'), value: b('x') });
    await pollUntil(() => rec.progress.some((h) => h.revision >= put.header.revision), 5000);
    expect(rec.events).toEqual([]);
    expect(quiet.progress).toEqual([]);
    expect(handlers.messages).toEqual([]);
    ws.close();
  });

  it('applies watch filters', async () => {
    const ws = t.openWatch(streamRecorder<ResponseHeader>());
    const rec = recorder();
    ws.watch({ key: b('filter/k'), filters: ['noput'] }, rec);
    await pollUntil(() => rec.created.length === 1, 5000);
    await t.put({ key: b('filter/k'), value: b('x') });
    await t.deleteRange({ key: b('filter/k') });
    await pollUntil(() => rec.events.length === 1, 5000);
    expect(rec.events[0]!.type).toBe('delete');
    ws.close();
  });

  it('aborts calls with AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectRejects(t.range({ key: b('abort') }, { signal: ac.signal }), AbortError);
    const ac2 = new AbortController();
    const p = t.range({ key: b('abort') }, { signal: ac2.signal });
    ac2.abort();
    await expectRejects(p, AbortError);
    // A call in flight: a txn on a big range, aborted right after it is sent.
    const ac3 = new AbortController();
    const p3 = t.put({ key: b('abort/k'), value: new Uint8Array(512 * 1024) }, { signal: ac3.signal });
    queueMicrotask(() => ac3.abort(new Error('stop')));
    await expectRejects(p3, AbortError);
  });

  it('reads member list and status', async () => {
    const members = await t.memberList();
    expect(members.members).toHaveLength(1);
    expect(members.members[0]!.clientUrls).toEqual(etcd.endpoints);
    expect(members.members[0]!.id).toBeGreaterThan(0n);
    const st = await t.status();
    expect(st.version).toMatch(/^3\./);
    expect(st.leader).toBe(members.members[0]!.id);
    expect(st.dbSize).toBeGreaterThan(0n);
  });

  it('works with credentials on a cluster without auth (no token sent)', async () => {
    const t2 = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'root', password: 'x' } });
    await t2.connect();
    await t2.put({ key: b('noauth/k'), value: b('v') });
    expect((await t2.range({ key: b('noauth/k') })).count).toBe(1n);
    await t2.close();
  });

  it('close() ends streams silently and is idempotent', async () => {
    const t2 = createGrpcTransport({ endpoints: etcd.endpoints });
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t2.openWatch(handlers);
    const rec = recorder();
    ws.watch({ key: b('close/k') }, rec);
    await pollUntil(() => rec.created.length === 1, 5000);
    await t2.close();
    await t2.close();
    await t.put({ key: b('close/k'), value: b('x') });
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.events).toEqual([]);
    expect(handlers.errors).toEqual([]);
    await expect(t2.range({ key: b('x') })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('grpc adapter: unreachable endpoints', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
  });

  it('fails a closed port with ConnectionError at once (never connected, every endpoint refused), ECONNREFUSED in the message', async () => {
    const port = await freePort();
    const t = createGrpcTransport({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 1000 });
    const started = Date.now();
    const err = await expectRejects(t.range({ key: b('x') }), ConnectionError);
    const elapsed = Date.now() - started;
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(elapsed).toBeLessThan(1600);
    // Writes too (never sent, so never applied).
    await expectRejects(t.put({ key: b('x'), value: b('y') }), ConnectionError);
    await expectRejects(t.connect(), ConnectionError);
    await t.close();
  });

  it('fails a silent (blackholed) server with ConnectionError within dialTimeoutMs', async () => {
    silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const t = createGrpcTransport({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 800 });
    const started = Date.now();
    await expectRejects(t.range({ key: b('x') }), ConnectionError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(1400);
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    ws.watch({ key: b('x') }, recorder());
    await pollUntil(() => handlers.errors.length === 1, 3000);
    expect(handlers.errors[0]).toBeInstanceOf(ConnectionError);
    await t.close();
  });
});

describe('grpc adapter: failover in a 3-member cluster', () => {
  let etcd: LocalCluster;
  beforeAll(async () => {
    etcd = await startLocalEtcd({ size: 3 });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('moves to a live member when the one in use is killed', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, dialTimeoutMs: 2000 });
    try {
      const first = await t.range({ key: b('fo/k') });
      // pick_first: the first endpoint; cross-checked with the answering member's id.
      const peer = t.currentPeer;
      expect(Object.keys(t)).not.toContain('currentPeer');
      const victim = etcd.members.find((m) => m.clientAddress === peer)!;
      expect(victim).toBeDefined();
      expect(victim).toBe(etcd.members[0]);
      const { members } = await t.memberList();
      expect(members.find((m) => m.id === first.header.memberId)!.clientUrls).toEqual([victim.clientUrl]);
      const victimWasLeader = (await t.status()).leader === first.header.memberId;

      const handlers = streamRecorder<ResponseHeader>();
      let watchErrorAt = 0;
      const ws = t.openWatch({
        onMessage: handlers.onMessage,
        onError: (e) => {
          watchErrorAt = Date.now();
          handlers.onError(e);
        },
      });
      const rec = recorder();
      ws.watch({ key: b('fo/k') }, rec);
      await pollUntil(() => rec.created.length === 1, 5000);

      // Keep reads flowing while the member dies: none may fail.
      let stop = false;
      let reads = 0;
      const readLoop = (async () => {
        while (!stop) {
          await t.range({ key: b('fo/k') });
          reads++;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));

      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const exitedAt = Date.now();
      const res = await t.range({ key: b('fo/k') });
      const failoverMs = Date.now() - exitedAt;
      expect(failoverMs).toBeLessThan(2000);
      expect(res.header.memberId).not.toBe(first.header.memberId);
      expect(t.currentPeer === victim.clientAddress).toBe(false);

      await pollUntil(() => handlers.errors.length === 1, 5000);
      const watchErrorMs = watchErrorAt - killedAt;
      expect(handlers.errors[0]).toBeInstanceOf(ConnectionError);

      // Writes work on the new member.
      await t.put({ key: b('fo/k'), value: b('after') });
      stop = true;
      await readLoop;
      expect(reads).toBeGreaterThan(0);
      console.info(
        `failover (victim ${victimWasLeader ? 'was' : 'was not'} the leader): kill -9 -> exit ${exitedAt - killedAt} ms; ` +
          `exit -> next range ok ${failoverMs} ms; ` +
          `kill -> watch onError ${watchErrorMs} ms; ${reads} concurrent reads, 0 failed`,
      );
      ws.close();
    } finally {
      await t.close();
      await etcd.members[0]!.restart();
    }
  });

  it('never duplicates a write cut by a dying member', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, dialTimeoutMs: 2000 });
    try {
      await t.range({ key: b('dup') });
      const victim = etcd.members.find((m) => m.clientAddress === t.currentPeer)!;
      const key = b('dup/counter');
      let ok = 0;
      let unknown = 0;
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            await t.put({ key, value: b(String(i)) });
            ok++;
          } catch (err) {
            expect(err).toBeInstanceOf(ConnectionError);
            expect((err as ConnectionError).retryable).toBe(true);
            unknown++;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await victim.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await writer;
      const kv = (await t.range({ key })).kvs[0]!;
      // Every put is one version: duplicates would push the version past the attempts.
      expect(kv.version).toBeLessThanOrEqual(BigInt(ok + unknown));
      expect(kv.version).toBeGreaterThanOrEqual(BigInt(ok));
      console.info(`writes during failover: ${ok} ok, ${unknown} outcome-unknown (ConnectionError)`);
    } finally {
      await t.close();
      for (const m of etcd.members) if (!m.alive) await m.restart();
    }
  });
});

describe('grpc adapter: auth', () => {
  let etcd: LocalCluster;
  beforeAll(async () => {
    etcd = await startLocalEtcd({ args: ['--auth-token', 'simple', '--auth-token-ttl', '2'] });
    await etcd.etcdctl(['user', 'add', 'root:pw']);
    await etcd.etcdctl(['role', 'add', 'reader']);
    await etcd.etcdctl(['role', 'grant-permission', 'reader', '--prefix=true', 'read', 'allowed/']);
    await etcd.etcdctl(['user', 'add', 'reader:pw2']);
    await etcd.etcdctl(['user', 'grant-role', 'reader', 'reader']);
    await etcd.etcdctl(['auth', 'enable']);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('rejects a wrong password with AuthError', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'root', password: 'nope' } });
    const err = await expectRejects(t.range({ key: b('a') }), AuthError);
    expect(err.code).toBe('AUTH_FAILED');
    await expectRejects(t.connect(), AuthError);
    await t.close();
  });

  it('cancels a watcher on a key the user may not read, keeping the stream', async () => {
    const root = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'root', password: 'pw' } });
    const reader = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'reader', password: 'pw2' } });
    try {
      await expectRejects(reader.range({ key: b('denied/x') }), AuthError).then((e) => expect(e.code).toBe('PERMISSION_DENIED'));
      const handlers = streamRecorder<ResponseHeader>();
      const ws = reader.openWatch(handlers);
      const allowed = recorder();
      const denied = recorder();
      ws.watch({ key: b('allowed/x') }, allowed);
      ws.watch({ key: b('denied/x') }, denied);
      await pollUntil(() => denied.canceled.length === 1 && allowed.created.length === 1, 5000);
      const c = denied.canceled[0]!;
      expect(c.error).toBeInstanceOf(AuthError);
      expect((c.error as AuthError).code).toBe('PERMISSION_DENIED');
      expect(c.reason).toMatch(/PermissionDenied/);
      await root.put({ key: b('allowed/x'), value: b('v') });
      await pollUntil(() => allowed.events.length === 1, 5000);
      expect(handlers.errors).toEqual([]);
      ws.close();
    } finally {
      await root.close();
      await reader.close();
    }
  });

  it('refuses calls without credentials', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints });
    await expectRejects(t.range({ key: b('a') }), AuthError);
    await t.close();
  });

  it('authenticates lazily and refreshes an expired token', async () => {
    // Records "<method> <status code>" of every call the channel makes.
    const calls: string[] = [];
    const recordStatus: grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, _listener, next) {
          next(metadata, {
            onReceiveStatus(status, nextStatus) {
              calls.push(`${options.method_definition.path.split('/').pop()} ${status.code}`);
              nextStatus(status);
            },
          });
        },
      });
    const t = createGrpcTransport({
      endpoints: etcd.endpoints,
      auth: { username: 'root', password: 'pw' },
      channelOptions: { interceptors: [recordStatus] },
    });
    try {
      await t.put({ key: b('auth/k'), value: b('v') });
      expect(str((await t.range({ key: b('auth/k') })).kvs[0]!.value)).toBe('v');
      expect(calls).toEqual(['Authenticate 0', 'Put 0', 'Range 0']);
      const direct = await t.authenticate('root', 'pw');
      expect(direct.token).toMatch(/\./);
      // Simple tokens expire after --auth-token-ttl (2 s) of disuse.
      await new Promise((r) => setTimeout(r, 3500));
      calls.length = 0;
      // Two concurrent calls with the expired token: one re-authentication, each call retried once.
      await Promise.all([t.put({ key: b('auth/k'), value: b('v2') }), t.range({ key: b('auth/other') })]);
      expect(calls.filter((c) => c.startsWith('Authenticate'))).toEqual(['Authenticate 0']);
      expect(calls.filter((c) => c.startsWith('Put'))).toEqual(['Put 16', 'Put 0']);
      expect(calls.filter((c) => c.startsWith('Range'))).toEqual(['Range 16', 'Range 0']);
      expect(str((await t.range({ key: b('auth/k') })).kvs[0]!.value)).toBe('v2');

      // Streams use the current token; one that died of an expired token is reopened with a fresh one.
      const h1 = streamRecorder<ResponseHeader>();
      const ws1 = t.openWatch(h1);
      const r1 = recorder();
      ws1.watch({ key: b('auth/w') }, r1);
      await pollUntil(() => r1.created.length === 1, 5000);
      await new Promise((r) => setTimeout(r, 3500));
      ws1.watch({ key: b('auth/w2') }, recorder());
      await pollUntil(() => h1.errors.length === 1, 5000);
      expect(h1.errors[0]).toBeInstanceOf(AuthError);
      const h2 = streamRecorder<ResponseHeader>();
      const ws2 = t.openWatch(h2);
      const r2 = recorder();
      ws2.watch({ key: b('auth/w') }, r2);
      await pollUntil(() => r2.created.length === 1, 5000);
      expect(r2.canceled).toEqual([]);
      ws2.close();
    } finally {
      await t.close();
    }
  });
});

describe('grpc adapter: TLS', () => {
  let pki: TestPki;
  let etcd: LocalCluster;
  let port: number;
  beforeAll(async () => {
    pki = await makeTestPki();
    etcd = await startLocalEtcd({ pki });
    port = Number(etcd.members[0]!.clientAddress.split(':')[1]);
  });
  afterAll(async () => {
    await etcd?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const clientTls = () => ({ ca: pki.ca, cert: pki.clientCert, key: Buffer.from(pki.clientKey) });

  it('connects with a CA and client certificate (host name and IP endpoints)', async () => {
    for (const endpoint of [`https://localhost:${port}`, `https://127.0.0.1:${port}`, `127.0.0.1:${port}`]) {
      const t = createGrpcTransport({ endpoints: [endpoint], tls: clientTls() });
      try {
        await t.put({ key: b('tls/k'), value: b(endpoint) });
        expect(str((await t.range({ key: b('tls/k') })).kvs[0]!.value)).toBe(endpoint);
      } finally {
        await t.close();
      }
    }
  });

  it('checks the server name', async () => {
    const t = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], tls: { ...clientTls(), serverName: 'wrong.example' }, dialTimeoutMs: 1000 });
    await expectRejects(t.range({ key: b('x') }), ConnectionError);
    await t.close();
    const ok = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], tls: { ...clientTls(), serverName: 'localhost' } });
    await ok.range({ key: b('x') });
    await ok.close();
  });

  it('skips verification with insecureSkipVerify', async () => {
    const t = createGrpcTransport({
      endpoints: [`https://127.0.0.1:${port}`],
      tls: { cert: pki.clientCert, key: pki.clientKey, insecureSkipVerify: true },
    });
    await t.range({ key: b('x') });
    await t.close();
  });

  it('fails with ConnectionError when the server is not trusted or the client has no certificate', async () => {
    const systemRoots = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], dialTimeoutMs: 800 });
    await expectRejects(systemRoots.range({ key: b('x') }), ConnectionError);
    await systemRoots.close();
    const noClientCert = createGrpcTransport({ endpoints: [`https://localhost:${port}`], tls: { ca: pki.ca }, dialTimeoutMs: 800 });
    await expectRejects(noClientCert.range({ key: b('x') }), ConnectionError);
    await noClientCert.close();
    const plain = createGrpcTransport({ endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 800 });
    await expectRejects(plain.range({ key: b('x') }), ConnectionError);
    await plain.close();
  });
});
