/**
 * Conclave's typed errors. Everything the SDK throws or emits is a
 * {@link ConclaveError}; `code` names the condition, `retryable` says whether the
 * same call may succeed later, `cause` keeps the underlying failure.
 *
 * @example
 * ```ts
 * try { await client.get('k') }
 * catch (e) { if (e instanceof ConnectionError && e.retryable) { ... } }
 * ```
 * @module
 */

/**
 * Options of every {@link ConclaveError} constructor: the underlying `cause`, and `retryable` / `code` overrides.
 *
 * @example
 * ```ts
 * throw new ConnectionError('etcd did not answer', { cause: underlying, retryable: true });
 * ```
 */
export interface ConclaveErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  code?: string;
}

/**
 * Base class of every Conclave error.
 *
 * @example
 * ```ts
 * try {
 *   await client.put('config/mode', 'active');
 * } catch (e) {
 *   if (e instanceof ConclaveError) console.log(e.code, e.retryable, e.cause);
 * }
 * ```
 */
export class ConclaveError extends Error {
  /** Stable, machine-readable condition, e.g. `'INVALID_ARGUMENT'`. */
  readonly code: string;
  /** Whether retrying the same call may succeed. */
  readonly retryable: boolean;
  override readonly cause: unknown;

  constructor(message: string, options: ConclaveErrorOptions & { code: string }) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.cause = options.cause;
  }
}

/**
 * Bad input, refused before anything was sent (or refused by etcd as malformed/too large).
 *
 * @example
 * ```ts
 * // Refused before anything is sent: an empty lock name.
 * try { client.mutex('') } catch (e) { console.log(e instanceof InvalidArgumentError) } // true
 * ```
 */
export class InvalidArgumentError extends ConclaveError {
  constructor(message: string, options: ConclaveErrorOptions = {}) {
    super(message, { code: 'INVALID_ARGUMENT', ...options, retryable: false });
  }
}

/**
 * etcd is unreachable, the connection broke, or TLS failed.
 *
 * @example
 * ```ts
 * try {
 *   await connect({ endpoints: ['127.0.0.1:1'], dialTimeoutMs: 500 });
 * } catch (e) {
 *   if (e instanceof ConnectionError) console.log('etcd unreachable; retryable:', e.retryable); // true
 * }
 * ```
 */
export class ConnectionError extends ConclaveError {
  constructor(message: string, options: ConclaveErrorOptions = {}) {
    super(message, { code: 'CONNECTION', retryable: true, ...options });
  }
}

/**
 * Bad credentials, an invalid token, or permission denied.
 *
 * @example
 * ```ts
 * try {
 *   await connect({ auth: { username: 'app', password: 'wrong' } });
 * } catch (e) {
 *   if (e instanceof AuthError) console.log('bad credentials');
 * }
 * ```
 */
export class AuthError extends ConclaveError {
  constructor(message: string, options: ConclaveErrorOptions = {}) {
    super(message, { code: 'AUTH', retryable: false, ...options });
  }
}

/**
 * The requested history was compacted away.
 *
 * @example
 * ```ts
 * client.watch('config/', { prefix: true, fromRevision: 1n }).subscribe({
 *   error: (e) => { if (e instanceof CompactedError) console.log('history gone; resume from', e.compactRevision) },
 * });
 * ```
 */
export class CompactedError extends ConclaveError {
  /** The revision etcd has compacted up to; history from here on is still available. -1n when etcd did not say. */
  readonly compactRevision: bigint;
  constructor(compactRevision: bigint, options: ConclaveErrorOptions = {}) {
    super(`requested revision has been compacted (compact revision ${compactRevision})`, {
      code: 'COMPACTED',
      ...options,
      retryable: false,
    });
    this.compactRevision = compactRevision;
  }
}

/**
 * The session lease is gone (expired, revoked, or unreachable past its TTL).
 *
 * @example
 * ```ts
 * const session = await client.session();
 * session.signal.addEventListener('abort', () => {
 *   if (session.signal.reason instanceof SessionLostError) console.log('lease lost');
 * }, { once: true });
 * ```
 */
