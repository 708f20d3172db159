/**
 * Where the jobs mode (`process()`, `enqueue(v, { delayMs })`) keeps its
 * bookkeeping: beside the recipes' layout, never inside it, so Go's
 * `recipe.Queue` / `recipe.PriorityQueue` (which range `${name}/`) never see it
 * and items enqueued without job options stay plain recipe items.
 *
 * | key (under the client's namespace) | value | written by |
 * |---|---|---|
 * | `__jobs/<enc(name)>/n/<suffix>@<rev>` | empty; its `version` = deliveries so far | the claim txn of each delivery (with the claim marker) |
 * | `__jobs/<enc(name)>/e/<suffix>@<rev>` | JSON {@link JobErrorRecord} of the last failed delivery | a failed delivery, guarded by its claim |
 * | `__jobs/<enc(name)>/d/<due>/<nanos>[~<priority>]` | the encoded item | `enqueue(v, { delayMs })`; moved into `${name}/…` when due |
 * | `__jobs/<enc(dead)>/dead/<suffix>` | JSON {@link JobErrorRecord} of the item `${dead}/<suffix>` | the dead-letter move (same txn), of `process()` or of a consumer group ({@link deadLetterPuts}) |
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
import type { RequestOp } from '../transport/index.js';
import { op, type Store } from '../recipes/store.js';

/**
 * The stored form of an error of a job (last error of an item; why an item was
 * dead-lettered). A consumer group's dead letter has the same form, with
 * `queue` the topic, `key` the message's key and `group`/`revision` set.
 */
export interface JobErrorRecord {
  /** The queue the item failed in (for a consumer group: the topic). */
  queue: string;
  /** The item's key there (for a consumer group: the message's key, `__topics/<enc(topic)>/<time>-<random>`). */
  key: string;
  /** Consumer groups only: the group that gave up on the message. */
  group?: string;
  /** Consumer groups only: the message's revision (decimal). */
  revision?: string;
  /** Deliveries so far (the attempt that failed last). */
  attempt: number;
  /** The error: `name`, `message`, and `code` / `stack` when it had them. */
  error: { name: string; message: string; code?: string; stack?: string };
  /** When (ISO 8601). */
  at: string;
}

export function jobsPrefixOf(name: string): string {
  return `__jobs/${encodeURIComponent(name)}/`;
}

export function counterKeyOf(name: string, suffix: string, revision: bigint): string {
  return `${jobsPrefixOf(name)}n/${suffix}@${revision}`;
}

export function errorKeyOf(name: string, suffix: string, revision: bigint): string {
  return `${jobsPrefixOf(name)}e/${suffix}@${revision}`;
}

export function deadRecordKeyOf(deadQueue: string, suffix: string): string {
  return `${jobsPrefixOf(deadQueue)}dead/${suffix}`;
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

/** An error as a {@link JobErrorRecord}'s `error`. */
export function errorInfoOf(error: unknown): JobErrorRecord['error'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack !== undefined ? { stack: error.stack.slice(0, 4096) } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** A {@link JobErrorRecord} of `error` at delivery `attempt` of item `key` of `queue` (`extra`: a consumer group's `group`/`revision`). */
export function errorRecordOf(queue: string, key: string, attempt: number, error: unknown, extra?: { group: string; revision: string }): JobErrorRecord {
  return { queue, key, ...extra, attempt, error: errorInfoOf(error), at: new Date().toISOString() };
}

/**
 * The two writes of a dead letter, for the txn that moves it: the original
 * value at `${dead}/<suffix>` and its {@link JobErrorRecord} beside it, at
 * `__jobs/<enc(dead)>/dead/<suffix>`. Used by `process()` and by consumer groups.
 */
export function deadLetterPuts(store: Store, dead: string, suffix: string, value: Uint8Array, rec: JobErrorRecord): RequestOp[] {
  return [
    op.put({ key: store.key(`${dead}/${suffix}`), value }),
    op.put({ key: store.key(deadRecordKeyOf(dead, suffix)), value: new TextEncoder().encode(JSON.stringify(rec)) }),
  ];
}
