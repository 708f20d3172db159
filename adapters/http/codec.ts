/**
 * Conversions between Conclave's transport types and the JSON etcd's gateway
 * speaks (grpc-gateway with `OrigName: true`): field names as in the .proto
 * files (`range_end`, `create_revision`, `prev_kv` — but `ID`, `TTL`,
 * `grantedTTL`, `dbSize`, `peerURLs` where the proto spells them so), bytes as
 * base64, int64 as decimal strings, enums by name, and zero values omitted in
 * answers (a missing field is `0n` / empty / false).
 *
 * @module
 * @internal
 */
import type {
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
import { fromBase64, toBase64 } from './base64.js';

/** A JSON object as parsed from the gateway. */
export type Json = Record<string, unknown>;

const EMPTY = new Uint8Array(0);

/** A decoded int64 (decimal string, or a number); absent or malformed means 0n. */
export function int64(value: unknown): bigint {
  if (typeof value === 'string' && value !== '') {
    try {
      return BigInt(value);
    } catch {
      return 0n;
    }
  }
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return 0n;
}

/** A decoded bytes field; absent means empty. */
export function bytes(value: unknown): Uint8Array {
  return typeof value === 'string' && value !== '' ? fromBase64(value) : EMPTY;
}

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

// ---- requests ----------------------------------------------------------------

const SORT_ORDER = { none: 'NONE', ascend: 'ASCEND', descend: 'DESCEND' } as const;
const SORT_TARGET = { key: 'KEY', version: 'VERSION', create: 'CREATE', mod: 'MOD', value: 'VALUE' } as const;
const COMPARE_RESULT = { equal: 'EQUAL', greater: 'GREATER', less: 'LESS', 'not-equal': 'NOT_EQUAL' } as const;
const COMPARE_TARGET = { version: 'VERSION', create: 'CREATE', mod: 'MOD', value: 'VALUE', lease: 'LEASE' } as const;
const WATCH_FILTER = { noput: 'NOPUT', nodelete: 'NODELETE' } as const;

export function encodeRange(r: RangeRequest): Json {
  const out: Json = { key: toBase64(r.key) };
  if (r.rangeEnd !== undefined) out['range_end'] = toBase64(r.rangeEnd);
  if (r.limit !== undefined) out['limit'] = r.limit.toString();
  if (r.revision !== undefined) out['revision'] = r.revision.toString();
  if (r.sortOrder !== undefined) out['sort_order'] = SORT_ORDER[r.sortOrder];
  if (r.sortTarget !== undefined) out['sort_target'] = SORT_TARGET[r.sortTarget];
  if (r.serializable) out['serializable'] = true;
  if (r.keysOnly) out['keys_only'] = true;
  if (r.countOnly) out['count_only'] = true;
  if (r.minModRevision !== undefined) out['min_mod_revision'] = r.minModRevision.toString();
  if (r.maxModRevision !== undefined) out['max_mod_revision'] = r.maxModRevision.toString();
  if (r.minCreateRevision !== undefined) out['min_create_revision'] = r.minCreateRevision.toString();
  if (r.maxCreateRevision !== undefined) out['max_create_revision'] = r.maxCreateRevision.toString();
  return out;
}

export function encodePut(r: PutRequest): Json {
  const out: Json = { key: toBase64(r.key), value: toBase64(r.value) };
  if (r.lease !== undefined) out['lease'] = r.lease.toString();
  if (r.prevKv) out['prev_kv'] = true;
  if (r.ignoreValue) out['ignore_value'] = true;
  if (r.ignoreLease) out['ignore_lease'] = true;
  return out;
}

export function encodeDeleteRange(r: DeleteRangeRequest): Json {
  const out: Json = { key: toBase64(r.key) };
  if (r.rangeEnd !== undefined) out['range_end'] = toBase64(r.rangeEnd);
  if (r.prevKv) out['prev_kv'] = true;
  return out;
}

export function encodeCompare(c: Compare): Json {
  const out: Json = { result: COMPARE_RESULT[c.result], target: COMPARE_TARGET[c.target], key: toBase64(c.key) };
  if (c.rangeEnd !== undefined) out['range_end'] = toBase64(c.rangeEnd);
  switch (c.target) {
    case 'value':
      out['value'] = toBase64(c.value);
      break;
    case 'version':
      out['version'] = c.value.toString();
      break;
    case 'create':
      out['create_revision'] = c.value.toString();
      break;
    case 'mod':
      out['mod_revision'] = c.value.toString();
      break;
    case 'lease':
      out['lease'] = c.value.toString();
      break;
  }
  return out;
}

function encodeRequestOp(op: RequestOp): Json {
  if ('range' in op) return { request_range: encodeRange(op.range) };
  if ('put' in op) return { request_put: encodePut(op.put) };
  if ('deleteRange' in op) return { request_delete_range: encodeDeleteRange(op.deleteRange) };
  return { request_txn: encodeTxn(op.txn) };
}

export function encodeTxn(t: TxnRequest): Json {
  return { compare: t.compare.map(encodeCompare), success: t.success.map(encodeRequestOp), failure: t.failure.map(encodeRequestOp) };
}

export function encodeWatchCreate(r: WatchCreateRequest): Json {
  const out: Json = { key: toBase64(r.key) };
  if (r.rangeEnd !== undefined) out['range_end'] = toBase64(r.rangeEnd);
  if (r.startRevision !== undefined) out['start_revision'] = r.startRevision.toString();
  if (r.progressNotify) out['progress_notify'] = true;
  if (r.filters && r.filters.length > 0) out['filters'] = r.filters.map((f) => WATCH_FILTER[f]);
  if (r.prevKv) out['prev_kv'] = true;
  return out;
}

/** True when a txn only reads (every op, nested txns included, is a range): safe to resend. */
export function isReadOnlyTxn(t: TxnRequest): boolean {
  const readOnly = (op: RequestOp): boolean => 'range' in op || ('txn' in op && isReadOnlyTxn(op.txn));
  return t.success.every(readOnly) && t.failure.every(readOnly);
}

// ---- answers -------------------------------------------------------------------

export function decodeHeader(value: unknown): ResponseHeader {
  const h = obj(value);
  return {
    revision: int64(h?.['revision']),
    clusterId: int64(h?.['cluster_id']),
    memberId: int64(h?.['member_id']),
    raftTerm: int64(h?.['raft_term']),
  };
}

export function decodeKeyValue(value: unknown): WireKeyValue {
  const kv = obj(value);
  return {
    key: bytes(kv?.['key']),
    value: bytes(kv?.['value']),
    createRevision: int64(kv?.['create_revision']),
    modRevision: int64(kv?.['mod_revision']),
    version: int64(kv?.['version']),
    lease: int64(kv?.['lease']),
  };
}

export function decodeRange(r: Json): RangeResponse {
  return { header: decodeHeader(r['header']), kvs: list(r['kvs']).map(decodeKeyValue), more: r['more'] === true, count: int64(r['count']) };
}

export function decodePut(r: Json): PutResponse {
  const out: PutResponse = { header: decodeHeader(r['header']) };
  if (obj(r['prev_kv'])) out.prevKv = decodeKeyValue(r['prev_kv']);
  return out;
}

export function decodeDeleteRange(r: Json): DeleteRangeResponse {
  return { header: decodeHeader(r['header']), deleted: int64(r['deleted']), prevKvs: list(r['prev_kvs']).map(decodeKeyValue) };
}

function decodeResponseOp(value: unknown): ResponseOp {
  const op = obj(value) ?? {};
  const range = obj(op['response_range']);
  if (range) return { range: decodeRange(range) };
  const put = obj(op['response_put']);
  if (put) return { put: decodePut(put) };
  const del = obj(op['response_delete_range']);
  if (del) return { deleteRange: decodeDeleteRange(del) };
  const txn = obj(op['response_txn']);
  if (txn) return { txn: decodeTxn(txn) };
  return { range: { header: decodeHeader(undefined), kvs: [], more: false, count: 0n } };
}

export function decodeTxn(r: Json): TxnResponse {
  return { header: decodeHeader(r['header']), succeeded: r['succeeded'] === true, responses: list(r['responses']).map(decodeResponseOp) };
}

export function decodeHeaderOnly(r: Json): { header: ResponseHeader } {
  return { header: decodeHeader(r['header']) };
}

export function decodeLeaseGrant(r: Json): LeaseGrantResponse {
  return { header: decodeHeader(r['header']), id: int64(r['ID']), ttl: int64(r['TTL']) };
}

export function decodeLeaseTimeToLive(r: Json): LeaseTimeToLiveResponse {
  return {
    header: decodeHeader(r['header']),
    id: int64(r['ID']),
    ttl: int64(r['TTL']),
    grantedTtl: int64(r['grantedTTL']),
    keys: list(r['keys']).map(bytes),
  };
}

/** A keep-alive answer; `TTL` omitted (zero) means the lease is gone. */
export function decodeLeaseKeepAlive(r: Json): LeaseKeepAliveResponse {
  return { header: decodeHeader(r['header']), id: int64(r['ID']), ttl: int64(r['TTL']) };
}

function decodeMember(value: unknown): Member {
  const m = obj(value) ?? {};
  return {
    id: int64(m['ID']),
    name: str(m['name']),
    peerUrls: list(m['peerURLs']).map(str),
    clientUrls: list(m['clientURLs']).map(str),
    isLearner: m['isLearner'] === true,
  };
}

export function decodeMemberList(r: Json): MemberListResponse {
  return { header: decodeHeader(r['header']), members: list(r['members']).map(decodeMember) };
}

export function decodeStatus(r: Json): StatusResponse {
  return {
    header: decodeHeader(r['header']),
    version: str(r['version']),
    dbSize: int64(r['dbSize']),
    leader: int64(r['leader']),
    raftIndex: int64(r['raftIndex']),
    raftTerm: int64(r['raftTerm']),
  };
}

export function decodeEvent(value: unknown): WireEvent {
  const e = obj(value) ?? {};
  const out: WireEvent = { type: e['type'] === 'DELETE' || e['type'] === 1 ? 'delete' : 'put', kv: decodeKeyValue(e['kv']) };
  if (obj(e['prev_kv'])) out.prevKv = decodeKeyValue(e['prev_kv']);
  return out;
}

/** One result of a watch POST (etcdserverpb.WatchResponse as JSON). */
export interface WatchResult {
  header: ResponseHeader;
  watchId: bigint;
  created: boolean;
  canceled: boolean;
  compactRevision: bigint;
  cancelReason: string;
  events: WireEvent[];
}

export function decodeWatchResult(r: Json): WatchResult {
  return {
    header: decodeHeader(r['header']),
    watchId: int64(r['watch_id']),
    created: r['created'] === true,
    canceled: r['canceled'] === true,
    compactRevision: int64(r['compact_revision']),
    cancelReason: str(r['cancel_reason']),
    events: list(r['events']).map(decodeEvent),
  };
}
