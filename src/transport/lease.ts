/**
 * Lease messages of the transport seam: grant, time-to-live, and the keep-alive stream.
 * @module
 */
import type { Bytes, Rev } from '../types.js';
import type { ResponseHeader } from './kv.js';

/** Grants a lease of `ttl` seconds. */
export interface LeaseGrantRequest {
  /** Seconds. */
  ttl: Rev;
  /** 0/absent: the server picks the id. */
  id?: Rev | undefined;
}

/** The granted lease. */
export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: Rev;
  ttl: Rev;
}

/** A lease's remaining time and keys. */
export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  id: Rev;
  /** Remaining seconds; -1 when the lease does not exist (expired or revoked). */
  ttl: Rev;
  grantedTtl: Rev;
  keys: Bytes[];
}

/** One answer on a keep-alive stream. `ttl <= 0` means the lease is gone. */
export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  id: Rev;
  ttl: Rev;
}

/**
 * A lease keep-alive stream. Each `send(id)` asks etcd to refresh lease `id`; each answer
 * arrives through `onMessage`. gRPC adapters use one bidi stream; the HTTP adapter makes one
 * POST per `send`.
 *
 * @example
 * ```ts
 * const stream = transport.openLeaseKeepAlive({
 *   onMessage: (res) => console.log(res.id, res.ttl > 0n ? 'refreshed' : 'gone'),
 *   onError: (e) => console.log('stream ended', e),
 * });
 * stream.send(leaseId);
 * stream.close();
 * ```
 */
export interface LeaseKeepAliveStream {
  send(id: Rev): void;
  /** Ends the stream; no handler is called afterwards. Idempotent. */
  close(): void;
}
