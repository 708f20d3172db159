/**
 * Raw key-value calls for the recipes (queues, barriers, topics, registry):
 * keys mapped through the client's namespace, every response header reported
 * to the core, `ClosedError` after close.
 * @module
 * @internal
 */
import { toBytes, utf8 } from '../bytes.js';
import type { ConclaveClient } from '../client.js';
import type { Core } from '../core/core.js';
import { toKeyValue } from '../kv.js';
import type { DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse, WireKeyValue } from '../transport/index.js';
import type { Bytes, KeyValue } from '../types.js';

/** A key range in stored (namespaced) form. */
export interface StoredRange {
  key: Bytes;
  rangeEnd: Bytes;
}

export class Store {
  readonly core: Core;
  private readonly depth: number;

  constructor(readonly client: ConclaveClient) {
    this.core = client.core;
    this.depth = client.ns.prefix.length;
  }

  /** The stored form of a user key. */
  key(key: string): Bytes {
    return this.client.ns.key(toBytes(key));
  }

  /** The stored range of every key starting with `prefix`. */
  prefix(prefix: string): StoredRange {
    return this.client.ns.prefixRange(toBytes(prefix));
  }

  /** The stored range `[from, to)` of two user keys. */
  between(from: string, to: string): StoredRange {
    return { key: this.key(from), rangeEnd: this.key(to) };
  }

  /** A stored key as the user sees it (namespace removed). */
  userKey(stored: Bytes): string {
    return utf8(this.depth === 0 ? stored : stored.subarray(this.depth));
  }

  toKeyValue(kv: WireKeyValue): KeyValue {
    return toKeyValue(kv, this.depth);
  }

  async range(request: RangeRequest, signal?: AbortSignal): Promise<RangeResponse> {
    this.core.checkOpen();
    const res = await this.core.transport.range(request, { signal });
    this.core.observe(res.header);
    return res;
  }

  async put(request: PutRequest, signal?: AbortSignal): Promise<PutResponse> {
    this.core.checkOpen();
    const res = await this.core.transport.put(request, { signal });
    this.core.observe(res.header);
    return res;
  }

  async deleteRange(request: DeleteRangeRequest, signal?: AbortSignal): Promise<DeleteRangeResponse> {
    this.core.checkOpen();
    const res = await this.core.transport.deleteRange(request, { signal });
    this.core.observe(res.header);
    return res;
  }

  async txn(request: TxnRequest, signal?: AbortSignal): Promise<TxnResponse> {
    this.core.checkOpen();
    const res = await this.core.transport.txn(request, { signal });
    this.core.observe(res.header);
    return res;
  }
}

/** The range response of a txn's `index`-th operation. */
export function rangeOf(res: TxnResponse, index: number): RangeResponse {
  const op: ResponseOp | undefined = res.responses[index];
  if (!op || !('range' in op)) throw new Error(`txn response ${index} is not a range`);
  return op.range;
}

/** The delete response of a txn's `index`-th operation. */
export function deleteOf(res: TxnResponse, index: number): DeleteRangeResponse {
  const op: ResponseOp | undefined = res.responses[index];
  if (!op || !('deleteRange' in op)) throw new Error(`txn response ${index} is not a deleteRange`);
  return op.deleteRange;
}

/** Shorthands for txn operations. */
export const op = {
  range: (range: RangeRequest): RequestOp => ({ range }),
  put: (put: PutRequest): RequestOp => ({ put }),
  del: (deleteRange: DeleteRangeRequest): RequestOp => ({ deleteRange }),
};
