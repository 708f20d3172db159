/**
 * Sessions and the lease hub against real etcd: one keep-alive stream for
 * every lease, loss detection on revoke and on unreachability.
 */
import { firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, SessionLostError, type Conclave } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import { gatewayPost, pollUntil, startRelay, startSingle, type EtcdCluster, type Relay } from '../harness/index.js';

let cluster: EtcdCluster;
const clients: Conclave[] = [];
const relays: Relay[] = [];

beforeAll(async () => {
  cluster = await startSingle();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(relays.map((r) => r.close()));
  await cluster?.stop();
});

async function open(options: Parameters<typeof connect>[0] = {}): Promise<Conclave> {
  const c = await connect({ endpoints: cluster.endpoints, ...options });
  clients.push(c);
  return c;
}

const member = () => cluster.members[0]!;
const keepAliveStreams = async () =>
  (await member().metric('grpc_server_started_total', { grpc_method: 'LeaseKeepAlive' })) -
  (await member().metric('grpc_server_handled_total', { grpc_method: 'LeaseKeepAlive' }));
const grants = () => member().metric('grpc_server_handled_total', { grpc_method: 'LeaseGrant' });
/** Streams open asynchronously on the server: poll etcd's count until it is `n` (bounded). */
const keepAliveStreamsBecome = (n: number) =>
  pollUntil(async () => ((await keepAliveStreams()) === n ? true : undefined), { timeoutMs: 5000, description: `${n} keep-alive streams` }).catch(
    async () => keepAliveStreams(),
  );

it('1,000 users of the shared session share 1 lease and 1 keep-alive stream', async () => {
  const c = await open();
  const grantsBefore = await grants();
  const core = (c as unknown as ConclaveClient).core;
  const sessions = await Promise.all(Array.from({ length: 1000 }, () => core.session()));
  expect(new Set(sessions.map((s) => s.lease)).size).toBe(1);
  expect(c.stats()).toMatchObject({ leases: 1, keepAliveStreams: 1 });
  expect((await grants()) - grantsBefore).toBe(1);
  await keepAliveStreamsBecome(1);
  expect(await keepAliveStreams()).toBe(1);
});

it('many sessions: one lease each, one keep-alive stream for all, kept alive past their TTL', async () => {
  const c = await open();
  await keepAliveStreamsBecome(1); // the first test's client is still open
  const sessions = await Promise.all(Array.from({ length: 100 }, () => c.session({ ttlSeconds: 2 })));
  // One keep-alive stream, and one (prefix) watcher for the 100 session markers.
  expect(c.stats()).toMatchObject({ leases: 100, keepAliveStreams: 1, serverWatchers: 1 });
  await keepAliveStreamsBecome(2);
  expect(await keepAliveStreams()).toBe(2);
  // Outlive the TTL, then check with etcd that every lease is still there.
  const until = Date.now() + 3000;
  for (const s of sessions) {
    const ttl = await gatewayPost<{ TTL: string }>(member().clientUrl, '/v3/lease/timetolive', { ID: s.lease.toString() });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
  }
  while (Date.now() < until) {
    const ttl = await gatewayPost<{ TTL: string }>(member().clientUrl, '/v3/lease/timetolive', { ID: sessions[0]!.lease.toString() });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
  }
  await Promise.all(sessions.map((s) => s.close()));
  expect(c.stats()).toMatchObject({ leases: 0, keepAliveStreams: 0, serverWatchers: 0 });
});

it('a lease revoked from outside: lost$ emits within 1 s and signal aborts with SessionLostError', async () => {
  const c = await open();
  const other = await c.session({ ttlSeconds: 30 }); // shares the marker watch, and must survive
  const s = await c.session({ ttlSeconds: 30 });
  const lost = firstValueFrom(s.lost$.pipe(timeout(1000)));
  await gatewayPost(member().clientUrl, '/v3/lease/revoke', { ID: s.lease.toString() });
  await lost;
  expect(s.signal.aborted).toBe(true);
  expect(s.signal.reason).toBeInstanceOf(SessionLostError);
  expect(other.signal.aborted).toBe(false);
  expect(c.stats().leases).toBe(1);
});

it('close() revokes the lease; lost$ completes without emitting', async () => {
  const c = await open();
  const s = await c.session({ ttlSeconds: 30 });
  let emitted = false;
  const completed = new Promise<void>((resolve) => s.lost$.subscribe({ next: () => (emitted = true), complete: resolve }));
  await s.close();
  await s.close();
  await completed;
  expect(emitted).toBe(false);
  const ttl = await gatewayPost<{ TTL: string }>(member().clientUrl, '/v3/lease/timetolive', { ID: s.lease.toString() });
  expect(ttl.TTL).toBe('-1');
});

it('cluster unreachable past the TTL: lost$ by the deadline', async () => {
  const relay = await startRelay(member().clientAddress);
  relays.push(relay);
  const c = await open({ endpoints: [relay.address] });
  const s = await c.session({ ttlSeconds: 3 });
  const started = performance.now();
  relay.cut('blackhole');
  await firstValueFrom(s.lost$.pipe(timeout(6000)));
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(3000 + 500);
  expect(s.signal.reason).toBeInstanceOf(SessionLostError);
});

it('client.close() revokes every session', async () => {
  const c = await open();
  const s = await c.session({ ttlSeconds: 30 });
  await c.close();
  const ttl = await gatewayPost<{ TTL: string }>(member().clientUrl, '/v3/lease/timetolive', { ID: s.lease.toString() });
  expect(ttl.TTL).toBe('-1');
});
