/**
 * `txn()`: a user {@link TxnSpec} checked and turned into a wire transaction
 * (keys through the client's namespace), and etcd's answer turned into a
 * {@link TxnResult}.
 * @module
 * @internal
 */
import { compareBytes, toBytes } from '../bytes.js';
import { InvalidArgumentError } from '../errors.js';
import { toKeyValue } from '../kit/key-values.js';
import type { Store } from '../kit/store.js';
import type { Compare as WireCompare, CompareResult, RequestOp, ResponseOp, TxnRequest, TxnResponse } from '../transport/index.js';
import type { WaitOptions } from '../types.js';
import { checkKey, checkPrefix, checkRevision, checkValue } from '../validate.js';
import type { Compare, TxnOpResult, TxnResult, TxnSpec } from './api.js';
import { checkFlag, checkOptions, scoped } from './calls.js';

const OPS: Readonly<Record<Compare['op'], CompareResult>> = { '==': 'equal', '!=': 'not-equal', '<': 'less', '>': 'greater' };
const TARGETS: Readonly<Record<Exclude<Compare['target'], 'value'>, 'version' | 'create' | 'mod' | 'lease'>> = {
  version: 'version',
  createRevision: 'create',
  modRevision: 'mod',
  lease: 'lease',
};
/** Room left in a request for framing and other fields, per operation. */
const OP_OVERHEAD = 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The key math of a {@link Store}: stored keys and prefix ranges of user keys. */
type KeyMath = Pick<Store, 'key' | 'prefix'>;

function compareToWire(ns: KeyMath, c: unknown, at: string): WireCompare {
  if (!isObject(c)) throw new InvalidArgumentError(`${at} must be an object`);
  const { key, target, op, operand } = c as unknown as Compare;
  checkKey(key, `${at}.key`);
  const result = Object.hasOwn(OPS, op) ? OPS[op] : undefined;
  if (result === undefined) throw new InvalidArgumentError(`${at}.op must be one of == != < >, got ${String(op)}`);
  const stored = ns.key(key);
  if (target === 'value') {
    checkValue(operand, `${at}.operand`);
    return { target: 'value', result, key: stored, value: toBytes(operand) };
  }
  const wireTarget = Object.hasOwn(TARGETS, target) ? TARGETS[target] : undefined;
  if (wireTarget === undefined) {
    throw new InvalidArgumentError(`${at}.target must be value, version, createRevision, modRevision or lease, got ${String(target)}`);
  }
  checkRevision(operand, `${at}.operand`);
  return { target: wireTarget, result, key: stored, value: operand };
}

function range(ns: KeyMath, key: unknown, prefix: unknown, at: string): { key: Uint8Array; rangeEnd?: Uint8Array } {
  checkFlag(prefix, `${at}.prefix`);
  if (prefix === true) {
    checkPrefix(key, `${at}.key`);
    return ns.prefix(key);
  }
  checkKey(key, `${at}.key`);
  return { key: ns.key(key) };
}

function opToWire(ns: KeyMath, op: unknown, at: string): RequestOp {
  if (!isObject(op)) throw new InvalidArgumentError(`${at} must be an object`);
  const kinds = ['put', 'get', 'delete'].filter((k) => op[k] !== undefined);
  if (kinds.length !== 1) throw new InvalidArgumentError(`${at} must have exactly one of put, get, delete`);
  const body = op[kinds[0]!];
  if (!isObject(body)) throw new InvalidArgumentError(`${at}.${kinds[0]!} must be an object`);
  if (kinds[0] === 'put') {
    const { key, value, lease } = body as { key: unknown; value: unknown; lease?: unknown };
    checkKey(key, `${at}.put.key`);
    checkValue(value, `${at}.put.value`);
    if (lease !== undefined) checkRevision(lease, `${at}.put.lease`);
    return { put: { key: ns.key(key), value: toBytes(value), lease } };
  }
  if (kinds[0] === 'get') {
    const r = range(ns, body['key'], body['prefix'], `${at}.get`);
    return { range: r.rangeEnd ? { ...r, sortOrder: 'ascend', sortTarget: 'key' } : r };
  }
  return { deleteRange: range(ns, body['key'], body['prefix'], `${at}.delete`) };
}

/**
 * etcd refuses a branch that puts one key twice, or puts a key a delete of the
 * same branch covers ("duplicate key given in txn request"); refused here so
 * every transport reports it alike (grpc-proxy loses the status code).
 */