export class SessionLostError extends ConclaveError {
  constructor(message = 'session lease lost', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'SESSION_LOST', retryable: true, ...options });
  }
}

/**
 * A lock or leadership was lost before it was released.
 *
 * @example
 * ```ts
 * const lock = await client.mutex('jobs').acquire();
 * try {
 *   await lock.putIfHeld('jobs/state', 'done');
 * } catch (e) {
 *   if (e instanceof LockLostError) console.log('someone else may hold the lock now');
 * }
 * ```
 */
export class LockLostError extends ConclaveError {
  constructor(message = 'lock lost', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'LOCK_LOST', retryable: true, ...options });
  }
}

/**
 * A wait or call ran past its time limit.
 *
 * @example
 * ```ts
 * try {
 *   await client.mutex('jobs').acquire({ timeoutMs: 1000 });
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log('still busy after 1 s');
 * }
 * ```
 */
export class TimeoutError extends ConclaveError {
  constructor(message = 'timed out', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'TIMEOUT', retryable: true, ...options });
  }
}

/**
 * The caller's `AbortSignal` aborted the wait or call.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const waiting = client.queue('jobs').dequeue({ signal: controller.signal });
 * controller.abort();
 * await waiting.catch((e) => console.log(e instanceof AbortError)); // true
 * ```
 */
export class AbortError extends ConclaveError {
  constructor(message = 'aborted', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'ABORTED', retryable: false, ...options });
  }
}

/**
 * The client (or the object) was closed.
 *
 * @example
 * ```ts
 * await client.close();
 * await client.get('k').catch((e) => console.log(e instanceof ClosedError)); // true
 * ```
 */
export class ClosedError extends ConclaveError {
  constructor(message = 'client is closed', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'CLOSED', retryable: false, ...options });
  }
}

/**
 * A wait that could never end: e.g. a `withLock` of a mutex nested inside a `withLock` of the same
 * mutex, in the same client and async context (it would wait for itself forever).
 *
 * @example
 * ```ts
 * await m.withLock(async () => {
 *   await m.withLock(async () => {}); // rejects with DeadlockError instead of hanging
 * });
 * ```
 */
export class DeadlockError extends ConclaveError {
  constructor(message = 'this wait would never end', options: ConclaveErrorOptions = {}) {
    super(message, { code: 'DEADLOCK', retryable: false, ...options });
  }
}

/**
 * Any other failure reported by etcd; `code` is the gRPC status name (e.g. `'FAILED_PRECONDITION'`).
 *
 * @example
 * ```ts
 * try {
 *   await client.put('k', 'v');
 * } catch (e) {
 *   if (e instanceof EtcdError) console.log(e.code, e.status); // e.g. 'RESOURCE_EXHAUSTED' 8
 * }
 * ```
 */
export class EtcdError extends ConclaveError {
  /** The gRPC status code number (the gateway's `code` field). */
  readonly status: number;
  constructor(message: string, status: number, options: ConclaveErrorOptions = {}) {
    super(message, { code: GRPC_STATUS_NAMES[status] ?? 'UNKNOWN', ...options });
    this.status = status;
  }
}

/** gRPC status code names by number (same numbers as the JSON gateway's `code`). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Status codes by the names Go's `codes.Code.String()` prints (`PermissionDenied`, `Canceled`, ...). */
const GO_STATUS_CODES: ReadonlyMap<string, number> = new Map(
  GRPC_STATUS_NAMES.map((name, code) => [
    name === 'CANCELLED' ? 'Canceled' : name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase()),
    code,
  ]),
);

/**
 * Parses etcd's watch `cancel_reason` ("rpc error: code = PermissionDenied desc = etcdserver: permission denied")
 * into a status code and message, for {@link errorFromStatus}. Shared by every adapter.
 */
