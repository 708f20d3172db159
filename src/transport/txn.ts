/**
 * Transaction messages of the transport seam: guards, the operations of each branch, and their answers.
 * @module
 */
import type { Bytes, Rev } from '../types.js';
import type { DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader } from './kv.js';

/** How a transaction guard compares. */
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

/** One operation of a transaction branch. */
export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

/** The answer to one operation of a transaction, in the order of the branch's operations. */
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

/** The answer to a transaction: which branch ran, and its operations' answers. */
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}
