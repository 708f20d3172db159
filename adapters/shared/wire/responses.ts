/**
 * Answers, from etcd's generated messages (`adapters/shared/gen/`) to the
 * transport seam's types, for both adapters (the gRPC adapter decodes them
 * with `fromBinary`, the HTTP adapter with `fromJson`). Generated messages
 * already carry `bigint` int64 and `Uint8Array` bytes under the seam's field
 * names; this copies them into plain seam objects (no `$typeName`) and gives
 * a missing header or key-value its zero value.
 *
 * @module
 * @internal
 */
import type {
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveResponse,
  MemberListResponse,
  PutResponse,
  RangeResponse,
  ResponseHeader,
  ResponseOp,
  StatusResponse,
  TxnResponse,
  WireEvent,
  WireKeyValue,
} from '../../../src/transport/index.js';
import { Event_EventType, type Event, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import type * as pb from '../gen/etcdserverpb/rpc_pb.js';

const EMPTY = new Uint8Array(0);

/** The seam's header (all four fields; 0n when etcd sent none). */
export function header(h: pb.ResponseHeader | undefined): ResponseHeader {
  return h
    ? { revision: h.revision, clusterId: h.clusterId, memberId: h.memberId, raftTerm: h.raftTerm }
    : { revision: 0n, clusterId: 0n, memberId: 0n, raftTerm: 0n };
}

/** A WireKeyValue of an mvccpb.KeyValue (absent: an empty one). */
export function keyValue(kv: KeyValue | undefined): WireKeyValue {
  if (!kv) return { key: EMPTY, value: EMPTY, createRevision: 0n, modRevision: 0n, version: 0n, lease: 0n };
  return { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease };
}

/** A WireEvent of an mvccpb.Event (PUT is the proto default). */
export function event(e: Event): WireEvent {
  const out: WireEvent = { type: e.type === Event_EventType.DELETE ? 'delete' : 'put', kv: keyValue(e.kv) };
  if (e.prevKv) out.prevKv = keyValue(e.prevKv);
  return out;
}

/** RangeResponse. */
export function rangeResponse(r: pb.RangeResponse): RangeResponse {
  return { header: header(r.header), kvs: r.kvs.map(keyValue), more: r.more, count: r.count };
}

/** PutResponse (`prevKv` only when etcd sent one). */
export function putResponse(r: pb.PutResponse): PutResponse {
  const out: PutResponse = { header: header(r.header) };
  if (r.prevKv) out.prevKv = keyValue(r.prevKv);
  return out;
}

/** DeleteRangeResponse. */
export function deleteRangeResponse(r: pb.DeleteRangeResponse): DeleteRangeResponse {
  return { header: header(r.header), deleted: r.deleted, prevKvs: r.prevKvs.map(keyValue) };
}

function responseOp(op: pb.ResponseOp): ResponseOp {
  const r = op.response;
  switch (r.case) {
    case 'responseRange':
      return { range: rangeResponse(r.value) };
    case 'responsePut':
      return { put: putResponse(r.value) };
    case 'responseDeleteRange':
      return { deleteRange: deleteRangeResponse(r.value) };
    case 'responseTxn':
      return { txn: txnResponse(r.value) };
    default:
      // An empty oneof cannot come from etcd; keep the position with an empty range answer.
      return { range: { header: header(undefined), kvs: [], more: false, count: 0n } };
  }
}

/** TxnResponse (nested txns included). */
export function txnResponse(r: pb.TxnResponse): TxnResponse {
  return { header: header(r.header), succeeded: r.succeeded, responses: r.responses.map(responseOp) };
}

/** `{ header }` of any response that carries only one (Compaction, LeaseRevoke). */
export function headerOnly(r: { header?: pb.ResponseHeader | undefined }): { header: ResponseHeader } {
  return { header: header(r.header) };
}

/** LeaseGrantResponse (its `error` field is the caller's to check). */
export function leaseGrantResponse(r: pb.LeaseGrantResponse): LeaseGrantResponse {
  return { header: header(r.header), id: r.ID, ttl: r.TTL };
}

/** LeaseTimeToLiveResponse (`TTL` -1 for an unknown lease). */
export function leaseTimeToLiveResponse(r: pb.LeaseTimeToLiveResponse): LeaseTimeToLiveResponse {
  return { header: header(r.header), id: r.ID, ttl: r.TTL, grantedTtl: r.grantedTTL, keys: r.keys };
}

/** LeaseKeepAliveResponse (`TTL` 0 for an unknown lease). */
export function leaseKeepAliveResponse(r: pb.LeaseKeepAliveResponse): LeaseKeepAliveResponse {
  return { header: header(r.header), id: r.ID, ttl: r.TTL };
}

/** MemberListResponse. */
export function memberListResponse(r: pb.MemberListResponse): MemberListResponse {
  return {
    header: header(r.header),
    members: r.members.map((m) => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner })),
  };
}

/** StatusResponse (the fields Conclave reads). */
export function statusResponse(r: pb.StatusResponse): StatusResponse {
  return { header: header(r.header), version: r.version, dbSize: r.dbSize, leader: r.leader, raftIndex: r.raftIndex, raftTerm: r.raftTerm };
}
