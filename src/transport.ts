/**
 * The one seam between the Conclave SDK and the wire.
 *
 * Everything under `src/` talks to etcd through a {@link Transport}; each folder
 * under `adapters/` implements it for one way of reaching etcd (direct gRPC,
 * `etcd grpc-proxy`, the HTTP/JSON gateway). The types here are Conclave's own:
 * every int64 is a `bigint`, every byte string a `Uint8Array`, every call takes
 * an optional `AbortSignal`. Nothing from the gRPC library appears here.
 *
 * Adapters throw (or pass to `onError`) only {@link ConclaveError} subclasses,
 * mapped in one module per adapter.
 *
 * @module
 */
import type { Logger } from './logger.js';

/**
 * An etcd revision, lease id or other int64, exact.
 *
 * @example
 * ```ts
 * const { revision } = await client.put('k', 'v'); // revision: bigint, e.g. 42n
 * client.watch('k', { fromRevision: revision + 1n });
 * ```
 */
export type Rev = bigint;
/**
 * A byte string.
 *
 * @example
 * ```ts
 * const kv = await client.get('k');
 * const text = kv && new TextDecoder().decode(kv.value); // kv.value: Uint8Array
 * ```
 */
export type Bytes = Uint8Array;

/**
 * Options every transport call accepts.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.range({ key: enc('k') }, { signal: AbortSignal.timeout(1000) });
 * ```
 */
export interface CallOptions {
  /** Aborts the call; the promise rejects with `AbortError`. */
  signal?: AbortSignal | undefined;
}

/**
 * etcd's response header. Proxies may omit everything but `revision`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { header } = await transport.put({ key: enc('k'), value: enc('v') });
 * console.log(header.revision, header.memberId);
 * ```
 */
export interface ResponseHeader {
  revision: Rev;
  clusterId?: Rev;
  memberId?: Rev;
  raftTerm?: Rev;
}

/**
 * A key-value pair as stored by etcd (mvccpb.KeyValue).
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { kvs } = await transport.range({ key: enc('k') });
 * for (const kv of kvs) console.log(kv.createRevision, kv.modRevision, kv.lease);
 * ```
 */
export interface WireKeyValue {
  key: Bytes;
  value: Bytes;
  createRevision: Rev;
  modRevision: Rev;
  version: Rev;
  lease: Rev;
}

/**
 * Sort order of a range read.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.range({ key: enc('a'), rangeEnd: enc('b'), sortOrder: 'descend', sortTarget: 'mod' });
 * ```
 */
export type SortOrder = 'none' | 'ascend' | 'descend';
/**
 * What a range read is sorted by.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.range({ key: enc('a'), rangeEnd: enc('b'), sortOrder: 'ascend', sortTarget: 'create' });
 * ```
 */
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

/**
 * A range read (etcd `RangeRequest`): one key, or `[key, rangeEnd)`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const page = await transport.range({ key: enc('jobs/'), rangeEnd: enc('jobs0'), limit: 100n, keysOnly: true });
 * ```
 */
export interface RangeRequest {
  key: Bytes;
  /** Exclusive end; `[0]` means "every key >= key"; absent means the single key. */
  rangeEnd?: Bytes | undefined;
  limit?: Rev | undefined;
  /** Read at this revision (0/absent = latest). */
  revision?: Rev | undefined;
  sortOrder?: SortOrder | undefined;
  sortTarget?: SortTarget | undefined;
  serializable?: boolean | undefined;
  keysOnly?: boolean | undefined;
  countOnly?: boolean | undefined;
  minModRevision?: Rev | undefined;
  maxModRevision?: Rev | undefined;
  minCreateRevision?: Rev | undefined;
  maxCreateRevision?: Rev | undefined;
}

/**
 * The answer to a range read.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { kvs, more, count } = await transport.range({ key: enc('jobs/'), rangeEnd: enc('jobs0'), limit: 10n });
 * ```
 */
