/**
 * The HTTP (JSON gateway) transport against real etcd 3.4 processes.
 */
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { LeaseKeepAliveResponseSchema } from '../../adapters/shared/gen/etcdserverpb/rpc_pb.js';
import { EventSchema, KeyValueSchema } from '../../adapters/shared/gen/mvccpb/kv_pb.js';
import { event, keyValue, leaseKeepAliveResponse } from '../../adapters/shared/wire/responses.js';
import { eventOfJson } from '../../adapters/http/watch-events.js';
import { decodeWatchResult, fromGateway, toGateway } from '../../adapters/http/codec.js';
import { createHttpTransport, parseCancelReason } from '../../adapters/http/index.js';
import { AbortError, ClosedError, CompactedError, ConnectionError, EtcdError, InvalidArgumentError } from '../../src/errors.js';
import type { LeaseKeepAliveResponse, ResponseHeader, Transport } from '../../src/transport/index.js';
import { recorder, streamRecorder } from './recorders.js';
import { freePort, pollUntil, startCluster, startRelay, startSingle, type EtcdCluster } from '../harness/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);


const until = (check: () => boolean, what: string, timeoutMs = 10_000): Promise<true> =>
  pollUntil(() => (check() ? true : undefined), { timeoutMs, intervalMs: 20, description: what });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('http adapter: pure helpers', () => {
  it('base64 round-trips every byte and length', () => {
    // Bytes fields go through the generated proto3 JSON mapping (toGateway / fromGateway).
    const toBase64 = (bytes: Uint8Array): string => (toGateway(KeyValueSchema, create(KeyValueSchema, { key: bytes }))['key'] as string | undefined) ?? '';
    const fromBase64 = (text: string): Uint8Array => fromGateway(KeyValueSchema, { key: text }).key;
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(fromBase64(text))).toEqual(Array.from(bytes));
    }
    expect(dec.decode(fromBase64('Zm9v'))).toBe('foo');
    expect(dec.decode(fromBase64('Zm9vYg'))).toBe('foob'); // unpadded
    expect(dec.decode(fromBase64('-_8'))).toBe(dec.decode(fromBase64('+/8='))); // URL-safe too
    expect(() => fromBase64('Zm9v!')).toThrow(EtcdError);
  });

  it('decodes answers with zero values omitted', () => {
    expect(keyValue(fromGateway(KeyValueSchema, { key: 'Zm9v', mod_revision: '19' }))).toEqual({
      key: b('foo'),
      value: new Uint8Array(0),
      createRevision: 0n,
      modRevision: 19n,
      version: 0n,
      lease: 0n,
    });
    expect(leaseKeepAliveResponse(fromGateway(LeaseKeepAliveResponseSchema, { header: { revision: '5' }, ID: '12345' }))).toMatchObject({ id: 12345n, ttl: 0n });
    const r = decodeWatchResult({ header: {}, canceled: true, compact_revision: '20' });
    expect(r).toMatchObject({ watchId: 0n, created: false, canceled: true, compactRevision: 20n, events: [] });
    expect(r.header.revision).toBe(0n);
    expect(decodeWatchResult({ events: [{ type: 'DELETE', kv: { key: 'dzE=' } }, { kv: { key: 'dzE=' } }] }).events.map((e) => e.type)).toEqual([
      'delete',
      'put',
    ]);
    expect(parseCancelReason('rpc error: code = Unauthenticated desc = etcdserver: invalid auth token').code).toBe(16);
  });

  it('reads watch events by hand exactly as the generated JSON mapping does', () => {
    const cases: JsonValue[] = [
      {},
      { kv: {} },
      { kv: { key: 'Zm9v', value: 'YmFy', create_revision: '7', mod_revision: '9', version: '2', lease: '7587868290429401601' } },
      { type: 'DELETE', kv: { key: 'Zm9v', mod_revision: '10' }, prev_kv: { key: 'Zm9v', value: '-_8', mod_revision: 9 } },
      { type: 1, kv: { key: 'dzE', createRevision: '3', modRevision: '4' }, prevKv: { key: 'dzE=' } },
      { type: 'PUT', kv: { key: 'dzE=', version: '-1', unknown: true }, other: 'ignored' },
    ];
    for (const json of cases) expect(eventOfJson(json)).toEqual(event(fromJson(EventSchema, json, { ignoreUnknownFields: true })));
    const bads: JsonValue[] = [{ kv: { key: 'Zm9v!' } }, { kv: { mod_revision: 'x' } }, { kv: { version: true } }, 'event'];
    for (const bad of bads) {
      expect(() => fromJson(EventSchema, bad, { ignoreUnknownFields: true })).toThrow();
      expect(() => eventOfJson(bad)).toThrow();
    }
    expect(() => decodeWatchResult({ events: [{ kv: { key: 'Zm9v!' } }] })).toThrow(EtcdError);
  });

  it('refuses malformed options', () => {
    expect(() => createHttpTransport({ endpoints: [] })).toThrow(InvalidArgumentError);
    expect(() => createHttpTransport({ endpoints: ['ftp://x:1'] })).toThrow(InvalidArgumentError);
    expect(() => createHttpTransport({ endpoints: ['https://127.0.0.1:1'], tls: { ca: 'x' } })).toThrow(InvalidArgumentError);
  });
});

