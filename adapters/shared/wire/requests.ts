/**
 * Requests, from the transport seam's types to etcd's generated messages
 * (`adapters/shared/gen/`), for both adapters: the gRPC adapter writes them
 * with `toBinary`, the HTTP adapter with `toJson`. Fields the seam leaves out
 * stay at their proto3 zero value, which neither encoding sends.
 *
 * @module
 * @internal
 */
import { create } from '@bufbuild/protobuf';
import type {
  Compare,
  CompactRequest,
  DeleteRangeRequest,
  LeaseGrantRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  Rev,
  TxnRequest,
  WatchCreateRequest,
} from '../../../src/transport/index.js';
import * as pb from '../gen/etcdserverpb/rpc_pb.js';

const EMPTY = new Uint8Array(0);

const SORT_ORDER = { none: pb.RangeRequest_SortOrder.NONE, ascend: pb.RangeRequest_SortOrder.ASCEND, descend: pb.RangeRequest_SortOrder.DESCEND } as const;
const SORT_TARGET = {
  key: pb.RangeRequest_SortTarget.KEY,
  version: pb.RangeRequest_SortTarget.VERSION,
  create: pb.RangeRequest_SortTarget.CREATE,
  mod: pb.RangeRequest_SortTarget.MOD,
  value: pb.RangeRequest_SortTarget.VALUE,
} as const;
const COMPARE_RESULT = {
  equal: pb.Compare_CompareResult.EQUAL,
  greater: pb.Compare_CompareResult.GREATER,
  less: pb.Compare_CompareResult.LESS,
  'not-equal': pb.Compare_CompareResult.NOT_EQUAL,
} as const;
const COMPARE_TARGET = {
  version: pb.Compare_CompareTarget.VERSION,
  create: pb.Compare_CompareTarget.CREATE,
  mod: pb.Compare_CompareTarget.MOD,
  value: pb.Compare_CompareTarget.VALUE,
  lease: pb.Compare_CompareTarget.LEASE,
} as const;
const WATCH_FILTER = { noput: pb.WatchCreateRequest_FilterType.NOPUT, nodelete: pb.WatchCreateRequest_FilterType.NODELETE } as const;

/** etcdserverpb.RangeRequest of a seam range request. */
export function rangeRequest(r: RangeRequest): pb.RangeRequest {
  return create(pb.RangeRequestSchema, {
    key: r.key,
    rangeEnd: r.rangeEnd ?? EMPTY,
    limit: r.limit ?? 0n,
    revision: r.revision ?? 0n,
    sortOrder: SORT_ORDER[r.sortOrder ?? 'none'],
    sortTarget: SORT_TARGET[r.sortTarget ?? 'key'],
    serializable: r.serializable === true,
    keysOnly: r.keysOnly === true,
    countOnly: r.countOnly === true,
    minModRevision: r.minModRevision ?? 0n,
    maxModRevision: r.maxModRevision ?? 0n,
    minCreateRevision: r.minCreateRevision ?? 0n,
    maxCreateRevision: r.maxCreateRevision ?? 0n,
  });
}

/** etcdserverpb.PutRequest of a seam put. */
export function putRequest(r: PutRequest): pb.PutRequest {
  return create(pb.PutRequestSchema, {
    key: r.key,
    value: r.value,
    lease: r.lease ?? 0n,
    prevKv: r.prevKv === true,
    ignoreValue: r.ignoreValue === true,
    ignoreLease: r.ignoreLease === true,
  });
}

/** etcdserverpb.DeleteRangeRequest of a seam delete. */
export function deleteRangeRequest(r: DeleteRangeRequest): pb.DeleteRangeRequest {
  return create(pb.DeleteRangeRequestSchema, { key: r.key, rangeEnd: r.rangeEnd ?? EMPTY, prevKv: r.prevKv === true });
}

/** etcdserverpb.Compare: the value goes into the `target_union` member its target names. */
function compare(c: Compare): pb.Compare {
  let targetUnion: pb.Compare['targetUnion'];
  switch (c.target) {
    case 'value':
      targetUnion = { case: 'value', value: c.value };
      break;
    case 'version':
      targetUnion = { case: 'version', value: c.value };
      break;
    case 'create':
      targetUnion = { case: 'createRevision', value: c.value };
      break;
    case 'mod':
      targetUnion = { case: 'modRevision', value: c.value };
      break;
    case 'lease':
      targetUnion = { case: 'lease', value: c.value };
      break;
  }
  return create(pb.CompareSchema, {
    result: COMPARE_RESULT[c.result],
    target: COMPARE_TARGET[c.target],
    key: c.key,
    rangeEnd: c.rangeEnd ?? EMPTY,
    targetUnion,
  });
}

