/**
 * Conversions between Conclave's transport types ({@link Transport} requests and
 * responses: `bigint`, `Uint8Array`, lowercase unions) and the plain objects
 * `@grpc/proto-loader` serializes (`keepCase` field names, int64 as decimal
 * strings, bytes as `Buffer`, enums by their etcd names).
 *
 * Encoders never send a field that is absent in the request (proto3 defaults
 * are implied); decoders turn missing messages and fields into `0n` / empty.
 *
 * @module
 * @internal
 */
import type {
  Bytes,
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveResponse,
  Member,
  MemberListResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  StatusResponse,
  TxnRequest,
  TxnResponse,
  WatchCreateRequest,
  WireEvent,
  WireKeyValue,
} from '../../src/transport/index.js';

// ---------------------------------------------------------------------------
// Proto object shapes (as proto-loader produces/accepts them with
// keepCase, longs: String, enums: String, defaults: true, oneofs: true).
// ---------------------------------------------------------------------------

/** An int64/uint64 as proto-loader hands it over (`longs: String`). */
export type PbLong = string;

/** etcdserverpb.ResponseHeader; `null` when the server omitted it. */
export interface PbResponseHeader {
  cluster_id?: PbLong;
  member_id?: PbLong;
  revision?: PbLong;
  raft_term?: PbLong;
}

/** mvccpb.KeyValue. */
export interface PbKeyValue {
  key?: Uint8Array;
  create_revision?: PbLong;
  mod_revision?: PbLong;
  version?: PbLong;
  value?: Uint8Array;
  lease?: PbLong;
}

/** mvccpb.Event. */
export interface PbEvent {
  type?: string;
  kv?: PbKeyValue | null;
  prev_kv?: PbKeyValue | null;
}

/** etcdserverpb.RangeRequest. */
export interface PbRangeRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  limit?: PbLong;
  revision?: PbLong;
  sort_order?: string;
  sort_target?: string;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: PbLong;
  max_mod_revision?: PbLong;
  min_create_revision?: PbLong;
  max_create_revision?: PbLong;
}

/** etcdserverpb.RangeResponse. */
export interface PbRangeResponse {
  header?: PbResponseHeader | null;
  kvs?: PbKeyValue[];
  more?: boolean;
  count?: PbLong;
}

/** etcdserverpb.PutRequest. */
export interface PbPutRequest {
  key: Uint8Array;
  value: Uint8Array;
  lease?: PbLong;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

/** etcdserverpb.PutResponse. */
export interface PbPutResponse {
  header?: PbResponseHeader | null;
  prev_kv?: PbKeyValue | null;
}

/** etcdserverpb.DeleteRangeRequest. */
export interface PbDeleteRangeRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  prev_kv?: boolean;
}

/** etcdserverpb.DeleteRangeResponse. */
export interface PbDeleteRangeResponse {
  header?: PbResponseHeader | null;
  deleted?: PbLong;
  prev_kvs?: PbKeyValue[];
}

/** etcdserverpb.Compare; exactly one of the `target_union` fields is set. */
export interface PbCompare {
  result: string;
  target: string;
  key: Uint8Array;
  range_end?: Uint8Array;
  version?: PbLong;
  create_revision?: PbLong;
  mod_revision?: PbLong;
  value?: Uint8Array;
  lease?: PbLong;
}

/** etcdserverpb.RequestOp (one field set). */
export interface PbRequestOp {
  request_range?: PbRangeRequest;
  request_put?: PbPutRequest;
  request_delete_range?: PbDeleteRangeRequest;
  request_txn?: PbTxnRequest;
}

/** etcdserverpb.ResponseOp. */
export interface PbResponseOp {
  /** The oneof discriminator added by `oneofs: true`. */
  response?: string;
  response_range?: PbRangeResponse | null;
  response_put?: PbPutResponse | null;
  response_delete_range?: PbDeleteRangeResponse | null;
  response_txn?: PbTxnResponse | null;
}

/** etcdserverpb.TxnRequest. */
export interface PbTxnRequest {
  compare: PbCompare[];
  success: PbRequestOp[];
  failure: PbRequestOp[];
}

/** etcdserverpb.TxnResponse. */
export interface PbTxnResponse {
  header?: PbResponseHeader | null;
  succeeded?: boolean;
  responses?: PbResponseOp[];
}

/** etcdserverpb.CompactionRequest. */
export interface PbCompactionRequest {
  revision: PbLong;
  physical?: boolean;
}

/** Any response that carries only a header (Compaction, LeaseRevoke). */
export interface PbHeaderOnlyResponse {
  header?: PbResponseHeader | null;
}