export function parseCancelReason(reason: string): { code: number; message: string } {
  const m = /code\s*=\s*(\w+)\s+desc\s*=\s*(.*)$/s.exec(reason);
  if (!m) return { code: 2, message: reason || 'watch canceled by the server' };
  return { code: GO_STATUS_CODES.get(m[1]!) ?? 2, message: m[2]!.trim() };
}

const RETRYABLE_ETCD_MESSAGES = [
  'etcdserver: no leader',
  'etcdserver: leader changed',
  'etcdserver: request timed out',
  'etcdserver: not capable',
  'etcdserver: too many requests',
  'etcdserver: server stopped',
  'etcdserver: request timed out, possibly due to previous leader failure',
  'etcdserver: request timed out, possibly due to connection lost',
];

/**
 * The status codes etcd gives its own errors (`api/v3rpc/rpctypes`), by message. `etcd
 * grpc-proxy` forwards some of them as `UNKNOWN` with the message only; the code is
 * recovered from the message.
 */
const ETCD_ERROR_CODES: readonly (readonly [string, number])[] = [
  ['etcdserver: key is not provided', 3],
  ['etcdserver: too many operations in txn request', 3],
  ['etcdserver: duplicate key given in txn request', 3],
  ['etcdserver: requested lease not found', 5],
  ['etcdserver: lease already exists', 9],
  ['etcdserver: lease TTL is too large', 11],
  ['etcdserver: mvcc: required revision is a future revision', 11],
  ['etcdserver: permission denied', 7],
];

/** Messages of a request over a size limit: etcd's own, a gRPC server's (receive) and a gRPC client's or proxy's (send). */
const TOO_LARGE_MESSAGES = ['request is too large', 'received message larger than max', 'trying to send message larger than max'];

/**
 * Maps an etcd failure, as a gRPC status code and message (what both gRPC and
 * the JSON gateway report), to a typed error. The one place where wire
 * failures become Conclave errors.
 */
export function errorFromStatus(code: number, message: string, cause?: unknown): ConclaveError {
  const msg = message || GRPC_STATUS_NAMES[code] || 'etcd error';
  const status = code === 2 ? (ETCD_ERROR_CODES.find(([m]) => msg.includes(m))?.[1] ?? code) : code;
  if (msg.includes('required revision has been compacted')) return new CompactedError(-1n, { cause });
  if (TOO_LARGE_MESSAGES.some((m) => msg.includes(m))) {
    return new InvalidArgumentError(`etcd refused the request: ${msg}`, { cause, code: 'TOO_LARGE' });
  }
  if (msg.includes('authentication failed') || msg.includes('user name is empty')) {
    return new AuthError(msg, { cause, code: 'AUTH_FAILED' });
  }
  if (msg.includes('invalid auth token') || msg.includes('auth: invalid auth token')) {
    return new AuthError(msg, { cause, code: 'INVALID_TOKEN', retryable: true });
  }
  if (msg.includes('permission denied') || status === 7) {
    return new AuthError(msg, { cause, code: 'PERMISSION_DENIED' });
  }
  if (status === 16) return new AuthError(msg, { cause, code: 'UNAUTHENTICATED', retryable: true });
  if (status === 4) return new TimeoutError(msg, { cause });
  if (status === 14) return new ConnectionError(msg, { cause });
  if (status === 3) return new InvalidArgumentError(msg, { cause });
  if (RETRYABLE_ETCD_MESSAGES.some((m) => msg.includes(m))) {
    return new EtcdError(msg, status, { cause, retryable: true });
  }
  return new EtcdError(msg, status, { cause, retryable: false });
}

/** The error to reject with when `signal` aborted: its reason if typed, else an {@link AbortError}. */
export function abortErrorOf(signal: AbortSignal): ConclaveError {
  const reason: unknown = signal.reason;
  if (reason instanceof ConclaveError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new TimeoutError('timed out', { cause: reason });
  return new AbortError('aborted', { cause: reason });
}

/** Throws the abort error if `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorOf(signal);
}
