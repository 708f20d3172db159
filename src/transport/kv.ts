/**
 * Key-value messages of the transport seam: etcd's response header and stored key-value, and
 * the range, put, delete and compact requests with their answers.
 * @module
 */
import type { Bytes, Rev } from '../types.js';

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

/** Sort order of a range read. */
export type SortOrder = 'none' | 'ascend' | 'descend';
/** What a range read is sorted by. */
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

/** A range read (etcd `RangeRequest`): one key, or `[key, rangeEnd)`. */
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

/** The answer to a range read. */
export interface RangeResponse {
  header: ResponseHeader;
  kvs: WireKeyValue[];
  more: boolean;
  count: Rev;
}

/** A put (etcd `PutRequest`). */
export interface PutRequest {
  key: Bytes;
  value: Bytes;
  lease?: Rev | undefined;
  prevKv?: boolean | undefined;
  ignoreValue?: boolean | undefined;
  ignoreLease?: boolean | undefined;
}

/** The answer to a put. */
export interface PutResponse {
  header: ResponseHeader;
  prevKv?: WireKeyValue | undefined;
}

/** A delete of one key or of `[key, rangeEnd)`. */
export interface DeleteRangeRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  prevKv?: boolean | undefined;
}

/** The answer to a delete. */
export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: Rev;
  prevKvs: WireKeyValue[];
}

/** Compacts the key-value history up to `revision`. */
export interface CompactRequest {
  revision: Rev;
  physical?: boolean | undefined;
}
