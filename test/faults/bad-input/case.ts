/**
 * The shape of one bad-input case: a call with bad input (or misuse), the documented outcome,
 * and optional preparation (run before the "nothing written" snapshot) and cleanup.
 */
import type { Conclave, TransportName } from '../../../src/index.js';

/** An error class the contract documents (`InvalidArgumentError`, `ClosedError`, ...). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** What a case's `prepare` returns: the call to check, and what to undo after the check. */
export interface Prepared {
  run: () => unknown;
  cleanup?: () => Promise<unknown>;
}

export interface BadCall {
  /** The call, as a reader would write it: `mutex('')`, `lock.release() twice`. */
  call: string;
  /** The documented outcome: an error class, or `'ok'` (documented idempotent success). */
  expect: ErrorClass | 'ok';
  /** The error's `code`, when the contract fixes it (e.g. `'TOO_LARGE'`, `'NOT_LEADER'`). */
  code?: string;
  /** The call itself (when nothing needs preparing). */
  run?: () => unknown;
  /** Writes allowed here; returns the call to check. */
  prepare?: () => Promise<Prepared>;
}

/** The clients the cases use, all on the bad-input suite's own etcd, through one transport. */
export interface BadInputEnv {
  /** The transport every client of this environment uses. */
  transport: TransportName;
  /** A client that never created a session: any lease granted by a bad call shows. */
  cold: Conclave;
  /** A client whose shared session exists already (for refusals that only the server can make). */
  warm: Conclave;
  /** A second client (takes over leaderships). */
  other: Conclave;
  /** A client that was closed. */
  closed: Conclave;
  /** The etcd endpoints. */
  endpoints: string[];
  /** Connects a new client (closed after the file). */
  open: () => Promise<Conclave>;
}

/** A string of `bytes` bytes. */
export const sized = (bytes: number): string => 'x'.repeat(bytes);
/** Over the client's request limit (1.5 MiB): refused before sending. */
export const OVER_CLIENT_LIMIT = 2 * 1024 * 1024;
/** Over the suite's server limit (`--max-request-bytes=65536`) but under the client's: refused by etcd. */
export const OVER_SERVER_LIMIT = 100 * 1024;
/** Over etcd's gRPC message limit (max-request-bytes + 512 KiB). */
export const OVER_GRPC_LIMIT = 1024 * 1024;

/** A value JSON cannot encode: it refers to itself. */
export function circular(): unknown {
  const value: Record<string, unknown> = {};
  value['self'] = value;
  return value;
}

/** Loosens a typed call so a test can pass what TypeScript would refuse. */
export const loose = <T>(value: unknown): T => value as T;
