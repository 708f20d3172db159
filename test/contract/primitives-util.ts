/**
 * Helpers for the primitives' contract tests (barriers, queues, topics, registry).
 */
import type { ConclaveClient } from '../../src/client/client.js';
import type { Conclave } from '../../src/index.js';
import { gatewayPost, pollUntil } from '../harness/index.js';
import type { ClusterUnderTest } from './transports.js';

/** A promise whose settlement can be checked without awaiting it (rejections are kept for `await`). */
export interface Tracked<T> {
  promise: Promise<T>;
  settled(): boolean;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  let done = false;
  const settle = () => {
    done = true;
  };
  promise.then(settle, settle);
  return { promise, settled: () => done };
}

/** Rejects if `promise` has not settled within `ms`, so a test never hangs. */
export function within<T>(promise: Promise<T>, ms = 20_000, what = 'the operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The lease of the client's shared session (the one locks, barriers, claims and registrations use). */
export async function sharedLease(client: Conclave): Promise<bigint> {
  return (await (client as ConclaveClient).core.session()).lease;
}

/** Revokes `lease` from outside the client, through a member's HTTP gateway. */
export async function revokeLease(cluster: ClusterUnderTest, lease: bigint): Promise<void> {
  await gatewayPost(cluster.clientUrls[0]!, '/v3/lease/revoke', { ID: lease.toString() });
}

/** Polls `count()` until it equals `n` (bounded). */
export async function countBecomes(count: () => Promise<number>, n: number, what: string, timeoutMs = 20_000): Promise<void> {
  await pollUntil(async () => ((await count()) === n ? true : undefined), { timeoutMs, intervalMs: 20, description: what });
}
