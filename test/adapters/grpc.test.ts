/**
 * The direct gRPC transport: pure helpers and the retry rule (a fake etcd behind a relay that crashes
 * mid-call). Against real etcd 3.4: grpc-member.test.ts and grpc-cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport, parseCancelReason, type GrpcTransport } from '../../adapters/grpc/index.js';
import { isReadOnlyTxn } from '../../adapters/shared/retry-safety.js';
import { parseEndpoint } from '../../adapters/grpc/endpoints.js';
import { AbortError, ConnectionError, InvalidArgumentError, TimeoutError } from '../../src/errors.js';
import { startFakeEtcd, startRelay, type FakeEtcd, type Relay } from './fake-etcd.js';
import { freePort, pollUntil } from './local-etcd.js';
import { b, expectRejects } from './recorders.js';

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

