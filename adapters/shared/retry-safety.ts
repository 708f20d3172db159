/**
 * Which etcd calls are safe to send twice — the rule behind every resend
 * after a connection failure (see `failover.ts`). A read, a read-only txn, a
 * lease's TTL, a revoke (revoking twice revokes once; "not found" is
 * tolerated), member list, status and authenticate are; anything that writes
 * (put, delete, a txn with a write, lease grant, compact) is not: resending it
 * could apply it twice.
 *
 * @module
 * @internal
 */
import type { RequestOp, TxnRequest } from '../../src/transport/index.js';

/** The unary calls of the transport seam, by their method names. */
export type UnaryCallName =
  | 'range'
  | 'put'
  | 'deleteRange'
  | 'txn'
  | 'compact'
  | 'leaseGrant'
  | 'leaseRevoke'
  | 'leaseTimeToLive'
  | 'memberList'
  | 'status'
  | 'authenticate';

/** Safe to send twice, per call; `txn` depends on its ops ({@link isReadOnlyTxn}). */
export const RETRY_SAFE: Readonly<Record<Exclude<UnaryCallName, 'txn'>, boolean>> = {
  range: true,
  put: false,
  deleteRange: false,
  compact: false,
  leaseGrant: false,
  leaseRevoke: true,
  leaseTimeToLive: true,
  memberList: true,
  status: true,
  authenticate: true,
};

/** True when a txn only reads (every op, nested txns included, is a range): safe to resend. */
export function isReadOnlyTxn(t: TxnRequest): boolean {
  const readOnly = (op: RequestOp): boolean => 'range' in op || ('txn' in op && isReadOnlyTxn(op.txn));
  return t.success.every(readOnly) && t.failure.every(readOnly);
}

/**
 * True when `call` may be sent again after its connection failed (it is idempotent).
 *
 * @example
 * ```ts
 * isRetrySafe('range');                // true
 * isRetrySafe('txn', request);         // true only if every op of `request` reads
 * ```
 */
export function isRetrySafe(call: 'txn', request: TxnRequest): boolean;
export function isRetrySafe(call: Exclude<UnaryCallName, 'txn'>): boolean;
export function isRetrySafe(call: UnaryCallName, request?: TxnRequest): boolean {
  if (call === 'txn') return request !== undefined && isReadOnlyTxn(request);
  return RETRY_SAFE[call];
}