function checkOverlaps(ops: RequestOp[], name: string): void {
  const puts = ops.flatMap((op) => ('put' in op ? [op.put.key] : [])).sort(compareBytes);
  for (let i = 1; i < puts.length; i++) {
    if (compareBytes(puts[i - 1]!, puts[i]!) === 0) throw new InvalidArgumentError(`${name} puts the same key twice`);
  }
  for (const op of ops) {
    if (!('deleteRange' in op)) continue;
    const { key, rangeEnd } = op.deleteRange;
    const fromKey = rangeEnd?.length === 1 && rangeEnd[0] === 0;
    const covered = (k: Uint8Array): boolean =>
      rangeEnd === undefined ? compareBytes(k, key) === 0 : compareBytes(k, key) >= 0 && (fromKey || compareBytes(k, rangeEnd) < 0);
    if (puts.some(covered)) throw new InvalidArgumentError(`${name} puts a key that one of its deletes also removes`);
  }
}

function branch(ns: KeyMath, ops: unknown, name: string): RequestOp[] {
  if (ops === undefined) return [];
  if (!Array.isArray(ops)) throw new InvalidArgumentError(`${name} must be an array`);
  const wire = ops.map((op, i) => opToWire(ns, op, `${name}[${i}]`));
  checkOverlaps(wire, name);
  return wire;
}

function requestBytes(req: TxnRequest): number {
  let n = 0;
  for (const c of req.compare) n += c.key.length + (c.target === 'value' ? c.value.length : 0) + OP_OVERHEAD;
  for (const op of [...req.success, ...req.failure]) {
    if ('put' in op) n += op.put.key.length + op.put.value.length + OP_OVERHEAD;
    else if ('range' in op) n += op.range.key.length + (op.range.rangeEnd?.length ?? 0) + OP_OVERHEAD;
    else if ('deleteRange' in op) n += op.deleteRange.key.length + (op.deleteRange.rangeEnd?.length ?? 0) + OP_OVERHEAD;
  }
  return n;
}

/**
 * Checks `spec` and turns it into a wire transaction in `ns`'s namespace; throws
 * `InvalidArgumentError` on bad input (nothing is sent).
 *
 * @example
 * ```ts
 * const req = txnToWire(store, { compare: [{ key: 'k', target: 'version', op: '==', operand: 0n }], success: [{ put: { key: 'k', value: 'v' } }] }, max);
 * ```
 */
export function txnToWire(ns: KeyMath, spec: unknown, maxRequestBytes: number): TxnRequest {
  if (!isObject(spec)) throw new InvalidArgumentError('txn spec must be an object');
  const { compare, success, failure } = spec as TxnSpec;
  if (compare !== undefined && !Array.isArray(compare)) throw new InvalidArgumentError('compare must be an array');
  const req: TxnRequest = {
    compare: (compare ?? []).map((c, i) => compareToWire(ns, c, `compare[${i}]`)),
    success: branch(ns, success, 'success'),
    failure: branch(ns, failure, 'failure'),
  };
  const size = requestBytes(req);
  if (size > maxRequestBytes) {
    throw new InvalidArgumentError(`transaction of about ${size} bytes exceeds etcd's request limit of ${maxRequestBytes} bytes`, {
      code: 'TOO_LARGE',
    });
  }
  return req;
}

function resultOf(op: ResponseOp, revision: bigint, depth: number): TxnOpResult {
  if ('put' in op) return { type: 'put', revision };
  if ('range' in op) return { type: 'get', kvs: op.range.kvs.map((kv) => toKeyValue(kv, depth)) };
  if ('deleteRange' in op) return { type: 'delete', deleted: Number(op.deleteRange.deleted) };
  throw new InvalidArgumentError('nested transactions are not part of a TxnSpec');
}

/**
 * etcd's answer as a {@link TxnResult}: keys relative to the namespace of depth `depth`.
 *
 * @example
 * ```ts
 * const result = txnResultOf(await store.txn(req), store.ns.prefix.length);
 * ```
 */
export function txnResultOf(res: TxnResponse, depth: number): TxnResult {
  const revision = res.header.revision;
  return { succeeded: res.succeeded, revision, results: res.responses.map((op) => resultOf(op, revision, depth)) };
}

/**
 * `txn(spec, { signal, timeoutMs })`.
 *
 * @example
 * ```ts
 * const { succeeded } = await runTxn(store, { compare: [{ key: 'k', target: 'createRevision', op: '==', operand: 0n }], success: [{ put: { key: 'k', value: 'first' } }] });
 * ```
 */
export async function runTxn(store: Store, spec: TxnSpec, options?: WaitOptions): Promise<TxnResult> {
  const opts = checkOptions(options);
  const req = txnToWire(store, spec, store.maxRequestBytes);
  const res = await scoped(store, opts, (signal) => store.txn(req, signal));
  return txnResultOf(res, store.ns.prefix.length);
}
