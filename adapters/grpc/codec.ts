/**
 * What the gRPC adapter still needs beside the generated schemas: the
 * retry-safety rule of a txn. Encoding and decoding are the generated
 * messages' (`adapters/shared/gen/`, mapped to the seam's types in
 * `adapters/shared/wire/`; the grpc-js (de)serializers are in `services.ts`).
 *
 * @module
 * @internal
 */
import type { RequestOp, TxnRequest } from '../../src/transport.js';

/** True when a txn only reads (every op, nested txns included, is a range): safe to resend. */
export function isReadOnlyTxn(t: TxnRequest): boolean {
  const readOnly = (op: RequestOp): boolean => 'range' in op || ('txn' in op && isReadOnlyTxn(op.txn));
  return t.success.every(readOnly) && t.failure.every(readOnly);
}