export interface RangeResponse {
  header: ResponseHeader;
  kvs: WireKeyValue[];
  more: boolean;
  count: Rev;
}

/**
 * A put (etcd `PutRequest`).
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.put({ key: enc('k'), value: enc('v'), prevKv: true });
 * ```
 */
export interface PutRequest {
  key: Bytes;
  value: Bytes;
  lease?: Rev | undefined;
  prevKv?: boolean | undefined;
  ignoreValue?: boolean | undefined;
  ignoreLease?: boolean | undefined;
}

/**
 * The answer to a put.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { header, prevKv } = await transport.put({ key: enc('k'), value: enc('v2'), prevKv: true });
 * ```
 */
export interface PutResponse {
  header: ResponseHeader;
  prevKv?: WireKeyValue | undefined;
}

/**
 * A delete of one key or of `[key, rangeEnd)`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.deleteRange({ key: enc('tmp/'), rangeEnd: enc('tmp0') });
 * ```
 */
export interface DeleteRangeRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  prevKv?: boolean | undefined;
}

/**
 * The answer to a delete.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { deleted } = await transport.deleteRange({ key: enc('k') }); // 1n or 0n
 * ```
 */
export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: Rev;
  prevKvs: WireKeyValue[];
}

/**
 * How a transaction guard compares.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.txn({ compare: [{ target: 'version', result: 'equal', key: enc('k'), value: 0n }], success: [], failure: [] });
 * ```
 */
export type CompareResult = 'equal' | 'greater' | 'less' | 'not-equal';

/**
 * One guard of a transaction. `value` is bytes for target `value`, an int64 otherwise.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * // "k does not exist yet"
 * const absent: Compare = { target: 'create', result: 'equal', key: enc('k'), value: 0n };
 * ```
 */
export type Compare =
  | {
      target: 'version' | 'create' | 'mod' | 'lease';
      result: CompareResult;
      key: Bytes;
      rangeEnd?: Bytes | undefined;
      value: Rev;
    }
  | {
      target: 'value';
      result: CompareResult;
      key: Bytes;
      rangeEnd?: Bytes | undefined;
      value: Bytes;
    };

/**
 * One operation of a transaction branch.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const ops: RequestOp[] = [{ put: { key: enc('a'), value: enc('1') } }, { range: { key: enc('b') } }];
 * ```
 */
export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

/**
 * The answer to one operation of a transaction.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const res = await transport.txn({ compare: [], success: [{ range: { key: enc('b') } }], failure: [] });
 * const first = res.responses[0];
 * if (first && 'range' in first) console.log(first.range.kvs.length);
 * ```
 */
export type ResponseOp =
  | { range: RangeResponse }
  | { put: PutResponse }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse };

/**
 * A transaction: if every compare holds, run `success`, else `failure`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * // Create k only if it does not exist.
 * await transport.txn({
 *   compare: [{ target: 'create', result: 'equal', key: enc('k'), value: 0n }],
 *   success: [{ put: { key: enc('k'), value: enc('first') } }],
 *   failure: [{ range: { key: enc('k') } }],
 * });
 * ```
 */
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/**
 * The answer to a transaction.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { succeeded, responses } = await transport.txn({ compare: [], success: [{ put: { key: enc('k'), value: enc('v') } }], failure: [] });
 * ```
 */
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

/**
 * Compacts the key-value history up to `revision`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * await transport.compact({ revision: 1000n, physical: true });
 * ```
 */
export interface CompactRequest {
  revision: Rev;
  physical?: boolean | undefined;
}

/**
 * Grants a lease of `ttl` seconds.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const lease = await transport.leaseGrant({ ttl: 10n });
 * ```
 */
export interface LeaseGrantRequest {
  /** Seconds. */
  ttl: Rev;
  /** 0/absent: the server picks the id. */
  id?: Rev | undefined;
}

/**
 * The granted lease.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { id, ttl } = await transport.leaseGrant({ ttl: 10n });
 * await transport.put({ key: enc('presence/me'), value: enc('up'), lease: id });
 * ```
 */
