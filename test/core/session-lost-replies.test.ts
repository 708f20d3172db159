/**
 * Every write a session makes — the lease grant, the marker put, the revoke —
 * with its reply lost after etcd applied it (and not sent at all): each
 * converges with no lease and no key left behind. Also: a session the client
 * counts lost while etcd is reachable is revoked at once (issue 11, bug 12).
 */
import { firstValueFrom, timeout } from 'rxjs';
import { afterAll, expect, it } from 'vitest';
import { connect, ConnectionError, type Conclave } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import type { SessionImpl } from '../../src/core/session.js';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { createGrpcProxyTransport } from '../../adapters/grpc-proxy/index.js';
import { createHttpTransport } from '../../adapters/http/index.js';
import type { LeaseGrantRequest, Transport } from '../../src/transport/index.js';
import { gatewayPost, pollUntil, sharedCluster } from '../harness/index.js';
import { lostReplyTransport, type LossyTransport } from '../harness/lost-reply.js';

const opened: Conclave[] = [];
afterAll(() => Promise.all(opened.map((c) => c.close())));

type Via = 'grpc' | 'grpc-proxy' | 'http';

function innerTransport(via: Via): Transport {
  const cluster = sharedCluster();
  if (via === 'grpc-proxy') return createGrpcProxyTransport({ endpoints: cluster.grpcProxyEndpoints! });
  if (via === 'http') return createHttpTransport({ endpoints: cluster.clientUrls });
  return createGrpcTransport({ endpoints: cluster.endpoints });
}

async function openLossy(wrap: (t: Transport) => Transport = (t) => t, via: Via = 'grpc'): Promise<{ c: ConclaveClient; lossy: LossyTransport }> {
  const lossy = lostReplyTransport(innerTransport(via));
  const c = (await connect({ transport: wrap(lossy) })) as ConclaveClient;
  opened.push(c);
  return { c, lossy };
}

const url = () => sharedCluster().clientUrls[0]!;
const ttlOf = async (lease: bigint): Promise<number> =>
  Number((await gatewayPost<{ TTL: string }>(url(), '/v3/lease/timetolive', { ID: lease.toString() })).TTL);
const keysOf = async (lease: bigint): Promise<string[]> =>
  (await gatewayPost<{ keys?: string[] }>(url(), '/v3/lease/timetolive', { ID: lease.toString(), keys: true })).keys ?? [];
const leaseGone = (lease: bigint, timeoutMs = 10_000) =>
  pollUntil(async () => ((await ttlOf(lease)) === -1 ? true : undefined), { timeoutMs, description: `lease ${lease.toString(16)} gone` });
const grantedIds = (lossy: LossyTransport) => lossy.lost.filter((l) => l.method === 'leaseGrant').map((l) => (l.request as LeaseGrantRequest).id!);

for (const [outcome, via] of [['applied', 'grpc'], ['not-sent', 'grpc'], ['applied', 'grpc-proxy'], ['applied', 'http']] as const) {
  it(`lease grant, reply lost (${outcome}, ${via}): the session opens on the lease of that id (found and reused, or granted again), nothing else is left`, async () => {
    const { c, lossy } = await openLossy(undefined, via);
    lossy.arm({ method: 'leaseGrant', outcome });
    const s = await c.core.createSession(30);
    expect(lossy.fired).toBe(1);
    const [lostId] = grantedIds(lossy);
    expect(lostId).toBeDefined();
    // Applied: the same lease is found and reused. Not sent: granted by the retry with the same id.
    expect(s.lease).toBe(lostId);
    expect(await ttlOf(s.lease)).toBeGreaterThan(0);
    expect(await keysOf(s.lease)).toHaveLength(1); // the marker
    await s.close();
    expect(await ttlOf(s.lease)).toBe(-1);
  });
}

for (const outcome of ['applied', 'not-sent'] as const) {
  it(`lease grant, every reply lost (${outcome}): the session fails with ConnectionError and the lease is revoked`, async () => {
    const { c, lossy } = await openLossy();
    lossy.arm({ method: 'leaseGrant', outcome, times: 3 });
    await expect(c.core.createSession(30)).rejects.toBeInstanceOf(ConnectionError);
    const ids = grantedIds(lossy);
    expect(new Set(ids).size).toBe(1);
    await leaseGone(ids[0]!);
    expect(c.stats().leases).toBe(0);
  });

  it(`marker put, reply lost (${outcome}): the session opens with one marker; all lost: nothing left`, async () => {
    const { c, lossy } = await openLossy();
    lossy.arm({ method: 'put', outcome });
    const s = await c.core.createSession(30);
    expect(lossy.fired).toBe(1);
    expect(await keysOf(s.lease)).toHaveLength(1);
    await s.close();
    lossy.arm({ method: 'put', outcome, times: 3 });
    await expect(c.core.createSession(30)).rejects.toBeInstanceOf(ConnectionError);
    const lease = (lossy.lost.at(-1)!.request as { lease: bigint }).lease;
    await leaseGone(lease);
    expect(c.stats().leases).toBe(0);
  });

  it(`revoke on close, reply lost (${outcome}): the lease is revoked (retried until etcd answers)`, async () => {
    const { c, lossy } = await openLossy();
    const s = await c.core.createSession(30);
    lossy.arm({ method: 'leaseRevoke', outcome, times: 2 });
    await s.close();
    await leaseGone(s.lease);
    await pollUntil(async () => (c.core.revoker.outstanding === 0 ? true : undefined), { timeoutMs: 10_000, description: 'no revoke left' });
    expect(lossy.fired).toBe(2);
  });
}

it('a session counted lost while etcd is reachable (keep-alive answers lost) is revoked at once, not at its TTL', async () => {
  // Keep-alives reach etcd (so etcd keeps the lease), but their answers never come back.
  const { c } = await openLossy(
    (t) =>
      new Proxy(t, {
        get(target, property: keyof Transport) {
          if (property === 'openLeaseKeepAlive') {
            return (handlers: Parameters<Transport['openLeaseKeepAlive']>[0]) => target.openLeaseKeepAlive({ onMessage: () => {}, onError: handlers.onError });
          }
          const value: unknown = target[property];
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
  );
  const s: SessionImpl = await c.core.createSession(6);
  await firstValueFrom(s.lost$.pipe(timeout(15_000)));
  // Lost at 6 − 0.6 s after the grant; etcd, refreshed at 2 s, would keep it until ~8 s.
  await leaseGone(s.lease, 1_500);
});
