/**
 * Classification of grpc-js call failures: never sent, broken transport, or an
 * answer from etcd; and their mapping to Conclave errors (through
 * `errorFromStatus`, the single status mapping).
 *
 * @module
 * @internal
 */
import * as grpc from '@grpc/grpc-js';
import { ConclaveError, ConnectionError, errorFromStatus } from '../../src/errors.js';
import type { FailureKind } from '../shared/failover.js';

/** The part of a grpc-js status/error we look at. */
export interface GrpcFailure {
  code: number;
  details: string;
}

/** Reads code and details from a grpc-js `ServiceError` (or anything shaped like one). */
export function failureOf(err: unknown): GrpcFailure {
  const e = err as Partial<grpc.ServiceError> | undefined;
  return {
    code: typeof e?.code === 'number' ? e.code : grpc.status.UNKNOWN,
    details: typeof e?.details === 'string' ? e.details : err instanceof Error ? err.message : String(err),
  };
}

/**
 * True when the call provably never left this process: grpc-js failed the
 * pick because no connection was established (the channel is in
 * TRANSIENT_FAILURE and the call did not ask to wait for ready). Such a call
 * may be re-sent even if it is a write. (Calls refused by the server's HTTP/2
 * layer or never started on a transport are already re-sent once by grpc-js's
 * transparent retry.)
 */
export function isNotSent(f: GrpcFailure): boolean {
  return f.code === grpc.status.UNAVAILABLE && f.details.startsWith('No connection established');
}

/**
 * True when the connection failed under the call (or etcd said it is
 * unavailable): the call may or may not have been executed. Idempotent calls
 * are re-sent; writes are not.
 */
export function isTransportFailure(f: GrpcFailure): boolean {
  if (f.code === grpc.status.UNAVAILABLE) return true;
  if (f.code === grpc.status.INTERNAL) {
    return /RST_STREAM|ECONNRESET|EPIPE|Connection dropped|Failed to start HTTP\/2 stream|Write error|Write failed/.test(
      f.details,
    );
  }
  return false;
}

/**
 * The failover kind of a failure (see `../shared/failover.ts`): never sent, a
 * broken transport, or an answer — etcd's own "unavailable" answers
 * (`etcdserver: no leader`, …) included, which say the call was not executed.
 */
export function kindOf(f: GrpcFailure): FailureKind {
  if (isNotSent(f)) return 'not-sent';
  if (isTransportFailure(f) && !f.details.startsWith('etcdserver:')) return 'transport';
  return 'answer';
}

/** Maps a failure to a Conclave error. */
export function errorOf(f: GrpcFailure, cause: unknown): ConclaveError {
  if (f.code === grpc.status.INTERNAL && isTransportFailure(f)) {
    return new ConnectionError(`connection to etcd failed: ${f.details}`, { cause });
  }
  return errorFromStatus(f.code, f.details, cause);
}
