/**
 * Issue 11, bug 10: an etcd restart with a short session. One loss gives one
 * `sessionLost`; the session lost by the client is revoked once etcd answers
 * again (so its lock key goes at once, not at the end of its TTL); a lease
 * granted while etcd was down is not declared lost at reconnect; no lease is
 * left behind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave, type Lock } from '../../src/index.js';
import type { ConclaveClient } from '../../src/client/client.js';
import type { LostSession } from '../../src/core/core.js';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import type { Transport } from '../../src/transport/index.js';
import { gatewayPost, pollUntil, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startSingle();
});
afterAll(() => cluster?.stop());

const member = () => cluster.members[0]!;
const leases = async (): Promise<string[]> =>
  ((await gatewayPost<{ leases?: Array<{ ID: string }> }>(member().clientUrl, '/v3/lease/leases', {})).leases ?? []).map((l) => l.ID);
const ttlOf = async (lease: bigint): Promise<number> =>
  Number((await gatewayPost<{ TTL: string }>(member().clientUrl, '/v3/lease/timetolive', { ID: lease.toString() })).TTL);
const keyExists = async (key: string): Promise<boolean> =>
  ((await gatewayPost<{ kvs?: unknown[] }>(member().clientUrl, '/v3/kv/range', { key: Buffer.from(key).toString('base64') })).kvs ?? []).length > 0;

it('etcd restarted while a 3 s session holds a lock: one sessionLost, the old lease revoked at reconnect, no lease leaked', async () => {
  const prefix = uniquePrefix('reconnect');
  // A transport that tells when a lease grant starts (the grant made while etcd is down waits for it).
  let grantStarted: (() => void) | undefined;
  const inner = createGrpcTransport({ endpoints: cluster.endpoints, dialTimeoutMs: 30_000 });
  const transport = new Proxy(inner, {
    get(target, property: keyof Transport) {
      if (property === 'leaseGrant') {
        return (...args: Parameters<Transport['leaseGrant']>) => {
          grantStarted?.();
          return target.leaseGrant(...args);
        };
      }
      const value: unknown = target[property];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const client: Conclave = await connect({ transport, namespace: prefix, sessionTtlSeconds: 3, dialTimeoutMs: 30_000 });
  try {
    const core = (client as ConclaveClient).core;
    const lost: LostSession[] = [];
    const firstLoss = new Promise<void>((resolve) =>
      core.sessionLost$.subscribe((l) => {
        lost.push(l);
        resolve();
      }),
    );
    const reconnected = new Promise<void>((resolve) =>
      core.connection.status$.subscribe((s) => {
        if (s.state === 'reconnected') resolve();
      }),
    );
    const held: Lock = await client.mutex('a').acquire();
    const oldLease = (await core.session()).lease;
    const oldKey = `${prefix}a/${oldLease.toString(16)}`;
    let resolveGrant: () => void = () => {};
    const secondGrant = new Promise<void>((resolve) => (resolveGrant = resolve));
    grantStarted = resolveGrant;

    await member().kill();
    await withTimeout(firstLoss, 10_000, 'the session to be declared lost');
    expect(held.signal.aborted).toBe(true);
    // A new acquisition needs a new session: its grant waits for etcd, longer than the TTL.
    const second = client.mutex('b').acquire();
    await withTimeout(secondGrant, 5_000, 'the new grant to start');
    const grantAt = performance.now();
    await new Promise((r) => setTimeout(r, 3_500)); // the outage outlasts the TTL (the fault, not a synchronisation)
    expect(performance.now() - grantAt).toBeGreaterThan(3_000);
    await member().restart();
    await withTimeout(reconnected, 20_000, 'reconnected');
    const lock = await withTimeout(second, 20_000, 'the second acquisition');
    const newLease = (await core.session()).lease;
    expect(newLease).not.toBe(oldLease);

    // The lease the client declared lost is revoked as soon as etcd answers: its lock key goes with it.
    await pollUntil(async () => ((await ttlOf(oldLease)) === -1 ? true : undefined), { timeoutMs: 20_000, description: 'old lease gone' });
    expect(await keyExists(oldKey)).toBe(false);
    expect(await member().metric('grpc_server_handled_total', { grpc_method: 'LeaseRevoke' })).toBeGreaterThanOrEqual(1);

    // The new session lives on: two more keep-alive rounds answered, and no second loss.
    const sent = core.leaseHub.messagesSent;
    await pollUntil(async () => (core.leaseHub.messagesSent >= sent + 2 ? true : undefined), { timeoutMs: 10_000, description: 'keep-alives' });
    expect(lost).toHaveLength(1);
    expect(lock.signal.aborted).toBe(false);
    expect(await ttlOf(newLease)).toBeGreaterThan(0);
    // Exactly one lease in etcd: the live one.
    expect(await leases()).toEqual([newLease.toString()]);
    await lock.release();
  } finally {
    await client.close();
  }
  await pollUntil(async () => ((await leases()).length === 0 ? true : undefined), { timeoutMs: 10_000, description: 'no lease left' });
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
