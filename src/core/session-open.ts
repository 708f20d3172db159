/**
 * Opening a session without leaving anything behind when a reply is lost.
 *
 * - **Grant.** The client picks the lease id (etcd accepts one), so a grant
 *   whose reply was lost can be found: it is sent again with the same id —
 *   "lease already exists" means the first one was applied and the lease is
 *   reused — and when the session is given up the id is revoked (in the
 *   background until etcd answers, see {@link LeaseRevoker}).
 * - **Late grant.** A grant that waited for etcd (the transport waits for a
 *   connection) may have been applied at any time between its start and its
 *   reply: when the reply took more than a third of the TTL, the remaining
 *   TTL is asked from etcd, so the lease is not counted lost at once — nor
 *   counted alive past its real expiry.
 * - **Marker.** The marker put (same key, value and lease each time) is sent
 *   again after a retryable failure.
 * @module
 * @internal
 */
import { Backoff, sleep } from '../backoff.js';
import { ConclaveError, ConnectionError } from '../errors.js';
import type { Bytes, CallOptions, PutResponse, Transport } from '../transport/index.js';
import type { LeaseRevoker } from './lease-revoker.js';

/** A granted lease: its id, TTL, and the monotonic time its TTL is counted from. */
export interface GrantedLease {
  id: bigint;
  ttlSeconds: number;
  /** The lease expires no earlier than `grantedAt + ttlSeconds` (monotonic ms). */
  grantedAt: number;
}

/** Everything the session opener uses from the core. */
export interface SessionOpenDeps {
  transport: Transport;
  revoker: LeaseRevoker;
  /** Monotonic clock (ms). */
  now?: () => number;
}

/** How many times a write of the session is sent before giving up. */
const ATTEMPTS = 3;

/** A random lease id: positive, below 2^63, never 0. */
export function randomLeaseId(): bigint {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  const id = ((BigInt(hi!) & 0x7fffffffn) << 32n) | BigInt(lo!);
  return id === 0n ? 1n : id;
}

function isLeaseExists(error: unknown): boolean {
  return error instanceof ConclaveError && error.message.includes('lease already exists');
}

function retryable(error: unknown, options: CallOptions): boolean {
  return error instanceof ConclaveError && error.retryable && !options.signal?.aborted;
}

/**
 * Grants a lease of `ttlSeconds` with an id of the client's choosing; see the
 * module. Rejects (with the last error) having left no lease behind.
 */
export async function grantLease(deps: SessionOpenDeps, ttlSeconds: number, options: CallOptions = {}): Promise<GrantedLease> {
  const now = deps.now ?? (() => performance.now());
  const backoff = new Backoff(50, 1000);
  for (let round = 0; ; round++) {
    const id = randomLeaseId();
    let granted: GrantedLease | undefined;
    try {
      granted = await grantWithId(deps, id, ttlSeconds, options, now);
    } catch (error) {
      // Another lease has this id (1 in 2^63): not ours to revoke; pick another.
      if (isLeaseExists(error) && round + 1 < ATTEMPTS) continue;
      // It may have been applied: the lease must not outlive this failure.
      if (!isLeaseExists(error)) void deps.revoker.revoke(id);
      throw error;
    }
    if (granted) return granted;
    // The lease expired before its grant was confirmed (etcd far too slow): drop it, try a new one.
    void deps.revoker.revoke(id);
    if (round + 1 >= ATTEMPTS) throw new ConnectionError(`etcd answered a lease grant of ${ttlSeconds} s too late, ${ATTEMPTS} times`);
    await sleep(backoff.next(), options.signal);
  }
}

/** One grant of lease `id`, re-sent after a lost reply; undefined when it is granted but no longer usable. */
async function grantWithId(
  deps: SessionOpenDeps,
  id: bigint,
  ttlSeconds: number,
  options: CallOptions,
  now: () => number,
): Promise<GrantedLease | undefined> {
  const backoff = new Backoff(50, 1000);
  let ttl = ttlSeconds;
  let sentAt: number;
  let confirm = false;
  for (let attempt = 1; ; attempt++) {
    sentAt = now();
    try {
      const res = await deps.transport.leaseGrant({ ttl: BigInt(ttlSeconds), id }, options);
      ttl = Number(res.ttl);
      break;
    } catch (error) {
      if (attempt > 1 && isLeaseExists(error)) {
        confirm = true; // an earlier attempt was applied: reuse its lease, from its remaining TTL
        break;
      }
      if (attempt >= ATTEMPTS || !retryable(error, options)) throw error;
    }
    await sleep(backoff.next(), options.signal);
  }
  const ttlMs = ttl * 1000;
  if (!confirm && now() - sentAt <= ttlMs / 3) return { id, ttlSeconds: ttl, grantedAt: sentAt };
  // Applied at an unknown time since `sentAt`: ask etcd how long it has left.
  const askedAt = now();
  const left = await deps.transport.leaseTimeToLive(id, options);
  if (left.ttl <= 0n) return undefined;
  const grantedTtl = Number(left.grantedTtl) || ttl;
  // etcd rounds the remaining seconds down: the lease lives at least until askedAt + left.ttl s.
  return { id, ttlSeconds: grantedTtl, grantedAt: askedAt + Number(left.ttl) * 1000 - grantedTtl * 1000 };
}

/**
 * Puts the session marker `key` under `lease`, sent again (the same put) after
 * a retryable failure. Rejects with the last error.
 */
export async function putMarker(deps: SessionOpenDeps, key: Bytes, value: Bytes, lease: bigint, options: CallOptions = {}): Promise<PutResponse> {
  const backoff = new Backoff(50, 1000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.transport.put({ key, value, lease }, options);
    } catch (error) {
      const leaseGone = error instanceof ConclaveError && error.message.includes('requested lease not found');
      if (attempt >= ATTEMPTS || leaseGone || !retryable(error, options)) throw error;
    }
    await sleep(backoff.next(), options.signal);
  }
}
