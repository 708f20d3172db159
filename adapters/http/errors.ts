/**
 * Failures of the HTTP transport, mapped to Conclave errors: etcd's error
 * bodies through `errorFromStatus` (the same mapping as gRPC), bare HTTP
 * statuses by their meaning, and `fetch` rejections by whether the request
 * provably never reached a server.
 *
 * @module
 * @internal
 */
import { AuthError, ConclaveError, ConnectionError, InvalidArgumentError, errorFromStatus } from '../../src/errors.js';
import type { FailureKind } from '../shared/failover.js';

/**
 * Error codes (Node/undici) of failures that happen before a request is
 * written: the connection or the TLS handshake failed, or the name did not
 * resolve. A request that failed so never reached etcd and may be re-sent,
 * writes included. Browsers report every network failure as an opaque
 * `TypeError`: there nothing is known, and writes are not re-sent.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CONNECT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** A failed attempt with its mapped error. */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly error: ConclaveError,
  ) {
    super(error.message, { cause: error });
  }
}

/** The `code` of an error or of any error in its `cause` chain (undici nests them). */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) codes.push(...codesOf(x));
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    parts.push(e.message);
    e = e.cause;
  }
  return parts.join(': ') || String(err);
}

/** Codes of a TLS failure: the certificate was refused, or the handshake failed (a TLS alert). */
function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code === 'EPROTO' ||
    /CERT|UNABLE_TO_(VERIFY|GET)|SELF_SIGNED/.test(code)
  );
}

/**
 * Classifies a `fetch` rejection (not an abort) at `url`. A TLS failure (a certificate
 * refused, a TLS alert) is final: retrying cannot cure it, so it is reported at once (with
 * the TLS error as cause) instead of when the dial timeout runs out.
 */
export function fetchFailure(err: unknown, url: string): AttemptFailure {
  const codes = codesOf(err);
  if (codes.some(isTlsCode)) {
    return new AttemptFailure('answer', new ConnectionError(`TLS with etcd at ${url} failed: ${describe(err)}`, { cause: err, retryable: false }));
  }
  const notSent = codes.some((c) => NOT_SENT_CODES.has(c));
  return new AttemptFailure(
    notSent ? 'not-sent' : 'transport',
    new ConnectionError(`cannot reach etcd at ${url}: ${describe(err)}`, { cause: err }),
  );
}

/** The error for an answer that broke off or was not the JSON etcd sends. */
export function brokenAnswer(url: string, cause: unknown): AttemptFailure {
  return new AttemptFailure('transport', new ConnectionError(`the answer from ${url} broke off: ${describe(cause)}`, { cause }));
}

/**
 * Maps a JSON error body: unary calls answer `{"error": "...", "message": "...", "code": N}`,
 * streams `{"error": {"grpc_code": N, "message": "...", ...}}`. Undefined when the body is neither.
 */
export function errorOfBody(body: unknown): ConclaveError | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b['code'] === 'number') {
    const message = typeof b['message'] === 'string' ? b['message'] : typeof b['error'] === 'string' ? b['error'] : '';
    return errorFromStatus(b['code'], message, body);
  }
  const nested = b['error'];
  if (nested !== null && typeof nested === 'object') {
    const n = nested as Record<string, unknown>;
    const code = typeof n['grpc_code'] === 'number' ? n['grpc_code'] : typeof n['code'] === 'number' ? n['code'] : 2;
    return errorFromStatus(code, typeof n['message'] === 'string' ? n['message'] : '', body);
  }
  return undefined;
}

/** Maps an HTTP error status whose body is not etcd's JSON (a reverse proxy, a wrong server). */
export function errorOfStatus(status: number, text: string, url: string): ConclaveError {
  const detail = `${url} answered HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`;
  if (status === 401 || status === 403) return new AuthError(detail);
  if (status === 413) return new InvalidArgumentError(detail, { code: 'TOO_LARGE' });
  if (status === 404 || status === 405) return new ConnectionError(`no etcd JSON gateway there: ${detail}`, { retryable: false });
  return new ConnectionError(detail);
}
