/**
 * Public types of the key-value calls' options, of transactions (`txn`) and of
 * software transactional memory (`stm`), and of watches.
 * @module
 */
import type { Bytes, KeyValue, Rev, WaitOptions } from '../types.js';

/**
 * Options of {@link Conclave.get}.
 *
 * @example
 * ```ts
 * const then = await client.get('config/mode', { revision: 120n, timeoutMs: 2000 }); // CompactedError if 120 is compacted
 * ```
 */
export interface GetOptions extends WaitOptions {
  /** Read the key as it was at this revision (`0n`/absent: the latest). */
  revision?: Rev;
}

/**
 * Options of {@link Conclave.getPrefix}.
 *
 * @example
 * ```ts
 * const firstTen = await client.getPrefix('jobs/', { limit: 10, keysOnly: true });
 * ```
 */
export interface GetPrefixOptions extends WaitOptions {
  /** Read the keys as they were at this revision (`0n`/absent: the latest). */
  revision?: Rev;
  /** At most this many keys, the first ones in key order (`0`/absent: no limit). */
  limit?: number;
  /** Leave the values out: every `value` is then empty. */
  keysOnly?: boolean;
}

/**
 * Options of {@link Conclave.put}.
 *
 * @example
 * ```ts
 * const session = await client.session();
 * await client.put('presence/me', 'up', { lease: session.lease, timeoutMs: 2000 });
 * ```
 */
export interface PutOptions extends WaitOptions {
  /** Attach the key to this lease: it is deleted when the lease ends. */
  lease?: Rev;
}

/**
 * Options of {@link Conclave.delete}.
 *
 * @example
 * ```ts
 * const { deleted } = await client.delete('tmp/', { prefix: true, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface DeleteOptions extends WaitOptions {
  /** Delete every key starting with `key`. */
  prefix?: boolean;
}

/**
 * One guard of a transaction: `target` of `key`, compared with `operand`. A
 * missing key has version, createRevision, modRevision and lease `0n` (and
 * no value: a `'value'` compare on it is false).
 *
 * @example
 * ```ts
 * const absent: Compare = { key: 'config/mode', target: 'createRevision', op: '==', operand: 0n };
 * const isActive: Compare = { key: 'config/mode', target: 'value', op: '==', operand: 'active' };
 * ```
 */
export interface Compare {
  key: string;
  target: 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease';
  op: '==' | '!=' | '<' | '>';
  /** Bytes (or a string, UTF-8) for target `'value'`; a `Rev` for every other target. */
  operand: string | Bytes | Rev;
}

/**
 * One operation of a transaction branch: a put, a get (of one key or a
 * prefix) or a delete (of one key or a prefix). Keys are in the client's namespace.
 *
 * @example
 * ```ts
 * const ops: TxnOp[] = [
 *   { put: { key: 'config/mode', value: 'active' } },
 *   { get: { key: 'config/', prefix: true } },
 *   { delete: { key: 'tmp/', prefix: true } },
 * ];
 * ```
 */
export type TxnOp =
  | { put: { key: string; value: string | Bytes; lease?: Rev } }
  | { get: { key: string; prefix?: boolean } }
  | { delete: { key: string; prefix?: boolean } };

/**
 * A transaction: when every `compare` holds, `success` runs, else `failure` —
 * atomically, at one revision.
 *
 * @example
 * ```ts
 * // Compare-and-swap: set mode to 'b' only if it is still 'a'.
 * const spec: TxnSpec = {
 *   compare: [{ key: 'mode', target: 'value', op: '==', operand: 'a' }],
 *   success: [{ put: { key: 'mode', value: 'b' } }],
 *   failure: [{ get: { key: 'mode' } }],
 * };
 * ```
 */
export interface TxnSpec {
  compare?: Compare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

/**
 * The result of one operation of the branch that ran, in order.
 *
 * @example
 * ```ts
 * for (const r of (await client.txn(spec)).results) if (r.type === 'get') console.log(r.kvs.length);
 * ```
 */
export type TxnOpResult = { type: 'put'; revision: Rev } | { type: 'get'; kvs: KeyValue[] } | { type: 'delete'; deleted: number };

/**
 * The outcome of {@link Conclave.txn}.
 *
 * @example
 * ```ts
 * const { succeeded, revision, results } = await client.txn(spec);
 * ```
 */
export interface TxnResult {
  /** Whether every compare held (so `success` ran). */
  succeeded: boolean;
  /** The store revision after the transaction (the revision of its writes, if any). */
  revision: Rev;
  /** One result per operation of the branch that ran. A put's `revision` is the txn's revision. */
  results: TxnOpResult[];
}

/**
 * The isolation levels of Go's `concurrency.STM`.
 *
 * - `'serializable-snapshot'` (default, Go's `SerializableSnapshot`): reads come
 *   from one snapshot (the revision of the attempt's first read); the commit
 *   fails if any key read changed, or any key written was modified after the snapshot.
 * - `'serializable'` (`Serializable`): reads from one snapshot; the commit fails if any key read changed
 *   (a blind write — a key written but not read — is not checked).
 * - `'repeatable-read'` (`RepeatableReads`): each key is read once, at the latest
 *   revision of a member (reads of different keys may come from different
 *   revisions); the commit fails if any key read changed.
 * - `'read-committed'` (`ReadCommitted`): each key read once, at the latest revision; no conflict check (lost updates possible).
 *
 * @example
 * ```ts
 * await client.stm(async (tx) => { tx.put('seen', '1') }, { isolation: 'read-committed' });
 * ```
 */
export type StmIsolation = 'serializable-snapshot' | 'serializable' | 'repeatable-read' | 'read-committed';

/**
 * Options of {@link Conclave.stm}.
 *
 * @example
 * ```ts
 * await client.stm(transfer, { isolation: 'serializable', maxRetries: 20, timeoutMs: 5000 });
 * ```
 */
export interface StmOptions extends WaitOptions {
  /** Default `'serializable-snapshot'`, as Go's `concurrency.NewSTM`. */
  isolation?: StmIsolation;
  /** Re-runs allowed after a conflict (`0`: one attempt only). Default: no limit (until `signal`/`timeoutMs`). */
  maxRetries?: number;
}

/**
 * The transaction handed to an {@link Conclave.stm} function: reads go to etcd
 * (and join the read set), writes are buffered and committed atomically when
 * the function returns. Keys are in the client's namespace.
 *
 * @example
 * ```ts
 * await client.stm(async (tx) => {
 *   const n = Number(new TextDecoder().decode((await tx.get('counter')) ?? new Uint8Array()));
 *   tx.put('counter', String(n + 1));
 * });
 * ```
 */
export interface Stm {
  /** The key's value (this attempt's own buffered write, if any); `undefined` when absent or deleted. */
  get(key: string): Promise<Bytes | undefined>;
  /** The key's mod revision as read by this attempt; `0n` when absent. */
  rev(key: string): Promise<Rev>;
  /** Buffers a put, committed with the transaction. */
  put(key: string, value: string | Bytes): void;
  /** Buffers a delete, committed with the transaction. */
  delete(key: string): void;
}

/**
 * Options of {@link Conclave.watch}.
 *
 * @example
 * ```ts
 * // Replay every change under config/ since revision 100, then follow live.
 * client.watch('config/', { prefix: true, fromRevision: 100n }).subscribe((e) => console.log(e.key));
 * ```
 */
export interface WatchOptions {
  /** Watch every key starting with `key`. */
  prefix?: boolean;
  /** Replay history from this revision, then continue live. */
  fromRevision?: Rev;
  /** Include the previous key-value in each event. */
  prevKv?: boolean;
}
