/**
 * Sequential keys of a priority queue, allocated like Go's key.go `newSequentialKV`: read the
 * last key of the priority, add one, and write it in a txn that also touches the bookkeeping
 * key `__${name}/%05d`, guarded by that key's mod revision (so two producers never get the
 * same number). Used by `enqueue()` and by the delay promoter that moves a due item in.
 * @module
 * @internal
 */
import { InvalidArgumentError } from '../errors.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import type { Compare, RequestOp } from '../transport/index.js';
import { priorityField, sequenceField } from './layout.js';

const EMPTY = new Uint8Array(0);

/**
 * Puts `bytes` as the next item of `priority` (Go's `newSequentialKV`). With
 * `guard`, the txn also holds its compares and runs its ops (e.g. the move of a
 * delayed item): resolves false when a guard compare failed (nothing written).
 */
export async function putSequential(
  store: Store,
  name: string,
  priority: number,
  bytes: Uint8Array,
  guard?: { compare: Compare[]; success: RequestOp[] },
): Promise<boolean> {
  const prefix = `${name}/${priorityField(priority)}`;
  const base = store.key(`__${prefix}`);
  for (;;) {
    const last = await store.range({ ...store.prefix(`${prefix}/`), sortOrder: 'descend', sortTarget: 'key', limit: 1n, keysOnly: true });
    const lastKey = last.kvs[0] ? store.userKey(last.kvs[0].key) : undefined;
    const next = lastKey === undefined ? 0n : sequenceOf(lastKey) + 1n;
    const baseGuard: Compare = { target: 'mod', result: 'less', key: base, value: last.header.revision + 1n };
    const res = await store.txn({
      compare: [baseGuard, ...(guard?.compare ?? [])],
      success: [op.put({ key: base, value: EMPTY }), op.put({ key: store.key(`${prefix}/${sequenceField(next)}`), value: bytes }), ...(guard?.success ?? [])],
      failure: guard ? [op.range({ key: base, keysOnly: true })] : [],
    });
    if (res.succeeded) return true;
    // Another producer took the number (the base key moved): try the next one; else a guard of the caller failed.
    if (guard && (rangeOf(res, 0).kvs[0]?.modRevision ?? 0n) <= last.header.revision) return false;
  }
}

/** The sequence number in the last path field of a priority-queue key (Go: `Sscanf(field, "%d")`). */
function sequenceOf(key: string): bigint {
  const field = key.slice(key.lastIndexOf('/') + 1);
  if (!/^[0-9]+$/.test(field)) throw new InvalidArgumentError(`priority queue key ${key} does not end in a sequence number`);
  return BigInt(field);
}
