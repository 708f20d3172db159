/**
 * The {@link Transport} interface every adapter implements, its call options and capabilities,
 * and the options common to the built-in adapters' factories.
 * @module
 */
import type { Logger } from '../logger.js';
import type { Bytes, Rev } from '../types.js';
import type { AuthenticateResponse, MemberListResponse, StatusResponse } from './cluster.js';
import type { CompactRequest, DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader } from './kv.js';
import type { LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseKeepAliveStream, LeaseTimeToLiveResponse } from './lease.js';
import type { TxnRequest, TxnResponse } from './txn.js';
import type { WatchStream } from './watch.js';

/** Options every transport call accepts. */
export interface CallOptions {
  /** Aborts the call; the promise rejects with `AbortError`. */
  signal?: AbortSignal | undefined;
}

/** Handlers of a stream opened on a transport. Each is called on the event loop, never re-entrantly. */
export interface StreamHandlers<T> {
  onMessage(message: T): void;
  /** The stream ended (error, server close, or transport close). Called at most once, never after `close()`. */
  onError(error: Error): void;
}

/** What a transport can and cannot do natively; the core adapts to it. */
export interface TransportCapabilities {
  /** `WatchStream.requestProgress` works. */
  progressRequest: boolean;
  /** Serializable reads may be stale beyond normal follower lag (grpc-proxy cache). */
  staleSerializableReads: boolean;
}

/**
 * The interface every adapter implements. All methods but the `open*` ones return promises
 * that reject with a `ConclaveError`.
 *
 * @example
 * ```ts
 * // Wrap a built-in transport, e.g. to count puts, and hand it to connect().
 * const inner = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * let puts = 0;
 * const counting: Transport = { ...inner, name: inner.name, capabilities: inner.capabilities,
 *   range: (r, o) => inner.range(r, o), put: (r, o) => (puts++, inner.put(r, o)),
 *   deleteRange: (r, o) => inner.deleteRange(r, o), txn: (r, o) => inner.txn(r, o), compact: (r, o) => inner.compact(r, o),
 *   leaseGrant: (r, o) => inner.leaseGrant(r, o), leaseRevoke: (id, o) => inner.leaseRevoke(id, o),
 *   leaseTimeToLive: (id, o) => inner.leaseTimeToLive(id, o), openLeaseKeepAlive: (h) => inner.openLeaseKeepAlive(h),
 *   openWatch: (h) => inner.openWatch(h), memberList: (o) => inner.memberList(o), status: (o) => inner.status(o),
 *   authenticate: (n, p, o) => inner.authenticate(n, p, o), close: () => inner.close() };
 * const client = await connect({ transport: counting });
 * ```
 */
export interface Transport {
  /** A short name for logs and errors: 'grpc', 'grpc-proxy', 'http', ... */
  readonly name: string;
  readonly capabilities: TransportCapabilities;

  range(request: RangeRequest, options?: CallOptions): Promise<RangeResponse>;
  put(request: PutRequest, options?: CallOptions): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest, options?: CallOptions): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest, options?: CallOptions): Promise<TxnResponse>;
  compact(request: CompactRequest, options?: CallOptions): Promise<{ header: ResponseHeader }>;

  leaseGrant(request: LeaseGrantRequest, options?: CallOptions): Promise<LeaseGrantResponse>;
  /** Revoking a lease that no longer exists resolves (it is gone either way). */
  leaseRevoke(id: Rev, options?: CallOptions): Promise<{ header: ResponseHeader }>;
  leaseTimeToLive(id: Rev, options?: CallOptions & { keys?: boolean }): Promise<LeaseTimeToLiveResponse>;
  openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream;

  /** `onMessage` receives stream-wide progress headers (answers to `requestProgress`). */
  openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream;

  memberList(options?: CallOptions): Promise<MemberListResponse>;
  status(options?: CallOptions): Promise<StatusResponse>;
  authenticate(name: string, password: string, options?: CallOptions): Promise<AuthenticateResponse>;

  /** Releases every connection. Idempotent. Open streams get no further handler calls. */
  close(): Promise<void>;
}

/** Options common to the built-in adapters' factories. */
export interface TransportOptions {
  endpoints: string[];
  auth?: { username: string; password: string } | undefined;
  tls?: TlsOptions | undefined;
  /** Bounds connecting and each unary call's wait for a connection. Default 5000. */
  dialTimeoutMs?: number | undefined;
  /** Where the adapter logs its retries (debug); see `connect({ logger })`. */
  logger?: Logger | undefined;
}

/**
 * TLS to etcd: PEM strings or Buffers; `serverName` overrides the name checked,
 * `insecureSkipVerify` skips verification (tests only).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const client = await connect({
 *   endpoints: ['https://etcd.internal:2379'],
 *   tls: { ca: readFileSync('ca.pem'), cert: readFileSync('client.pem'), key: readFileSync('client-key.pem') },
 * });
 * ```
 */
export interface TlsOptions {
  ca?: string | Bytes | undefined;
  cert?: string | Bytes | undefined;
  key?: string | Bytes | undefined;
  serverName?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}