export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: Rev;
  ttl: Rev;
}

/**
 * A lease's remaining time and keys.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { ttl, keys } = await transport.leaseTimeToLive(leaseId, { keys: true }); // ttl -1n: gone
 * ```
 */
export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  id: Rev;
  /** Remaining seconds; -1 when the lease does not exist (expired or revoked). */
  ttl: Rev;
  grantedTtl: Rev;
  keys: Bytes[];
}

/**
 * One answer on a keep-alive stream. `ttl <= 0` means the lease is gone.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const stream = transport.openLeaseKeepAlive({
 *   onMessage: (res) => console.log(res.id, res.ttl > 0n ? 'refreshed' : 'gone'),
 *   onError: (e) => console.log('stream ended', e),
 * });
 * stream.send(leaseId);
 * ```
 */
export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  id: Rev;
  ttl: Rev;
}

/**
 * Handlers of a stream opened on a transport. Each is called on the event loop, never re-entrantly.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const watches = transport.openWatch({
 *   onMessage: (header) => console.log('progress at', header.revision),
 *   onError: (error) => console.log('watch stream ended:', error.message),
 * });
 * ```
 */
export interface StreamHandlers<T> {
  onMessage(message: T): void;
  /** The stream ended (error, server close, or transport close). Called at most once, never after `close()`. */
  onError(error: Error): void;
}

/**
 * A lease keep-alive stream. Each `send(id)` asks etcd to refresh lease `id`;
 * each answer arrives through `onMessage`. gRPC adapters use one bidi stream;
 * the HTTP adapter makes one POST per `send`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const stream = transport.openLeaseKeepAlive({ onMessage: (r) => console.log(r.ttl), onError: () => {} });
 * stream.send(leaseId);
 * stream.close();
 * ```
 */
export interface LeaseKeepAliveStream {
  send(id: Rev): void;
  /** Ends the stream; no handler is called afterwards. Idempotent. */
  close(): void;
}

/**
 * Event types a watcher can leave out.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * stream.watch({ key: enc('jobs/'), rangeEnd: enc('jobs0'), filters: ['nodelete'] }, listener);
 * ```
 */
export type WatchFilter = 'noput' | 'nodelete';

/**
 * Opens one watcher on a {@link WatchStream}.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const handle = stream.watch({ key: enc('jobs/'), rangeEnd: enc('jobs0'), startRevision: 100n, prevKv: true }, listener);
 * ```
 */
export interface WatchCreateRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  /** First revision to deliver (0/absent = from now). */
  startRevision?: Rev | undefined;
  progressNotify?: boolean | undefined;
  filters?: WatchFilter[] | undefined;
  prevKv?: boolean | undefined;
}

/**
 * One change seen by a watcher, as etcd sends it.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const listener: WatcherListener = {
 *   onCreated: () => {},
 *   onEvents: (events: WireEvent[]) => events.forEach((e) => console.log(e.type, e.kv.modRevision)),
 *   onProgress: () => {},
 *   onCanceled: () => {},
 * };
 * ```
 */
export interface WireEvent {
  type: 'put' | 'delete';
  kv: WireKeyValue;
  prevKv?: WireKeyValue | undefined;
}

/**
 * Why a watcher was cancelled by the server.
 *
 * @example
 * ```ts
 * const listener: WatcherListener = {
 *   onCreated: () => {}, onEvents: () => {}, onProgress: () => {},
 *   onCanceled: (cancel: WatchCancel) => console.log(cancel.compactRevision, cancel.reason, cancel.error),
 * };
 * ```
 */
export interface WatchCancel {
  /** > 0 when the requested start revision was compacted. */
  compactRevision: Rev;
  /** etcd's cancel_reason, e.g. a permission error. */
  reason: string;
  /** The reason mapped to a typed error (CompactedError, AuthError, ...). */
  error: Error;
}