describe('http adapter: single member', () => {
  let etcd: EtcdCluster;
  let t: Transport;
  beforeAll(async () => {
    etcd = await startSingle({ name: 'http-adapter' });
    t = createHttpTransport({ endpoints: etcd.clientUrls });
  });
  afterAll(async () => {
    await t?.close();
    await etcd?.stop();
  });

  it('has its name and capabilities', () => {
    expect(t.name).toBe('http');
    expect(t.capabilities).toEqual({ progressRequest: false, staleSerializableReads: false });
  });

  it('round-trips binary keys and values, ranges with options, deletes with prevKv', async () => {
    const key = Uint8Array.from([0, 1, 0xff, 0x80, 0x2f]);
    const value = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const put = await t.put({ key, value });
    const got = await t.range({ key });
    expect(Array.from(got.kvs[0]!.key)).toEqual(Array.from(key));
    expect(Array.from(got.kvs[0]!.value)).toEqual(Array.from(value));
    expect(got.kvs[0]!.createRevision).toBe(put.header.revision);
    expect(got.count).toBe(1n);
    expect(await t.range({ key: b('http/missing') })).toMatchObject({ kvs: [], count: 0n, more: false });
    for (const k of ['q1', 'q2', 'q3']) await t.put({ key: b(`http/${k}`), value: b(k) });
    const page = await t.range({ key: b('http/q'), rangeEnd: b('http/r'), limit: 1n, sortOrder: 'descend', sortTarget: 'create', keysOnly: true });
    expect(page.kvs.map((kv) => dec.decode(kv.key))).toEqual(['http/q3']);
    expect(page.kvs[0]!.value.length).toBe(0);
    expect(page.more).toBe(true);
    expect(page.count).toBe(3n);
    const del = await t.deleteRange({ key: b('http/q'), rangeEnd: b('http/r'), prevKv: true });
    expect(del.deleted).toBe(3n);
    expect(del.prevKvs.map((kv) => dec.decode(kv.value))).toEqual(['q1', 'q2', 'q3']);
  });

  it('runs txns: compares, both branches, nested', async () => {
    const k = b('http/txn');
    const first = await t.txn({
      compare: [{ target: 'create', result: 'equal', key: k, value: 0n }],
      success: [{ put: { key: k, value: b('1') } }, { range: { key: k } }],
      failure: [],
    });
    expect(first.succeeded).toBe(true);
    const r = first.responses[1]!;
    expect('range' in r && dec.decode(r.range.kvs[0]!.value)).toBe('1');
    const second = await t.txn({
      compare: [{ target: 'value', result: 'equal', key: k, value: b('nope') }],
      success: [],
      failure: [{ txn: { compare: [], success: [{ deleteRange: { key: k } }], failure: [] } }],
    });
    expect(second.succeeded).toBe(false);
    const nested = second.responses[0]!;
    expect('txn' in nested && nested.txn.succeeded && 'deleteRange' in nested.txn.responses[0]! && nested.txn.responses[0].deleteRange.deleted).toBe(1n);
  });

  it('grants, inspects, keeps alive and revokes leases (TTL omitted = gone)', async () => {
    const grant = await t.leaseGrant({ ttl: 30n });
    expect(grant.ttl).toBe(30n);
    await t.put({ key: b('http/leased'), value: b('x'), lease: grant.id });
    const ttl = await t.leaseTimeToLive(grant.id, { keys: true });
    expect(ttl.grantedTtl).toBe(30n);
    expect(ttl.keys.map((k) => dec.decode(k))).toEqual(['http/leased']);
    const h = streamRecorder<LeaseKeepAliveResponse>();
    const ka = t.openLeaseKeepAlive(h);
    ka.send(grant.id);
    ka.send(999_999n); // unknown lease
    await until(() => h.messages.length === 2, 'two keep-alive answers');
    expect(h.messages.find((m) => m.id === grant.id)?.ttl).toBe(30n);
    expect(h.messages.find((m) => m.id === 999_999n)?.ttl).toBe(0n);
    await t.leaseRevoke(grant.id);
    await t.leaseRevoke(grant.id); // already gone: resolves
    expect((await t.leaseTimeToLive(grant.id)).ttl).toBe(-1n);
    ka.send(grant.id);
    await until(() => h.messages.length === 3, 'answer for the revoked lease');
    expect(h.messages[2]!.ttl).toBe(0n);
    ka.close();
    expect(h.errors).toEqual([]);
  });

  it('watches: created, events with prevKv, progress notifications, cancel', async () => {
    const start = (await t.put({ key: b('http/w/0'), value: b('0') })).header.revision;
    const ws = t.openWatch(streamRecorder<ResponseHeader>());
    expect(ws.requestProgress()).toBe(false);
    const r = recorder();
    const h = ws.watch({ key: b('http/w/'), rangeEnd: b('http/w0'), startRevision: start, prevKv: true }, r);
    await until(() => r.created.length === 1, 'created');
    await t.put({ key: b('http/w/0'), value: b('1') });
    await t.deleteRange({ key: b('http/w/0') });
    await until(() => r.events.length === 3, 'three events');
    expect(r.events.map((e) => e.type)).toEqual(['put', 'put', 'delete']);
    expect(r.events[0]!.kv.modRevision).toBe(start);
    expect(dec.decode(r.events[2]!.prevKv!.value)).toBe('1');
    h.cancel();
    await t.put({ key: b('http/w/1'), value: b('late') });
    const other = recorder();
    ws.watch({ key: b('http/w/1'), startRevision: 1n }, other);
    await until(() => other.events.length === 1, 'the other watcher');
    expect(r.events.length).toBe(3);
    ws.close();
  });

  it('cancels a compacted watcher with CompactedError and a permission-free reason', async () => {
    const a = await t.put({ key: b('http/c'), value: b('a') });
    const later = await t.put({ key: b('http/c'), value: b('b') });
    await t.compact({ revision: later.header.revision, physical: true });
    const ws = t.openWatch(streamRecorder<ResponseHeader>());
    const r = recorder();
    ws.watch({ key: b('http/c'), startRevision: a.header.revision }, r);
    await until(() => r.canceled.length === 1, 'cancel');
    expect(r.canceled[0]!.error).toBeInstanceOf(CompactedError);
    expect(r.canceled[0]!.compactRevision).toBe(later.header.revision);
    ws.close();
    expect(await rejection(t.range({ key: b('http/c'), revision: a.header.revision }))).toBeInstanceOf(CompactedError);
  });

  it('aborts calls with AbortError, and reads member list and status', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await rejection(t.range({ key: b('x') }, { signal: ac.signal }))).toBeInstanceOf(AbortError);
    const members = await t.memberList();
    expect(members.members[0]!.clientUrls).toEqual(etcd.clientUrls);
    expect(members.members[0]!.id).not.toBe(0n);
    const status = await t.status();
    expect(status.version).toMatch(/^3\./);
    expect(status.header.revision).toBeGreaterThan(0n);
  });

  it('close() aborts watches silently, refuses calls with ClosedError, and is idempotent', async () => {
    const t2 = createHttpTransport({ endpoints: etcd.clientUrls });
    const sh = streamRecorder<ResponseHeader>();
    const ws = t2.openWatch(sh);
    const r = recorder();
    ws.watch({ key: b('http/closing') }, r);
    await until(() => r.created.length === 1, 'created');
    const kh = streamRecorder<LeaseKeepAliveResponse>();
    t2.openLeaseKeepAlive(kh).send(1n);
    await t2.close();
    await t2.close();
    expect(await rejection(t2.range({ key: b('x') }))).toBeInstanceOf(ClosedError);
    await t.put({ key: b('http/closing'), value: b('after') });
    expect(await t.range({ key: b('http/closing') })).toMatchObject({ count: 1n });
    expect(sh.errors).toEqual([]);
    expect(r.events).toEqual([]);
    expect(kh.errors).toEqual([]);
  });

  it('leaves nothing running after close (the process exits by itself)', async () => {
    const script = `
      import { createHttpTransport } from './adapters/http/index.ts';
      const t = createHttpTransport({ endpoints: ${JSON.stringify(etcd.clientUrls)} });
      const enc = new TextEncoder();
      await t.put({ key: enc.encode('http/exit'), value: enc.encode('1') });
      const ws = t.openWatch({ onMessage() {}, onError() {} });
      let created;
      const ready = new Promise((r) => (created = r));
      ws.watch({ key: enc.encode('http/exit') }, { onCreated: created, onEvents() {}, onProgress() {}, onCanceled() {} });
      await ready;
      const grant = await t.leaseGrant({ ttl: 10n });
      t.openLeaseKeepAlive({ onMessage() {}, onError() {} }).send(grant.id);
      await t.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('closed');
    expect(code).toBe(0);
  });
});

describe('http adapter: /v3beta fallback', () => {
  let etcd: EtcdCluster;
  let server: Server;
  const seen: string[] = [];
  let url = '';
  beforeAll(async () => {
    etcd = await startSingle({ name: 'http-v3beta' });
    const target = new URL(etcd.clientUrls[0]!);
    // An "etcd 3.3": /v3/* is a plain 404, /v3beta/* is served.
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url?.startsWith('/v3/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      req.pipe(up);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await etcd?.stop();
  });

  it('detects /v3beta once, on a plain 404, and keeps using it', async () => {
    const t = createHttpTransport({ endpoints: [url] });
    try {
      await t.put({ key: b('beta'), value: b('1') });
      expect(dec.decode((await t.range({ key: b('beta') })).kvs[0]!.value)).toBe('1');
      const r = recorder();
      const ws = t.openWatch(streamRecorder<ResponseHeader>());
      ws.watch({ key: b('beta'), startRevision: 1n }, r);
      await until(() => r.events.length === 1, 'watch via /v3beta');
      ws.close();
      expect(seen.filter((p) => p.startsWith('/v3/'))).toEqual(['/v3/kv/put']);
      expect(seen.filter((p) => p.startsWith('/v3beta/'))).toEqual(['/v3beta/kv/put', '/v3beta/kv/range', '/v3beta/watch']);
    } finally {
      await t.close();
    }
  });
});

describe('http adapter: endpoints and failover', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, name: 'http-failover' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('fails an unreachable cluster with a retryable ConnectionError within dialTimeoutMs', async () => {
    const port = await freePort();
    const t = createHttpTransport({ endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 500 });
    const started = performance.now();
    const err = await rejection(t.put({ key: b('x'), value: b('y') }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    await t.close();
  });

  it('sends a write to the next endpoint when the first refuses connections', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const t = createHttpTransport({ endpoints: [dead, cluster.clientUrls[1]!] });
    try {
      await t.put({ key: b('fo/w'), value: b('1') });
      expect((await t.range({ key: b('fo/w') })).count).toBe(1n);
    } finally {
      await t.close();
    }
  });

  it('re-sends reads but never a write whose connection broke after sending', async () => {
    const relay = await startRelay(cluster.members[0]!.clientAddress);
    const t = createHttpTransport({ endpoints: [`http://${relay.address}`, cluster.clientUrls[1]!] });
    try {
      await t.put({ key: b('fo/r'), value: b('1') });
      relay.cut('drop'); // accepts, then resets: the request may have been sent
      expect((await t.range({ key: b('fo/r') })).count).toBe(1n);
      const writer = createHttpTransport({ endpoints: [`http://${relay.address}`] });
      const err = await rejection(writer.put({ key: b('fo/r'), value: b('2') }));
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/may or may not have been applied/);
      await writer.close();
    } finally {
      await t.close();
      await relay.close();
    }
  });

  it('notices a frozen member through liveness pings and fails the watch stream', async () => {
    const m2 = cluster.members[2]!;
    const t = createHttpTransport({ endpoints: [m2.clientUrl, cluster.clientUrls[1]!], watchLivenessIntervalMs: 300, watchLivenessTimeoutMs: 300 });
    try {
      const sh = streamRecorder<ResponseHeader>();
      const ws = t.openWatch(sh);
      const r = recorder();
      ws.watch({ key: b('fo/frozen') }, r);
      await until(() => r.created.length === 1, 'created');
      m2.pause();
      await until(() => sh.errors.length === 1, 'stream error');
      expect(sh.errors[0]).toBeInstanceOf(ConnectionError);
      expect(sh.errors[0]!.message).toMatch(/silent/);
    } finally {
      m2.resume();
      await t.close();
    }
  });

  it('fails the whole watch stream when the member serving it dies; watches then work on another member', async () => {
    const [m0, m1] = cluster.members;
    const t = createHttpTransport({ endpoints: [m0!.clientUrl, m1!.clientUrl] });
    try {
      const sh = streamRecorder<ResponseHeader>();
      const ws = t.openWatch(sh);
      const r1 = recorder();
      const r2 = recorder();
      ws.watch({ key: b('fo/a') }, r1);
      ws.watch({ key: b('fo/b') }, r2);
      await until(() => r1.created.length === 1 && r2.created.length === 1, 'both created');
      await m0!.kill();
      await until(() => sh.errors.length === 1, 'stream error');
      expect(sh.errors[0]).toBeInstanceOf(ConnectionError);
      await cluster.waitForLeader();
      const again = t.openWatch(streamRecorder<ResponseHeader>());
      const r3 = recorder();
      const rev = (await t.put({ key: b('fo/a'), value: b('x') })).header.revision;
      again.watch({ key: b('fo/a'), startRevision: rev }, r3);
      await until(() => r3.events.length === 1, 'event via the next member', 20_000);
      again.close();
      expect(sh.errors.length).toBe(1);
    } finally {
      await t.close();
      await m0!.restart();
    }
  });
});