/** etcdserverpb.LeaseGrantRequest (field names as in the proto: `TTL`, `ID`). */
export interface PbLeaseGrantRequest {
  TTL: PbLong;
  ID?: PbLong;
}

/** etcdserverpb.LeaseGrantResponse. */
export interface PbLeaseGrantResponse {
  header?: PbResponseHeader | null;
  ID?: PbLong;
  TTL?: PbLong;
  error?: string;
}

/** etcdserverpb.LeaseTimeToLiveResponse. */
export interface PbLeaseTimeToLiveResponse {
  header?: PbResponseHeader | null;
  ID?: PbLong;
  TTL?: PbLong;
  grantedTTL?: PbLong;
  keys?: Uint8Array[];
}

/** etcdserverpb.LeaseKeepAliveResponse. */
export interface PbLeaseKeepAliveResponse {
  header?: PbResponseHeader | null;
  ID?: PbLong;
  TTL?: PbLong;
}

/** etcdserverpb.Member. */
export interface PbMember {
  ID?: PbLong;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

/** etcdserverpb.MemberListResponse. */
export interface PbMemberListResponse {
  header?: PbResponseHeader | null;
  members?: PbMember[];
}

/** etcdserverpb.StatusResponse (the fields Conclave reads). */
export interface PbStatusResponse {
  header?: PbResponseHeader | null;
  version?: string;
  dbSize?: PbLong;
  leader?: PbLong;
  raftIndex?: PbLong;
  raftTerm?: PbLong;
}

/** etcdserverpb.AuthenticateResponse. */
export interface PbAuthenticateResponse {
  header?: PbResponseHeader | null;
  token?: string;
}

/** etcdserverpb.WatchCreateRequest (`watch_id` and `fragment` are never set). */
export interface PbWatchCreateRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  start_revision?: PbLong;
  progress_notify?: boolean;
  filters?: string[];
  prev_kv?: boolean;
}

/** etcdserverpb.WatchRequest (one of the three set). */
export interface PbWatchRequest {
  create_request?: PbWatchCreateRequest;
  cancel_request?: { watch_id: PbLong };
  progress_request?: Record<string, never>;
}

/** etcdserverpb.WatchResponse. */
export interface PbWatchResponse {
  header?: PbResponseHeader | null;
  watch_id?: PbLong;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: PbLong;
  cancel_reason?: string;
  fragment?: boolean;
  events?: PbEvent[];
}

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

const EMPTY_BYTES: Bytes = new Uint8Array(0);

/** bytes for the wire: a Buffer view of the same memory (no copy). */
export function bytesOut(bytes: Bytes): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A decoded bytes field; absent means empty. The decoder hands out Buffers: the SDK hands out plain
 * `Uint8Array` views of the same memory (no copy), so values look the same over every transport.
 */
