/**
 * The direct gRPC transport against one real etcd 3.4 member (local launcher: test/adapters/local-etcd.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport, type GrpcTransport } from '../../adapters/grpc/index.js';
import { AbortError, CompactedError } from '../../src/errors.js';
import type { ResponseHeader } from '../../src/transport/index.js';
import { pollUntil, startLocalEtcd, type LocalCluster } from './local-etcd.js';
import { b, expectRejects, hex, recorder, str, streamRecorder } from './recorders.js';

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

