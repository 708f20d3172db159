/**
 * The one seam between the Conclave SDK and the wire.
 *
 * Everything under `src/` talks to etcd through a {@link Transport}; each folder
 * under `adapters/` implements it for one way of reaching etcd (direct gRPC,
 * `etcd grpc-proxy`, the HTTP/JSON gateway). The types here are Conclave's own:
 * every int64 is a `bigint`, every byte string a `Uint8Array`, every call takes
 * an optional `AbortSignal`. Nothing from `@grpc/grpc-js` appears here.
 *
 * Adapters throw (or pass to `onError`) only {@link ConclaveError} subclasses,
 * mapped in one module per adapter.
 *
 * @module
 */

/** An etcd revision, lease id or other int64, exact. */
export type Rev = bigint;
/** A byte string. */
export type Bytes = Uint8Array;

/** Options every transport call accepts. */
export interface CallOptions {
  /** Aborts the call; the promise rejects with `AbortError`. */
  signal?: AbortSignal | undefined;
}

/** etcd's response header. Proxies may omit everything but `revision`. */
export interface ResponseHeader {
  revision: Rev;
  clusterId?: Rev;
  memberId?: Rev;
  raftTerm?: Rev;
}

/** A key-value pair as stored by etcd (mvccpb.KeyValue). */
export interface WireKeyValue {
  key: Bytes;
  value: Bytes;
  createRevision: Rev;
  modRevision: Rev;
  version: Rev;
  lease: Rev;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

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

export interface RangeResponse {
  header: ResponseHeader;
  kvs: WireKeyValue[];
  more: boolean;
  count: Rev;
}

export interface PutRequest {
  key: Bytes;
  value: Bytes;
  lease?: Rev | undefined;
  prevKv?: boolean | undefined;
  ignoreValue?: boolean | undefined;
  ignoreLease?: boolean | undefined;
}

export interface PutResponse {
  header: ResponseHeader;
  prevKv?: WireKeyValue | undefined;
}

export interface DeleteRangeRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  prevKv?: boolean | undefined;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: Rev;
  prevKvs: WireKeyValue[];
}

export type CompareResult = 'equal' | 'greater' | 'less' | 'not-equal';

/** One guard of a transaction. `value` is bytes for target `value`, an int64 otherwise. */
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

export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

export type ResponseOp =
  | { range: RangeResponse }
  | { put: PutResponse }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactRequest {
  revision: Rev;
  physical?: boolean | undefined;
}

export interface LeaseGrantRequest {
  /** Seconds. */
  ttl: Rev;
  /** 0/absent: the server picks the id. */
  id?: Rev | undefined;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: Rev;
  ttl: Rev;
}

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

/** Handlers of a stream opened on a transport. Each is called on the event loop, never re-entrantly. */
export interface StreamHandlers<T> {
  onMessage(message: T): void;
  /** The stream ended (error, server close, or transport close). Called at most once, never after `close()`. */
  onError(error: Error): void;
}

/**
 * A lease keep-alive stream. Each `send(id)` asks etcd to refresh lease `id`;
 * each answer arrives through `onMessage`. gRPC adapters use one bidi stream;
 * the HTTP adapter makes one POST per `send`.
 */
export interface LeaseKeepAliveStream {
  send(id: Rev): void;
  /** Ends the stream; no handler is called afterwards. Idempotent. */
  close(): void;
}

export type WatchFilter = 'noput' | 'nodelete';

export interface WatchCreateRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  /** First revision to deliver (0/absent = from now). */
  startRevision?: Rev | undefined;
  progressNotify?: boolean | undefined;
  filters?: WatchFilter[] | undefined;
  prevKv?: boolean | undefined;
}

export interface WireEvent {
  type: 'put' | 'delete';
  kv: WireKeyValue;
  prevKv?: WireKeyValue | undefined;
}

/** Why a watcher was cancelled by the server. */
export interface WatchCancel {
  /** > 0 when the requested start revision was compacted. */
  compactRevision: Rev;
  /** etcd's cancel_reason, e.g. a permission error. */
  reason: string;
  /** The reason mapped to a typed error (CompactedError, AuthError, ...). */
  error: Error;
}

/** Receives what etcd says about one watcher. */
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

/** A watcher opened on a {@link WatchStream}. */
export interface WatcherHandle {
  /** Asks the server to cancel the watcher; no listener call follows. Idempotent. */
  cancel(): void;
}

/**
 * A multiplexed watch stream: many watchers over one server stream (gRPC) or
 * one request per watcher (HTTP). The adapter assigns and matches watch ids.
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

export interface Member {
  id: Rev;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface MemberListResponse {
  header: ResponseHeader;
  members: Member[];
}

export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: Rev;
  leader: Rev;
  raftIndex: Rev;
  raftTerm: Rev;
}

export interface AuthenticateResponse {
  header: ResponseHeader;
  token: string;
}

/** What a transport can and cannot do natively; the core adapts to it. */
export interface TransportCapabilities {
  /** `WatchStream.requestProgress` works. */
  progressRequest: boolean;
  /** Serializable reads may be stale beyond normal follower lag (grpc-proxy cache). */
  staleSerializableReads: boolean;
}

/**
 * The interface every adapter implements. All methods but the `open*` ones
 * return promises that reject with a `ConclaveError`.
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
}

export interface TlsOptions {
  ca?: string | Bytes | undefined;
  cert?: string | Bytes | undefined;
  key?: string | Bytes | undefined;
  serverName?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}
