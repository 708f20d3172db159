/**
 * Where the jobs mode (`process()`, `enqueue(v, { delayMs })`) keeps its
 * bookkeeping: beside the recipes' layout, never inside it, so Go's
 * `recipe.Queue` / `recipe.PriorityQueue` (which range `${name}/`) never see it
 * and items enqueued without job options stay plain recipe items.
 *
 * | key (under the client's namespace) | value | written by |
 * |---|---|---|
 * | `__jobs/<enc(name)>/n/<suffix>@<rev>` | empty; its `version` = deliveries so far | the claim txn of each delivery (with the claim marker) |
 * | `__jobs/<enc(name)>/e/<suffix>@<rev>` | JSON `JobErrorRecord` of the last failed delivery | a failed delivery, guarded by its claim |
 * | `__jobs/<enc(name)>/d/<due>/<nanos>[~<priority>]` | the encoded item | `enqueue(v, { delayMs })`; moved into `${name}/…` when due |
 * | `__jobs/<enc(dead)>/dead/<suffix>` | JSON `JobErrorRecord` of the item `${dead}/<suffix>` | the dead-letter move (same txn), of `process()` or of a consumer group (`kit/dead-letters.ts`) |
 *
 * `<enc(name)>` is `encodeURIComponent(name)`, `<suffix>` the item key after
 * `${name}/`, `<rev>` the item's mod revision (so a priority-queue key reused
 * for a new item never inherits an old count), `<due>` the due time in Unix
 * ms, 16 digits. Counters and error records are deleted with their item (ack
 * or dead-letter move by `process()`); an item taken by `dequeue()`, `claim()`
 * or a Go consumer leaves its (tiny) counter behind.
 * @module
 * @internal
 */
import { jobsPrefixOf } from '../kit/dead-letters.js';

export function counterKeyOf(name: string, suffix: string, revision: bigint): string {
  return `${jobsPrefixOf(name)}n/${suffix}@${revision}`;
}

export function errorKeyOf(name: string, suffix: string, revision: bigint): string {
  return `${jobsPrefixOf(name)}e/${suffix}@${revision}`;
}

export function delayedPrefixOf(name: string): string {
  return `${jobsPrefixOf(name)}d/`;
}

/** The key of a delayed item due at `dueMs`; `priority` for priority queues. */
export function delayedKeyOf(name: string, dueMs: number, nanos: string, priority?: number): string {
  const due = String(Math.max(0, Math.floor(dueMs))).padStart(16, '0');
  return `${delayedPrefixOf(name)}${due}/${nanos}${priority === undefined ? '' : `~${priority}`}`;
}

/** Due time and priority of a delayed key (user key), or undefined if it is not one. */
export function parseDelayedKey(name: string, key: string): { dueMs: number; priority?: number } | undefined {
  const prefix = delayedPrefixOf(name);
  if (!key.startsWith(prefix)) return undefined;
  const m = /^([0-9]{16})\/[0-9]+(?:~([0-9]+))?$/.exec(key.slice(prefix.length));
  if (!m) return undefined;
  return { dueMs: Number(m[1]), ...(m[2] !== undefined ? { priority: Number(m[2]) } : {}) };
}