export function bytesIn(bytes: Uint8Array | null | undefined): Bytes {
  if (bytes === undefined || bytes === null) return EMPTY_BYTES;
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** int64 for the wire: a decimal string (exact for the whole int64 range). */
export function longOut(value: bigint): PbLong {
  return value.toString();
}

/** A decoded int64/uint64 (decimal string); absent or malformed means 0n. */
export function longIn(value: PbLong | number | null | undefined): bigint {
  if (value === undefined || value === null || value === '') return 0n;
  try {
    return BigInt(value);
  } catch {
    return 0n;
  }
}

// ---------------------------------------------------------------------------
// Requests (ours -> proto)
// ---------------------------------------------------------------------------

const SORT_ORDER = { none: 'NONE', ascend: 'ASCEND', descend: 'DESCEND' } as const;
const SORT_TARGET = { key: 'KEY', version: 'VERSION', create: 'CREATE', mod: 'MOD', value: 'VALUE' } as const;
const COMPARE_RESULT = { equal: 'EQUAL', greater: 'GREATER', less: 'LESS', 'not-equal': 'NOT_EQUAL' } as const;
const COMPARE_TARGET = { version: 'VERSION', create: 'CREATE', mod: 'MOD', value: 'VALUE', lease: 'LEASE' } as const;
const WATCH_FILTER = { noput: 'NOPUT', nodelete: 'NODELETE' } as const;

/** RangeRequest -> proto. */
export function encodeRange(r: RangeRequest): PbRangeRequest {
  const out: PbRangeRequest = { key: bytesOut(r.key) };
  if (r.rangeEnd !== undefined) out.range_end = bytesOut(r.rangeEnd);
  if (r.limit !== undefined) out.limit = longOut(r.limit);
  if (r.revision !== undefined) out.revision = longOut(r.revision);
  if (r.sortOrder !== undefined) out.sort_order = SORT_ORDER[r.sortOrder];
  if (r.sortTarget !== undefined) out.sort_target = SORT_TARGET[r.sortTarget];
  if (r.serializable) out.serializable = true;
  if (r.keysOnly) out.keys_only = true;
  if (r.countOnly) out.count_only = true;
  if (r.minModRevision !== undefined) out.min_mod_revision = longOut(r.minModRevision);
  if (r.maxModRevision !== undefined) out.max_mod_revision = longOut(r.maxModRevision);
  if (r.minCreateRevision !== undefined) out.min_create_revision = longOut(r.minCreateRevision);
  if (r.maxCreateRevision !== undefined) out.max_create_revision = longOut(r.maxCreateRevision);
  return out;
}

/** PutRequest -> proto. */
export function encodePut(r: PutRequest): PbPutRequest {
  const out: PbPutRequest = { key: bytesOut(r.key), value: bytesOut(r.value) };
  if (r.lease !== undefined) out.lease = longOut(r.lease);
  if (r.prevKv) out.prev_kv = true;
  if (r.ignoreValue) out.ignore_value = true;
  if (r.ignoreLease) out.ignore_lease = true;
  return out;
}

/** DeleteRangeRequest -> proto. */
export function encodeDeleteRange(r: DeleteRangeRequest): PbDeleteRangeRequest {
  const out: PbDeleteRangeRequest = { key: bytesOut(r.key) };
  if (r.rangeEnd !== undefined) out.range_end = bytesOut(r.rangeEnd);
  if (r.prevKv) out.prev_kv = true;
  return out;
}

/** Compare -> proto: the value goes into the `target_union` field its target names. */
export function encodeCompare(c: Compare): PbCompare {
  const out: PbCompare = {
    result: COMPARE_RESULT[c.result],
    target: COMPARE_TARGET[c.target],
    key: bytesOut(c.key),
  };
  if (c.rangeEnd !== undefined) out.range_end = bytesOut(c.rangeEnd);
  switch (c.target) {
    case 'value':
      out.value = bytesOut(c.value);
      break;
    case 'version':
      out.version = longOut(c.value);
      break;
    case 'create':
      out.create_revision = longOut(c.value);
      break;
    case 'mod':
      out.mod_revision = longOut(c.value);
      break;
    case 'lease':
      out.lease = longOut(c.value);
      break;
  }
  return out;
}

/** RequestOp -> proto (`request_range` / `request_put` / `request_delete_range` / `request_txn`). */
export function encodeRequestOp(op: RequestOp): PbRequestOp {
  if ('range' in op) return { request_range: encodeRange(op.range) };
  if ('put' in op) return { request_put: encodePut(op.put) };
  if ('deleteRange' in op) return { request_delete_range: encodeDeleteRange(op.deleteRange) };
  return { request_txn: encodeTxn(op.txn) };
}

/** TxnRequest -> proto (nested txns included). */
export function encodeTxn(t: TxnRequest): PbTxnRequest {
  return {
    compare: t.compare.map(encodeCompare),
    success: t.success.map(encodeRequestOp),
    failure: t.failure.map(encodeRequestOp),
  };
}

/** WatchCreateRequest -> proto. */
export function encodeWatchCreate(r: WatchCreateRequest): PbWatchCreateRequest {
  const out: PbWatchCreateRequest = { key: bytesOut(r.key) };
  if (r.rangeEnd !== undefined) out.range_end = bytesOut(r.rangeEnd);
  if (r.startRevision !== undefined) out.start_revision = longOut(r.startRevision);
  if (r.progressNotify) out.progress_notify = true;
  if (r.filters && r.filters.length > 0) out.filters = r.filters.map((f) => WATCH_FILTER[f]);
  if (r.prevKv) out.prev_kv = true;
  return out;
}

/** True when a txn only reads (every op, nested txns included, is a range): safe to resend. */
export function isReadOnlyTxn(t: TxnRequest): boolean {
  const readOnly = (op: RequestOp): boolean => 'range' in op || ('txn' in op && isReadOnlyTxn(op.txn));
  return t.success.every(readOnly) && t.failure.every(readOnly);
}

// ---------------------------------------------------------------------------
// Responses (proto -> ours)
// ---------------------------------------------------------------------------

/** ResponseHeader <- proto (missing header or fields: 0n). */
export function decodeHeader(h: PbResponseHeader | null | undefined): ResponseHeader {
  return {
    revision: longIn(h?.revision),
    clusterId: longIn(h?.cluster_id),
    memberId: longIn(h?.member_id),
    raftTerm: longIn(h?.raft_term),
  };
}

/** WireKeyValue <- mvccpb.KeyValue. */
export function decodeKeyValue(kv: PbKeyValue | null | undefined): WireKeyValue {
  return {
    key: bytesIn(kv?.key),
    value: bytesIn(kv?.value),
    createRevision: longIn(kv?.create_revision),
    modRevision: longIn(kv?.mod_revision),
    version: longIn(kv?.version),
    lease: longIn(kv?.lease),
  };
}

/** RangeResponse <- proto. */
export function decodeRange(r: PbRangeResponse): RangeResponse {
  return {
    header: decodeHeader(r.header),
    kvs: (r.kvs ?? []).map(decodeKeyValue),
    more: r.more === true,
    count: longIn(r.count),
  };
}

/** PutResponse <- proto. */
export function decodePut(r: PbPutResponse): PutResponse {
  const out: PutResponse = { header: decodeHeader(r.header) };
  if (r.prev_kv) out.prevKv = decodeKeyValue(r.prev_kv);
  return out;
}

/** DeleteRangeResponse <- proto. */
export function decodeDeleteRange(r: PbDeleteRangeResponse): DeleteRangeResponse {
  return {
    header: decodeHeader(r.header),
    deleted: longIn(r.deleted),
    prevKvs: (r.prev_kvs ?? []).map(decodeKeyValue),
  };
}

function decodeResponseOp(op: PbResponseOp): ResponseOp {
  if (op.response_range) return { range: decodeRange(op.response_range) };
  if (op.response_put) return { put: decodePut(op.response_put) };
  if (op.response_delete_range) return { deleteRange: decodeDeleteRange(op.response_delete_range) };
  if (op.response_txn) return { txn: decodeTxn(op.response_txn) };
  // An empty oneof cannot come from etcd; keep the position with an empty range answer.
  return { range: { header: decodeHeader(undefined), kvs: [], more: false, count: 0n } };
}

/** TxnResponse <- proto (nested txns included). */
export function decodeTxn(r: PbTxnResponse): TxnResponse {
  return {
    header: decodeHeader(r.header),
    succeeded: r.succeeded === true,
    responses: (r.responses ?? []).map(decodeResponseOp),
  };
}

/** `{ header }` <- any header-only response. */
export function decodeHeaderOnly(r: PbHeaderOnlyResponse): { header: ResponseHeader } {
  return { header: decodeHeader(r.header) };
}

/** LeaseGrantResponse <- proto. */
export function decodeLeaseGrant(r: PbLeaseGrantResponse): LeaseGrantResponse {
  return { header: decodeHeader(r.header), id: longIn(r.ID), ttl: longIn(r.TTL) };
}

/** LeaseTimeToLiveResponse <- proto (`TTL` -1 for an unknown lease). */
export function decodeLeaseTimeToLive(r: PbLeaseTimeToLiveResponse): LeaseTimeToLiveResponse {
  return {
    header: decodeHeader(r.header),
    id: longIn(r.ID),
    ttl: longIn(r.TTL),
    grantedTtl: longIn(r.grantedTTL),
    keys: (r.keys ?? []).map(bytesIn),
  };
}

/** LeaseKeepAliveResponse <- proto (`TTL` 0 for an unknown lease). */
export function decodeLeaseKeepAlive(r: PbLeaseKeepAliveResponse): LeaseKeepAliveResponse {
  return { header: decodeHeader(r.header), id: longIn(r.ID), ttl: longIn(r.TTL) };
}

function decodeMember(m: PbMember): Member {
  return {
    id: longIn(m.ID),
    name: m.name ?? '',
    peerUrls: m.peerURLs ?? [],
    clientUrls: m.clientURLs ?? [],
    isLearner: m.isLearner === true,
  };
}

/** MemberListResponse <- proto. */
export function decodeMemberList(r: PbMemberListResponse): MemberListResponse {
  return { header: decodeHeader(r.header), members: (r.members ?? []).map(decodeMember) };
}

/** StatusResponse <- proto. */
export function decodeStatus(r: PbStatusResponse): StatusResponse {
  return {
    header: decodeHeader(r.header),
    version: r.version ?? '',
    dbSize: longIn(r.dbSize),
    leader: longIn(r.leader),
    raftIndex: longIn(r.raftIndex),
    raftTerm: longIn(r.raftTerm),
  };
}

/** WireEvent <- mvccpb.Event (type PUT is the proto default). */
export function decodeEvent(e: PbEvent): WireEvent {
  const out: WireEvent = { type: e.type === 'DELETE' ? 'delete' : 'put', kv: decodeKeyValue(e.kv) };
  if (e.prev_kv) out.prevKv = decodeKeyValue(e.prev_kv);
  return out;
}