function requestOp(op: RequestOp): pb.RequestOp {
  let request: pb.RequestOp['request'];
  if ('range' in op) request = { case: 'requestRange', value: rangeRequest(op.range) };
  else if ('put' in op) request = { case: 'requestPut', value: putRequest(op.put) };
  else if ('deleteRange' in op) request = { case: 'requestDeleteRange', value: deleteRangeRequest(op.deleteRange) };
  else request = { case: 'requestTxn', value: txnRequest(op.txn) };
  return create(pb.RequestOpSchema, { request });
}

/** etcdserverpb.TxnRequest of a seam txn (nested txns included). */
export function txnRequest(t: TxnRequest): pb.TxnRequest {
  return create(pb.TxnRequestSchema, { compare: t.compare.map(compare), success: t.success.map(requestOp), failure: t.failure.map(requestOp) });
}

/** etcdserverpb.CompactionRequest. */
export function compactionRequest(r: CompactRequest): pb.CompactionRequest {
  return create(pb.CompactionRequestSchema, { revision: r.revision, physical: r.physical === true });
}

/** etcdserverpb.LeaseGrantRequest (`ID` 0: etcd picks the id). */
export function leaseGrantRequest(r: LeaseGrantRequest): pb.LeaseGrantRequest {
  return create(pb.LeaseGrantRequestSchema, { TTL: r.ttl, ID: r.id ?? 0n });
}

/** etcdserverpb.LeaseRevokeRequest. */
export function leaseRevokeRequest(id: Rev): pb.LeaseRevokeRequest {
  return create(pb.LeaseRevokeRequestSchema, { ID: id });
}

/** etcdserverpb.LeaseTimeToLiveRequest (`keys`: list the keys attached to the lease). */
export function leaseTimeToLiveRequest(id: Rev, keys: boolean): pb.LeaseTimeToLiveRequest {
  return create(pb.LeaseTimeToLiveRequestSchema, { ID: id, keys });
}

/** etcdserverpb.LeaseKeepAliveRequest. */
export function leaseKeepAliveRequest(id: Rev): pb.LeaseKeepAliveRequest {
  return create(pb.LeaseKeepAliveRequestSchema, { ID: id });
}

/** etcdserverpb.WatchCreateRequest of a seam watch (`watch_id` and `fragment` are never set). */
export function watchCreateRequest(r: WatchCreateRequest): pb.WatchCreateRequest {
  return create(pb.WatchCreateRequestSchema, {
    key: r.key,
    rangeEnd: r.rangeEnd ?? EMPTY,
    startRevision: r.startRevision ?? 0n,
    progressNotify: r.progressNotify === true,
    filters: (r.filters ?? []).map((f) => WATCH_FILTER[f]),
    prevKv: r.prevKv === true,
  });
}

/** etcdserverpb.WatchRequest carrying a create. */
export function watchCreate(r: WatchCreateRequest): pb.WatchRequest {
  return create(pb.WatchRequestSchema, { requestUnion: { case: 'createRequest', value: watchCreateRequest(r) } });
}

/** etcdserverpb.WatchRequest cancelling watcher `watchId`. */
export function watchCancel(watchId: bigint): pb.WatchRequest {
  return create(pb.WatchRequestSchema, { requestUnion: { case: 'cancelRequest', value: create(pb.WatchCancelRequestSchema, { watchId }) } });
}

/** etcdserverpb.WatchRequest asking for a progress notification of the whole stream. */
export function watchProgress(): pb.WatchRequest {
  return create(pb.WatchRequestSchema, { requestUnion: { case: 'progressRequest', value: create(pb.WatchProgressRequestSchema) } });
}

/** etcdserverpb.MemberListRequest (no fields). */
export function memberListRequest(): pb.MemberListRequest {
  return create(pb.MemberListRequestSchema);
}

/** etcdserverpb.StatusRequest (no fields). */
export function statusRequest(): pb.StatusRequest {
  return create(pb.StatusRequestSchema);
}

/** etcdserverpb.AuthenticateRequest. */
export function authenticateRequest(name: string, password: string): pb.AuthenticateRequest {
  return create(pb.AuthenticateRequestSchema, { name, password });
}