/**
 * Receives what etcd says about one watcher.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const stream = transport.openWatch({ onMessage: () => {}, onError: () => {} });
 * stream.watch({ key: enc('k') }, {
 *   onCreated: (h) => console.log('watching from', h.revision + 1n),
 *   onEvents: (events) => console.log(events.length, 'events'),
 *   onProgress: (h) => console.log('nothing new up to', h.revision),
 *   onCanceled: (c) => console.log('cancelled:', c.reason),
 * });
 * ```
 */
export interface WatcherListener {
  /** The server created the watcher; `header.revision` is the store revision at creation. */
  onCreated(header: ResponseHeader): void;
  /** A batch of events (all events of one revision are in one batch). */
  onEvents(events: WireEvent[], header: ResponseHeader): void;
  /** A progress notification: nothing for this watcher up to `header.revision`. */
  onProgress(header: ResponseHeader): void;
  /** The server cancelled the watcher (compaction, permission). Terminal for the watcher. */
  onCanceled(cancel: WatchCancel): void;
}

/**
 * A watcher opened on a {@link WatchStream}.
 *
 * @example
 * ```ts
 * const handle = stream.watch({ key: enc('k') }, listener);
 * handle.cancel();
 * ```
 */
export interface WatcherHandle {
  /** Asks the server to cancel the watcher; no listener call follows. Idempotent. */
  cancel(): void;
}

/**
 * A multiplexed watch stream: many watchers over one server stream (gRPC) or
 * one request per watcher (HTTP). The adapter assigns and matches watch ids.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const stream = transport.openWatch({ onMessage: () => {}, onError: (e) => console.log(e) });
 * const handle = stream.watch({ key: enc('k') }, listener);
 * stream.requestProgress();
 * stream.close();
 * ```
 */
export interface WatchStream {
  watch(request: WatchCreateRequest, listener: WatcherListener): WatcherHandle;
  /**
   * Asks for a progress notification for the whole stream; it arrives through
   * the stream handlers' `onMessage` as the current header. Adapters that cannot
   * (grpc-proxy, http) return false and the caller falls back to a read.
   */
  requestProgress(): boolean;
  /** Ends the stream and every watcher on it; no handler is called afterwards. Idempotent. */
  close(): void;
}

/**
 * One member of the cluster.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { members } = await transport.memberList();
 * for (const m of members) console.log(m.name, m.clientUrls);
 * ```
 */
export interface Member {
  id: Rev;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/**
 * The members of the cluster.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { members } = await transport.memberList();
 * ```
 */
export interface MemberListResponse {
  header: ResponseHeader;
  members: Member[];
}

/**
 * The status of the member that answered.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { version, leader, raftTerm } = await transport.status();
 * ```
 */
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: Rev;
  leader: Rev;
  raftIndex: Rev;
  raftTerm: Rev;
}

/**
 * An auth token for `name`.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const { token } = await transport.authenticate('app', 'secret');
 * ```
 */
export interface AuthenticateResponse {
  header: ResponseHeader;
  token: string;
}

/**
 * What a transport can and cannot do natively; the core adapts to it.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'] });
 * console.log(transport.capabilities.progressRequest); // false: the gateway cannot
 * ```
 */
export interface TransportCapabilities {
  /** `WatchStream.requestProgress` works. */
  progressRequest: boolean;
  /** Serializable reads may be stale beyond normal follower lag (grpc-proxy cache). */
  staleSerializableReads: boolean;
}

/**
 * The interface every adapter implements. All methods but the `open*` ones
 * return promises that reject with a `ConclaveError`.
 *
 * @example
 * ```ts
 * // Wrap a built-in transport, e.g. to count calls, and hand it to connect().
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

/**
 * Options common to the built-in adapters' factories.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'], auth: { username: 'app', password: 'secret' }, dialTimeoutMs: 2000 });
 * ```
 */
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
 * TLS to etcd: PEM strings or Buffers; `serverName` overrides the name checked, `insecureSkipVerify` skips verification (tests only).
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
